// Search by label name: the moments the user labelled first, then predicted ones with their scores,
// then (when the model is a fine-tuned classifier with class names) windows ranked by that class.
// Predictions come from the active trained head when it learned the label (beat the baseline on
// held-out labels; stored after training), else from the few-shot baseline computed now from the
// current labels (core/learning/few-shot.ts), so they follow every new label at once. Windows labelled
// for this name, either way, are never repeated as predictions.
import { getFile } from '../../db/files.ts';
import { listLabels } from '../../db/labels.ts';
import type { Label } from '../../db/labels.ts';
import { activeVersion, topPredictions } from '../../db/learning.ts';
import type { TrainedVersion } from '../../db/learning.ts';
import { getModel } from '../../db/models.ts';
import type { Database } from '../../db/connection.ts';
import { listWindows, momentsForWindows } from '../../db/windows.ts';
import type { Library } from '../library/handle.ts';
import { labelWindows } from './training/dataset.ts';
import type { WindowRef } from './training/embedding-table.ts';
import { fitLabel, predictFewShot } from './few-shot-predict.ts';
import type { LearnedFrom } from './few-shot.ts';
import { modelRecord } from '../library/handle.ts';
import type { InstalledModel } from '../models/store.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { findClass } from './classes.ts';
import { topWindowsForClasses } from '../search/class-rank-cache.ts';
import { storedClassCount } from '../../db/class-logits.ts';
import { activationFor, probabilityOfRank } from '../tagging/probability.ts';
import { tagLibrary } from '../tagging/tag-library.ts';

export type MomentSource = 'label' | 'prediction' | 'class';

export interface LabelMoment {
  /** null for a label on a whole file. */
  readonly windowId: number | null;
  readonly fileId: number;
  readonly path: string;
  readonly startS: number;
  /** null: to the end of the file (a whole-file label on a file of unknown duration). */
  readonly endS: number | null;
  /** label: 1; prediction: probability (trained head, or the few-shot baseline's calibration); class: classifier probability. */
  readonly score: number;
  readonly source: MomentSource;
}

export interface LabelSearchRequest {
  readonly name: string;
  readonly modelId: number;
  /** Predicted (and class) moments to return at most. Default 20. */
  readonly top?: number;
  /** Also windows labelled negative? Never as predictions; listed separately when asked. */
  readonly includeNegatives?: boolean;
  /** The model's classifier outputs (its manifest's numClasses), so that a shipped class list names them; absent: only names the user stored. */
  readonly numClasses?: number | null;
}

export interface LabelSearchResponse {
  readonly name: string;
  readonly labelled: number;
  /** Where the predictions came from (a trained head version, the few-shot baseline, or none) and which modality the labels agree on. */
  readonly predictions:
    | { readonly kind: 'trained'; readonly versionId: number; readonly learnedFrom: LearnedFrom | null }
    | { readonly kind: 'few-shot'; readonly learnedFrom: LearnedFrom }
    | null;
  readonly class: { readonly index: number; readonly mid: string; readonly name: string } | null;
  readonly moments: LabelMoment[];
  readonly negatives?: LabelMoment[];
}

/** True when the head version learned `name` itself (beat the few-shot baseline on held-out labels). */
export function headLearned(version: TrainedVersion, name: string): boolean {
  if (!version.labelSet.includes(name)) return false;
  const m = version.metrics;
  const labels = m !== null && typeof m === 'object' && !Array.isArray(m) ? m['labels'] : undefined;
  if (!Array.isArray(labels)) return false;
  return labels.some((l) => l !== null && typeof l === 'object' && !Array.isArray(l) && l['name'] === name && l['kept'] === true);
}

/**
 * The windows `name`'s labels cover, by polarity (a window both positive and negative counts as
 * positive), with each label's windows. Only this name's labels: another name's positives are not
 * taken as negatives here (a moment can be both "dog" and "rain"), so each name's baseline changes
 * only with its own labels.
 */
export function labelledWindows(db: Database, name: string): { positives: Set<number>; negatives: Set<number>; labels: Label[]; covered: Map<number, readonly WindowRef[]> } {
  const refs = new Map<number, readonly WindowRef[]>();
  const labels = listLabels(db, { name });
  const positives = new Set<number>();
  const negatives = new Set<number>();
  const covered = new Map<number, readonly WindowRef[]>();
  for (const l of labels) {
    let ws = refs.get(l.fileId);
    if (ws === undefined) refs.set(l.fileId, (ws = listWindows(db, l.fileId)));
    const on = labelWindows(l, ws);
    covered.set(l.id, on);
    for (const w of on) (l.polarity === 'positive' ? positives : negatives).add(w.id);
  }
  for (const id of positives) negatives.delete(id);
  return { positives, negatives, labels, covered };
}

