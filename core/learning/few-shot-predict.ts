// Few-shot predictions for one label, computed at the moment they are asked for, so they follow every
// label at once (no training run). The library is never read whole: the baseline is fitted on the
// labelled windows and a seeded background sample read by id, each modality's search index (exact
// below EXACT_MAX_VECTORS, HNSW above) proposes the windows nearest its direction, and those are
// scored exactly with both modalities.
import type { Database } from '../../db/connection.ts';
import { embeddingsVersion } from '../../db/embeddings.ts';
import { listWindowIds } from '../../db/learning.ts';
import type { Model } from '../../db/models.ts';
import type { Modality } from '../../base/types.ts';
import { engineFor } from '../search/engine.ts';
import { fitFewShot, scoreRow } from './few-shot.ts';
import type { FewShotModel, LearnedFrom } from './few-shot.ts';
import { readEmbeddingRows } from './training/embedding-table.ts';
import { rng, sigmoid } from './training/math.ts';

/** Unlabelled windows the baseline measures the library's spread on. */
export const BACKGROUND_SAMPLE = 512;
/** Proposals per modality: this many times what is asked for (at least MIN_PROPOSALS). */
const PROPOSAL_FACTOR = 4;
const MIN_PROPOSALS = 100;

export interface FewShotPredictions {
  readonly learnedFrom: LearnedFrom;
  readonly model: FewShotModel;
  /** Best first; probability from the left-out calibration. */
  readonly scored: { readonly windowId: number; readonly score: number }[];
}

function sample(ids: readonly number[], skip: ReadonlySet<number>, n: number, seed: number): number[] {
  const pool = ids.filter((id) => !skip.has(id));
  if (pool.length <= n) return pool;
  const random = rng(seed);
  // Partial Fisher–Yates: the first n of a seeded shuffle.
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n).sort((a, b) => a - b);
}

const fits = new WeakMap<Database, Map<string, { readonly key: string; readonly fit: FewShotModel | null }>>();

/**
 * The baseline of a label from its positive and negative windows; null without a positive embedding.
 * Remembered per connection, model and name until those windows or the model's vectors change, so the
 * label list can say what every label learned from without refitting the unchanged ones.
 */
export function fitLabel(db: Database, model: Model, name: string, positives: ReadonlySet<number>, negatives: ReadonlySet<number>): FewShotModel | null {
  if (positives.size === 0) return null;
  const key = [embeddingsVersion(db), [...positives].sort((a, b) => a - b).join(','), [...negatives].sort((a, b) => a - b).join(',')].join('|');
  let byName = fits.get(db);
  if (byName === undefined) fits.set(db, (byName = new Map()));
  const slot = `${model.id}\u0000${name}`;
  const known = byName.get(slot);
  if (known?.key === key) return known.fit;
  const fit = fitWindows(db, model, positives, negatives);
  byName.set(slot, { key, fit });
  return fit;
}

function fitWindows(db: Database, model: Model, positives: ReadonlySet<number>, negatives: ReadonlySet<number>): FewShotModel | null {
  const labelled = new Set([...positives, ...negatives]);
  const background = sample(listWindowIds(db), labelled, BACKGROUND_SAMPLE, 1);
  const table = readEmbeddingRows(db, model.id, model.dim, [...labelled, ...background]);
  const rows = (ids: ReadonlySet<number>): number[] => [...ids].flatMap((id) => table.row.get(id) ?? []);
  return fitFewShot(table, rows(positives), rows(negatives), { background: BACKGROUND_SAMPLE });
}

/** The `top` most likely windows for a fitted label (fitLabel), leaving out `exclude` (the labelled ones). */
export function predictFewShot(db: Database, model: Model, fit: FewShotModel, exclude: ReadonlySet<number>, top: number): FewShotPredictions {
  const want = Math.max(MIN_PROPOSALS, PROPOSAL_FACTOR * (top + exclude.size));
  const proposed = new Set<number>();
  for (const m of ['audio', 'visual'] as const satisfies readonly Modality[]) {
    const e = fit[m];
    if (e === null || e.weight === 0) continue;
    const engine = engineFor(db, model.id, m, model.dim, model.frameLevel);
    engine.refresh(db);
    // A frame-level index holds up to 16 frames per window.
    for (const label of engine.search(db, e.direction, want * (model.frameLevel ? 16 : 1)).ids) proposed.add(engine.windowOf(label));
  }
  const candidates = [...proposed].filter((id) => !exclude.has(id));
  const table = readEmbeddingRows(db, model.id, model.dim, candidates);
  const scored = table.windows
    .map((w, r) => ({ windowId: w.id, score: sigmoid(fit.alpha * scoreRow(table, fit, r) + fit.bias) }))
    .sort((p, q) => q.score - p.score || p.windowId - q.windowId)
    .slice(0, top);
  return { learnedFrom: fit.learnedFrom, model: fit, scored };
}
