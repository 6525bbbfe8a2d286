// Fitting a projection (db/projection.ts) to a stored collection: a strided sample of its vectors,
// normalised, so the fit sees the whole collection's spread without reading all of it twice. Shared by the
// projected HNSW graph (db/vector-index.ts) and the int8 scan (core/search/projected-scan.ts).
import type { Database } from './connection.ts';
import { embeddingBatches } from './embeddings.ts';
import type { IndexKey } from './graph-chunks.ts';
import { fitProjection } from './projection.ts';
import type { Projection } from './projection.ts';

/** Project only when the projection keeps this share of the sample's energy; else the full-dim graph. */
export const PROJECT_MIN_ENERGY = 0.9;
/** Vectors sampled (strided over the collection) to fit the projection. */
export const PROJECTION_SAMPLE = 10_000;

export interface StoredFit {
  readonly projection: Projection;
  /** The normalised sample rows the projection was fitted to. */
  readonly sample: Float32Array;
}

/** Fits a d-dim projection to `count` stored vectors of `dim` numbers; undefined when there are none. */
export function fitStoredProjection(db: Database, key: IndexKey, dim: number, d: number, count: number): StoredFit | undefined {
  if (count === 0) return undefined;
  const stride = Math.max(1, Math.floor(count / PROJECTION_SAMPLE));
  const sample = new Float32Array(Math.min(count, PROJECTION_SAMPLE) * dim);
  let taken = 0;
  let seen = 0;
  for (const b of embeddingBatches(db, key.modelId, key.modality)) {
    const rows = b.vectors.length / dim;
    for (let r = 0; r < rows && taken * dim < sample.length; r++, seen++) {
      if (seen % stride !== 0) continue;
      const row = sample.subarray(taken * dim, (taken + 1) * dim);
      row.set(b.vectors.subarray(r * dim, (r + 1) * dim));
      normaliseRow(row);
      taken++;
    }
  }
  const used = sample.subarray(0, taken * dim);
  return { projection: fitProjection(used, dim, d), sample: used };
}

function normaliseRow(v: Float32Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
}
