// The stored vectors of some labels of a (model, modality) collection, normalised, read from SQLite: what
// both the engine's exact re-rank and the int8 scan's build-time calibration (projected-scan.ts) score
// candidates with. Labels are window ids, or frame labels (windowId·16 + frame) for a frame-level model.
import type { Database } from '../../db/connection.ts';
import { embeddingsOfFrameLabels, embeddingsOfWindows } from '../../db/embeddings.ts';
import type { IndexKey } from '../../db/graph-chunks.ts';
import { dotRow, normaliseInPlace } from './vectors.ts';

/** Row i of `vectors` for ids[i]; `found[i]` false where none is stored. */
export function storedVectorsOf(db: Database, key: IndexKey, dim: number, frameLevel: boolean, ids: readonly number[]): { vectors: Float32Array; found: boolean[] } {
  const stored = frameLevel ? embeddingsOfFrameLabels(db, key.modelId, key.modality, ids, dim) : embeddingsOfWindows(db, key.modelId, key.modality, ids, dim);
  stored.found.forEach((f, i) => {
    if (f) normaliseInPlace(stored.vectors.subarray(i * dim, (i + 1) * dim));
  });
  return stored;
}

/** Exact cosines of a normalised query with the stored vectors of `ids` (NaN where none is stored). */
export function storedCosines(db: Database, key: IndexKey, frameLevel: boolean, q: Float32Array, ids: readonly number[]): Float32Array {
  const out = new Float32Array(ids.length).fill(Number.NaN);
  const { vectors, found } = storedVectorsOf(db, key, q.length, frameLevel, ids);
  ids.forEach((_, i) => {
    if (found[i]) out[i] = dotRow(vectors, i, q);
  });
  return out;
}
