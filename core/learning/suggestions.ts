// Suggestions: for each label, the windows the active head scores highest that the user has not
// labelled or answered yet. Accepting one adds a positive label on that window, rejecting one a
// negative; the answer is recorded, and the labels feed the next training round.
import { getFile } from '../../db/files.ts';
import { listLabels } from '../../db/labels.ts';
import { activeVersion, listAnswers, predictionScore, putAnswer, topPredictions } from '../../db/learning.ts';
import type { Answer } from '../../db/learning.ts';
import { headLearned, searchByLabel } from './label-search.ts';
import type { LearnedFrom } from './few-shot.ts';
import { getWindow, listWindows, momentsForWindows } from '../../db/windows.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { addLabelTo } from './labels.ts';
import type { LabelView } from './labels.ts';
import { labelWindows } from './training/dataset.ts';

export type { Answer };

export interface Suggestion {
  readonly label: string;
  readonly windowId: number;
  readonly fileId: number;
  readonly path: string;
  readonly startS: number;
  readonly endS: number;
  readonly score: number;
  readonly versionId: number;
}

export function suggestions(library: Library, modelId: number, label: string, limit = 10): Suggestion[] {
  const db = library.db;
  const head = activeVersion(db, modelId, 'head');
  if (head === undefined || !headLearned(head, label)) return [];
  const skip = new Set(listAnswers(db, label).map((a) => a.windowId));
  for (const l of listLabels(db, { name: label })) {
    for (const w of labelWindows(l, listWindows(db, l.fileId))) skip.add(w.id);
  }
  const preds = topPredictions(db, head.id, label, limit + skip.size).filter((p) => !skip.has(p.windowId)).slice(0, limit);
  const scores = new Map(preds.map((p) => [p.windowId, p.score]));
  return momentsForWindows(db, preds.map((p) => p.windowId)).map((m) => ({
    label, windowId: m.windowId, fileId: m.fileId, path: m.path, startS: m.startS, endS: m.endS, score: scores.get(m.windowId)!, versionId: head.id,
  }));
}

/** The user's answer to a suggestion: recorded, and turned into a label (positive or negative). */
export function answerSuggestion(library: Library, modelId: number, label: string, windowId: number, answer: Answer): { label: LabelView; answer: Answer } {
  const db = library.db;
  const w = getWindow(db, windowId);
  if (w === undefined || getFile(db, w.fileId) === undefined) throw new FoleyError(`no window with id ${windowId}`, { code: 'not_found' });
  const head = activeVersion(db, modelId, 'head');
  const score = head !== undefined ? predictionScore(db, head.id, label, windowId) : null;
  const { label: added } = addLabelTo(library, { name: label, file: w.fileId, startS: w.startS, endS: w.endS, polarity: answer === 'accepted' ? 'positive' : 'negative' });
  putAnswer(db, { label, windowId, answer, versionId: head?.id ?? null, score, labelId: added.id });
  return { label: added, answer };
}

/** Suggestions for a label, trained or from the few-shot baseline; source null: no positives yet. */
export interface SuggestionList {
  readonly name: string;
  readonly source: 'trained' | 'few-shot' | null;
  readonly learnedFrom: LearnedFrom | null;
  readonly suggestions: readonly Omit<Suggestion, 'versionId'>[];
}

/**
 * The active head's suggestions when it learned the label; otherwise the few-shot baseline's best
 * windows (computed now, from the current labels) that are neither labelled nor answered.
 */
export function suggestionsOrBaseline(library: Library, modelId: number, name: string, top: number): SuggestionList {
  const head = activeVersion(library.db, modelId, 'head');
  const r = searchByLabel(library, { name, modelId, top: head !== undefined && headLearned(head, name) ? 1 : top + 50 });
  const learnedFrom = r.predictions?.learnedFrom ?? null;
  if (r.predictions?.kind === 'trained') {
    const trained = suggestions(library, modelId, name, top);
    return { name, source: 'trained', learnedFrom, suggestions: trained.map((s) => ({ label: s.label, windowId: s.windowId, fileId: s.fileId, path: s.path, startS: s.startS, endS: s.endS, score: s.score })) };
  }
  if (r.predictions === null) return { name, source: null, learnedFrom: null, suggestions: [] };
  const answered = new Set(listAnswers(library.db, name).map((a) => a.windowId));
  const list = r.moments
    .filter((m) => m.source === 'prediction' && m.windowId !== null && !answered.has(m.windowId))
    .slice(0, top)
    .map((m) => ({ label: name, windowId: m.windowId!, fileId: m.fileId, path: m.path, startS: m.startS, endS: m.endS ?? m.startS, score: m.score }));
  return { name, source: 'few-shot', learnedFrom, suggestions: list };
}
