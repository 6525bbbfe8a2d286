// Whole windows of a frame-level model (CAV-MAE Sync) compared as the paper compares clips (spec §6,
// retrieval.py `diagonal_mean`): the mean over the frames both windows hold of the cosine between the
// query's frame k and the candidate's frame k. A moment query brings its window's frames; candidates
// come from a frame search with each query frame, then every candidate is scored whole.
import type { Database } from '../../db/connection.ts';
import { frameEmbeddingsOfWindows } from '../../db/embeddings.ts';
import type { FrameVectors } from '../../db/embeddings.ts';
import type { Modality } from '../../base/types.ts';
import type { ModalityEngine } from './engine.ts';
import type { ScoredWindow } from './moments.ts';
import type { MomentScores } from './types.ts';

export interface ClipQuery {
  readonly audio?: FrameVectors;
  readonly visual?: FrameVectors;
}

/** Mean over the frames both hold of cos(a_k, b_k); NaN when they share none. Rows need not be unit length. */
export function clipScore(a: FrameVectors, b: FrameVectors, dim: number): number {
  let sum = 0;
  let n = 0;
  for (const [i, k] of a.frames.entries()) {
    const j = b.frames.indexOf(k);
    if (j < 0) continue;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = 0; d < dim; d++) {
      const x = a.vectors[i * dim + d]!;
      const y = b.vectors[j * dim + d]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    sum += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

export interface ClipSearch {
  readonly engines: ReadonlyMap<Modality, ModalityEngine>;
  readonly targets: readonly Modality[];
  readonly weights: readonly [number, number];
  readonly pool: number;
  readonly ef: number | undefined;
  readonly accept: ((windowId: number) => boolean) | undefined;
}

/** The query frames used against a collection: its own modality's, else the other's (cross-modal). */
function framesFor(q: ClipQuery, m: Modality): FrameVectors | undefined {
  return q[m] ?? q[m === 'audio' ? 'visual' : 'audio'];
}

/** The best `pool` windows by clip score (weighted over the targets, a missing modality counting 0). */
export function clipScoredWindows(db: Database, q: ClipQuery, s: ClipSearch): ScoredWindow[] {
  const candidates = new Set<number>();
  const opts = { ...(s.ef !== undefined ? { ef: s.ef } : {}), ...(s.accept !== undefined ? { accept: s.accept } : {}) };
  for (const m of s.targets) {
    const e = s.engines.get(m)!;
    const query = framesFor(q, m);
    if (query === undefined) continue;
    for (let i = 0; i < query.frames.length; i++) {
      const v = query.vectors.subarray(i * e.dim, (i + 1) * e.dim);
      for (const label of e.search(db, v, s.pool, opts).ids) candidates.add(e.windowOf(label));
    }
  }
  const ids = [...candidates];
  const perModality = new Map<Modality, Map<number, FrameVectors>>();
  for (const m of s.targets) perModality.set(m, frameEmbeddingsOfWindows(db, s.engines.get(m)!.modelId, m, ids));
  const out: ScoredWindow[] = [];
  for (const id of ids) {
    const scores: { -readonly [K in keyof MomentScores]: number } = {};
    let score = 0;
    for (const m of s.targets) {
      const stored = perModality.get(m)!.get(id);
      const query = framesFor(q, m);
      if (stored === undefined || query === undefined) continue;
      const c = clipScore(query, stored, s.engines.get(m)!.dim);
      if (Number.isNaN(c)) continue;
      scores[m] = c;
      score += (s.targets.length === 1 ? 1 : s.weights[m === 'audio' ? 0 : 1]) * c;
    }
    if (Object.keys(scores).length > 0) out.push({ id, score, scores });
  }
  out.sort((x, y) => y.score - x.score || x.id - y.id);
  return out.slice(0, s.pool);
}