export function searchByLabel(library: Library, request: LabelSearchRequest): LabelSearchResponse {
  const db = library.db;
  const top = request.top ?? 20;
  const { positives, negatives: negativeWindows, labels, covered: coveredBy } = labelledWindows(db, request.name);
  const labelledMoments: LabelMoment[] = [];
  const negatives: LabelMoment[] = [];
  const covered = new Set<number>();
  for (const l of labels) {
    const file = getFile(db, l.fileId);
    if (file === undefined) continue;
    const on = coveredBy.get(l.id) ?? [];
    for (const w of on) covered.add(w.id);
    const m: LabelMoment = {
      windowId: on.length === 1 ? on[0]!.id : null,
      fileId: l.fileId,
      path: file.path,
      startS: l.startS ?? 0,
      endS: l.endS ?? file.durationS ?? null,
      score: 1,
      source: 'label',
    };
    (l.polarity === 'positive' ? labelledMoments : negatives).push(m);
  }
  labelledMoments.sort((p, q) => p.path.localeCompare(q.path) || p.startS - q.startS);

  let predictions: LabelSearchResponse['predictions'] = null;
  let scored: { windowId: number; score: number }[] = [];
  const head = activeVersion(db, request.modelId, 'head');
  const model = getModel(db, request.modelId);
  const fewShot = model !== undefined && positives.size > 0 ? fitLabel(db, model, request.name, positives, negativeWindows) : null;
  if (head !== undefined && headLearned(head, request.name)) {
    predictions = { kind: 'trained', versionId: head.id, learnedFrom: fewShot?.learnedFrom ?? null };
    scored = topPredictions(db, head.id, request.name, top + covered.size).filter((p) => !covered.has(p.windowId));
  } else if (model !== undefined && fewShot !== null) {
    const live = predictFewShot(db, model, fewShot, covered, top);
    predictions = { kind: 'few-shot', learnedFrom: fewShot.learnedFrom };
    scored = live.scored;
  }
  const toMoments = (items: { windowId: number; score: number }[], source: MomentSource): LabelMoment[] => {
    const scores = new Map(items.map((i) => [i.windowId, i.score]));
    return momentsForWindows(db, items.map((i) => i.windowId)).map((m) => ({ windowId: m.windowId, fileId: m.fileId, path: m.path, startS: m.startS, endS: m.endS, score: scores.get(m.windowId)!, source }));
  };
  const predicted = toMoments(scored.slice(0, top), 'prediction');

  const cls = findClass(library, request.modelId, request.name, request.numClasses ?? null) ?? null;
  const numClasses = request.numClasses ?? storedClassCount(db, request.modelId);
  const classMoments = cls !== null && numClasses !== null ? toMoments(classWindows(db, request.modelId, cls.index, numClasses, top), 'class') : [];
  return {
    name: request.name,
    labelled: labelledMoments.length,
    predictions,
    class: cls,
    moments: [...labelledMoments, ...predicted, ...classMoments],
    ...(request.includeNegatives === true ? { negatives } : {}),
  };
}

/** The windows with the highest probability for a class, from the stored logits (the in-memory ranking). */
function classWindows(db: Database, modelId: number, classIndex: number, numClasses: number, top: number): { windowId: number; score: number }[] {
  const activation = activationFor(numClasses);
  return topWindowsForClasses(db, modelId, [classIndex], top, { numClasses, activation }).ranked.map((h) => ({ windowId: h.windowId, score: probabilityOfRank(h.value, activation) }));
}

/**
 * searchByLabel, but when the name is a class of the (fine-tuned) model, windows without classifier
 * logits are tagged first (on demand, by the tagger's recipe; the logits are kept for next time).
 */
export async function searchByLabelOnDemand(library: Library, model: InstalledModel, request: Omit<LabelSearchRequest, 'modelId'>, session: SessionOptions = {}): Promise<LabelSearchResponse> {
  const modelId = modelRecord(library, model).id;
  const numClasses = model.manifest.config.numClasses;
  if (numClasses !== null && findClass(library, modelId, request.name, numClasses) !== undefined) await tagLibrary(library, model, { session });
  return searchByLabel(library, { ...request, modelId, numClasses });
}
