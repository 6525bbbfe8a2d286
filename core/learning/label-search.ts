// Search by label name: the moments the user labelled first, then predicted ones with their scores,
// then (when the model is a fine-tuned classifier with class names) windows ranked by that class.
// Predictions come from the active trained head when it knows the label (stored after training), else
// from the zero-shot baseline computed now (cosine to the mean embedding of the label's positives).
// Windows labelled for this name, either way, are never repeated as predictions.
import { getFile } from '../../db/files.ts';
import { listLabels } from '../../db/labels.ts';
import { activeVersion, classScoreRanking, topPredictions } from '../../db/learning.ts';
import { listWindows, momentsForWindows } from '../../db/windows.ts';
import type { Library } from '../library/handle.ts';
import { labelWindows } from './training/dataset.ts';
import { readEmbeddingTable } from './training/embedding-table.ts';
import type { EmbeddingTable, WindowRef } from './training/embedding-table.ts';
import { modelRecord } from '../library/handle.ts';
import type { InstalledModel } from '../models/store.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { findClass, scoreClasses } from './classes.ts';

export type MomentSource = 'label' | 'prediction' | 'class';

export interface LabelMoment {
  /** null for a label on a whole file. */
  readonly windowId: number | null;
  readonly fileId: number;
  readonly path: string;
  readonly startS: number;
  /** null: to the end of the file (a whole-file label on a file of unknown duration). */
  readonly endS: number | null;
  /** label: 1; prediction: probability (trained head) or cosine (zero-shot); class: classifier probability. */
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
}

export interface LabelSearchResponse {
  readonly name: string;
  readonly labelled: number;
  /** Where the predictions came from: a trained head version, the zero-shot baseline, or none. */
  readonly predictions: { readonly kind: 'trained'; readonly versionId: number } | { readonly kind: 'zero-shot' } | null;
  readonly class: { readonly index: number; readonly mid: string; readonly name: string } | null;
  readonly moments: LabelMoment[];
  readonly negatives?: LabelMoment[];
}

/** Zero-shot scores (½ a·μ̂a + ½ v·μ̂v) of every window for the mean of `positives` (window ids). */
export function zeroShotScores(table: EmbeddingTable, positives: ReadonlySet<number>): Map<number, number> {
  const d = table.dim;
  const ma = new Float64Array(d);
  const mv = new Float64Array(d);
  for (const id of positives) {
    const r = table.row.get(id);
    if (r === undefined) continue;
    for (let c = 0; c < d; c++) {
      ma[c] = ma[c]! + table.audio[r * d + c]!;
      mv[c] = mv[c]! + table.visual[r * d + c]!;
    }
  }
  const na = Math.hypot(...ma) || 1;
  const nv = Math.hypot(...mv) || 1;
  const out = new Map<number, number>();
  table.windows.forEach((w, r) => {
    if (table.hasAudio[r] === 0 && table.hasVisual[r] === 0) return;
    let s = 0;
    for (let c = 0; c < d; c++) s += (table.audio[r * d + c]! * ma[c]!) / na / 2 + (table.visual[r * d + c]! * mv[c]!) / nv / 2;
    out.set(w.id, s);
  });
  return out;
}

export function searchByLabel(library: Library, request: LabelSearchRequest): LabelSearchResponse {
  const db = library.db;
  const top = request.top ?? 20;
  const labels = listLabels(db, { name: request.name });
  const labelledMoments: LabelMoment[] = [];
  const negatives: LabelMoment[] = [];
  const covered = new Set<number>();
  const positiveWindows = new Set<number>();
  const refs = new Map<number, readonly WindowRef[]>();
  for (const l of labels) {
    const file = getFile(db, l.fileId);
    if (file === undefined) continue;
    let ws = refs.get(l.fileId);
    if (ws === undefined) refs.set(l.fileId, (ws = listWindows(db, l.fileId)));
    const on = labelWindows(l, ws);
    for (const w of on) covered.add(w.id);
    if (l.polarity === 'positive') for (const w of on) positiveWindows.add(w.id);
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
  if (head !== undefined && head.labelSet.includes(request.name)) {
    predictions = { kind: 'trained', versionId: head.id };
    scored = topPredictions(db, head.id, request.name, top + covered.size).filter((p) => !covered.has(p.windowId));
  } else if (positiveWindows.size > 0) {
    predictions = { kind: 'zero-shot' };
    const table = readEmbeddingTable(db, request.modelId);
    scored = [...zeroShotScores(table, positiveWindows)]
      .filter(([id]) => !covered.has(id))
      .map(([windowId, score]) => ({ windowId, score }))
      .sort((p, q) => q.score - p.score || p.windowId - q.windowId);
  }
  const toMoments = (items: { windowId: number; score: number }[], source: MomentSource): LabelMoment[] => {
    const scores = new Map(items.map((i) => [i.windowId, i.score]));
    return momentsForWindows(db, items.map((i) => i.windowId)).map((m) => ({ windowId: m.windowId, fileId: m.fileId, path: m.path, startS: m.startS, endS: m.endS, score: scores.get(m.windowId)!, source }));
  };
  const predicted = toMoments(scored.slice(0, top), 'prediction');

  const cls = findClass(library, request.modelId, request.name) ?? null;
  const classMoments = cls !== null ? toMoments(classScoreRanking(db, request.modelId, cls.index, top), 'class') : [];
  return {
    name: request.name,
    labelled: labelledMoments.length,
    predictions,
    class: cls,
    moments: [...labelledMoments, ...predicted, ...classMoments],
    ...(request.includeNegatives === true ? { negatives } : {}),
  };
}

/**
 * searchByLabel, but when the name is a class of the (fine-tuned) model, windows without classifier
 * scores are classified first (on demand; the scores are kept for next time).
 */
export async function searchByLabelOnDemand(library: Library, model: InstalledModel, request: Omit<LabelSearchRequest, 'modelId'>, session: SessionOptions = {}): Promise<LabelSearchResponse> {
  const modelId = modelRecord(library, model).id;
  if (model.manifest.config.numClasses !== null && findClass(library, modelId, request.name) !== undefined) await scoreClasses(library, model, session);
  return searchByLabel(library, { ...request, modelId });
}
