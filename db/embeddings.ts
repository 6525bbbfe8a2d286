// Embeddings per (window, model, modality), stored as float16 BLOBs (db/vector-codec.ts). Writes go
// through here or through replaceFileWindows; triggers log every change for the HNSW indexes.
import { FoleyError } from '../base/errors.ts';
import { write } from './connection.ts';
import type { Database } from './connection.ts';
import type { Modality } from '../base/types.ts';
import { decodeVector, encodeVector } from './vector-codec.ts';

export interface EmbeddingInput {
  readonly windowId: number;
  readonly modality: Modality;
  readonly vector: Float32Array;
}

/** Vectors of one (model, modality) in window-id order: row i is vectors[i*dim … (i+1)*dim). */
export interface VectorBatch {
  readonly ids: Float64Array;
  readonly vectors: Float32Array;
  readonly dim: number;
}

function runModel(db: Database, runId: number): { modelId: number; dim: number } {
  const r = db
    .prepare<[number], { model_id: number; dim: number }>('SELECT r.model_id, m.dim FROM embedding_runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?')
    .get(runId);
  if (r === undefined) throw new FoleyError(`no embedding run with id ${runId}`);
  return { modelId: r.model_id, dim: r.dim };
}

/** Inserts or replaces embeddings made by one run (its model is the run's). Used inside other
 * transactions too (replaceFileWindows), where it becomes a savepoint. */
export function putEmbeddings(db: Database, runId: number, items: readonly EmbeddingInput[]): void {
  write(db, () => {
    const { modelId, dim } = runModel(db, runId);
    const insert = db.prepare(
      `INSERT INTO embeddings (window_id, model_id, modality, run_id, vector) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_id, modality, window_id) DO UPDATE SET run_id = excluded.run_id, vector = excluded.vector`,
    );
    for (const it of items) {
      if (it.vector.length !== dim) throw new FoleyError(`embedding of window ${it.windowId} has ${it.vector.length} numbers, the model makes ${dim}`);
      insert.run(it.windowId, modelId, it.modality, runId, encodeVector(it.vector));
    }
  });
}

export function getEmbedding(db: Database, windowId: number, modelId: number, modality: Modality): Float32Array | undefined {
  const r = db
    .prepare<[number, string, number], { vector: Buffer }>('SELECT vector FROM embeddings WHERE model_id = ? AND modality = ? AND window_id = ?')
    .get(modelId, modality, windowId);
  return r === undefined ? undefined : decodeVector(r.vector);
}

export function countEmbeddings(db: Database, modelId: number, modality: Modality): number {
  return db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM embeddings WHERE model_id = ? AND modality = ?').get(modelId, modality)!.n;
}

export function deleteEmbeddings(db: Database, modelId: number, modality?: Modality): number {
  return write(db, () =>
    modality === undefined
      ? db.prepare('DELETE FROM embeddings WHERE model_id = ?').run(modelId).changes
      : db.prepare('DELETE FROM embeddings WHERE model_id = ? AND modality = ?').run(modelId, modality).changes,
  );
}

/**
 * Every vector of (model, modality) in batches, in window-id order, for index builds over 1M rows
 * without holding them all. Keyset pagination (window_id > last) rather than one long iterate(), so
 * the connection is free between batches. Call inside a transaction for one consistent snapshot.
 */
export function* embeddingBatches(db: Database, modelId: number, modality: Modality, batchSize = 4096): Generator<VectorBatch> {
  const page = db
    .prepare<[number, string, number, number], [number, Buffer]>(
      'SELECT window_id, vector FROM embeddings WHERE model_id = ? AND modality = ? AND window_id > ? ORDER BY window_id LIMIT ?',
    )
    .raw(true);
  let last = -1;
  for (;;) {
    const rows = page.all(modelId, modality, last, batchSize);
    if (rows.length === 0) return;
    const dim = rows[0]![1].byteLength / 2;
    const ids = new Float64Array(rows.length);
    const vectors = new Float32Array(rows.length * dim);
    rows.forEach(([id, blob], i) => {
      if (blob.byteLength !== dim * 2) throw new FoleyError(`embedding of window ${id} has another length than the others of its model`);
      ids[i] = id;
      decodeVector(blob, vectors, i * dim);
    });
    yield { ids, vectors, dim };
    last = rows[rows.length - 1]![0];
    if (rows.length < batchSize) return;
  }
}

/** All vectors of (model, modality) in one contiguous Float32Array (count × dim) with their window ids. */
export function readAllEmbeddings(db: Database, modelId: number, modality: Modality): VectorBatch {
  return db.transaction(() => {
    const n = countEmbeddings(db, modelId, modality);
    const ids = new Float64Array(n);
    let vectors = new Float32Array(0);
    let dim = 0;
    let at = 0;
    for (const b of embeddingBatches(db, modelId, modality)) {
      if (at === 0) {
        dim = b.dim;
        vectors = new Float32Array(n * dim);
      }
      ids.set(b.ids, at);
      vectors.set(b.vectors, at * dim);
      at += b.ids.length;
    }
    return { ids, vectors, dim };
  })();
}

/** Changes whenever a vector of (model, modality) is added, replaced or removed: count, last rowid, last run. */
export function embeddingsSignature(db: Database, modelId: number, modality: Modality): string {
  const r = db
    .prepare<[number, string], { n: number; r: number | null; run: number | null }>(
      'SELECT count(*) AS n, max(rowid) AS r, max(run_id) AS run FROM embeddings WHERE model_id = ? AND modality = ?',
    )
    .get(modelId, modality)!;
  return `${r.n}:${r.r}:${r.run}`;
}

/**
 * The stored vectors of some windows, row i for ids[i] in `vectors` (ids.length × dim); `found[i]` is
 * false where none is stored or the stored one has another length.
 */
export function embeddingsOfWindows(db: Database, modelId: number, modality: Modality, ids: readonly number[], dim: number): { vectors: Float32Array; found: boolean[] } {
  const vectors = new Float32Array(ids.length * dim);
  const found = ids.map(() => false);
  const at = new Map<number, number>();
  ids.forEach((id, i) => at.set(id, i));
  // Chunks keep the statement under SQLite's limit on parameters.
  for (let from = 0; from < ids.length; from += 500) {
    const part = ids.slice(from, from + 500);
    const rows = db
      .prepare<(number | string)[], [number, Buffer]>(
        `SELECT window_id, vector FROM embeddings WHERE model_id = ? AND modality = ? AND window_id IN (${part.map(() => '?').join(',')})`,
      )
      .raw(true)
      .all(modelId, modality, ...part);
    for (const [id, blob] of rows) {
      if (blob.byteLength !== dim * 2) continue;
      const i = at.get(id)!;
      decodeVector(blob, vectors, i * dim);
      found[i] = true;
    }
  }
  return { vectors, found };
}
