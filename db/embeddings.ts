// Embeddings per (window, model, modality), stored as float16 BLOBs (db/vector-codec.ts). Writes go
// through here or through replaceFileWindows; triggers log every change for the HNSW indexes.
//
// A frame-level model's row holds one vector per frame of the window's clip, in frame order, with the
// frames' bit mask in `frames` (migration 005). Search structures see one entry per vector, labelled
// windowId·16 + frame (base/window-plan.ts frameLabel); whole-window readers (training, evaluation's
// window picks) see the frames' mean, normalised — the window as one vector.
import { FoleyError } from '../base/errors.ts';
import { frameLabel, labelFrame, labelWindow, maskFrames } from '../base/window-plan.ts';
import { write } from './connection.ts';
import type { Database } from './connection.ts';
import type { Modality } from '../base/types.ts';
import { decodeVector, encodeVector } from './vector-codec.ts';

export interface EmbeddingInput {
  readonly windowId: number;
  readonly modality: Modality;
  /** One vector, or (with `frames`) one per frame of the mask, concatenated in frame order. */
  readonly vector: Float32Array;
  /** Frame-level models: the bit mask of the clip frames `vector` holds. */
  readonly frames?: number;
}

/** One window's frame vectors: `vectors` holds frames.length rows of dim numbers. */
export interface FrameVectors {
  readonly frames: readonly number[];
  readonly vectors: Float32Array;
}

/** Vectors a row's BLOB holds (1 for a whole-window row). */
function vectorCount(mask: number | null): number {
  return mask === null ? 1 : maskFrames(mask).length;
}

/** The frames' mean, L2-normalised, into out[offset…]: a frame-level row as one window vector. */
function poolInto(all: Float32Array, n: number, dim: number, out: Float32Array, offset: number): void {
  let ss = 0;
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += all[i * dim + d]!;
    out[offset + d] = sum;
    ss += sum * sum;
  }
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let d = 0; d < dim; d++) out[offset + d]! *= inv;
}

/** A row's BLOB as one window vector (its frames pooled when it has several) into out[offset…]. */
function decodeWindowVector(blob: Uint8Array, mask: number | null, dim: number, out: Float32Array, offset: number): void {
  const n = vectorCount(mask);
  if (n === 1) {
    decodeVector(blob, out, offset);
    return;
  }
  poolInto(decodeVector(blob), n, dim, out, offset);
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
      `INSERT INTO embeddings (window_id, model_id, modality, run_id, vector, frames) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, modality, window_id) DO UPDATE SET run_id = excluded.run_id, vector = excluded.vector, frames = excluded.frames`,
    );
    for (const it of items) {
      const n = vectorCount(it.frames ?? null);
      if (it.frames !== undefined && n === 0) throw new FoleyError(`embedding of window ${it.windowId} names no frame`);
      if (it.vector.length !== n * dim) {
        throw new FoleyError(`embedding of window ${it.windowId} has ${it.vector.length} numbers, ${n} vector${n === 1 ? '' : 's'} of the model make ${n * dim}`);
      }
      insert.run(it.windowId, modelId, it.modality, runId, encodeVector(it.vector), it.frames ?? null);
    }
  });
}

interface VectorRow {
  vector: Buffer;
  frames: number | null;
}

function vectorRow(db: Database, windowId: number, modelId: number, modality: Modality): VectorRow | undefined {
  return db
    .prepare<[number, string, number], VectorRow>('SELECT vector, frames FROM embeddings WHERE model_id = ? AND modality = ? AND window_id = ?')
    .get(modelId, modality, windowId);
}

/** The window's vector (a frame-level row's frames pooled into one). */
export function getEmbedding(db: Database, windowId: number, modelId: number, modality: Modality): Float32Array | undefined {
  const r = vectorRow(db, windowId, modelId, modality);
  if (r === undefined) return undefined;
  const n = vectorCount(r.frames);
  const dim = r.vector.byteLength / 2 / n;
  const out = new Float32Array(dim);
  decodeWindowVector(r.vector, r.frames, dim, out, 0);
  return out;
}

/** A frame-level row's frames and vectors; undefined when the window has no row or a whole-window one. */
export function getFrameEmbedding(db: Database, windowId: number, modelId: number, modality: Modality): FrameVectors | undefined {
  const r = vectorRow(db, windowId, modelId, modality);
  if (r === undefined || r.frames === null) return undefined;
  return { frames: maskFrames(r.frames), vectors: decodeVector(r.vector) };
}

/** Vectors stored for (model, modality): rows, with a frame-level row counting each of its frames. */
export function countVectors(db: Database, modelId: number, modality: Modality): number {
  // Grouped by frame mask from the covering index (migration 006), never touching the vectors: a
  // frame-level row holds one vector per set bit of its mask.
  const groups = db
    .prepare<[number, string], { frames: number | null; n: number }>('SELECT frames, count(*) AS n FROM embeddings WHERE model_id = ? AND modality = ? GROUP BY frames')
    .all(modelId, modality);
  return groups.reduce((sum, g) => sum + g.n * vectorCount(g.frames), 0);
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

export interface BatchOptions {
  readonly batchSize?: number;
  /**
   * One vector per window (a frame-level row's frames pooled), labelled by window id; default one per
   * stored vector, a frame's labelled windowId·16 + frame (what search structures hold).
   */
  readonly perWindow?: boolean;
}

/**
 * Every vector of (model, modality) in batches, in label order, for index builds over 1M rows
 * without holding them all. Keyset pagination (window_id > last) rather than one long iterate(), so
 * the connection is free between batches. Call inside a transaction for one consistent snapshot.
 */
export function* embeddingBatches(db: Database, modelId: number, modality: Modality, options: BatchOptions = {}): Generator<VectorBatch> {
  const batchSize = options.batchSize ?? 4096;
  const page = db
    .prepare<[number, string, number, number], [number, Buffer, number | null]>(
      'SELECT window_id, vector, frames FROM embeddings WHERE model_id = ? AND modality = ? AND window_id > ? ORDER BY window_id LIMIT ?',
    )
    .raw(true);
  let last = -1;
  for (;;) {
    const rows = page.all(modelId, modality, last, batchSize);
    if (rows.length === 0) return;
    const [, firstBlob, firstMask] = rows[0]!;
    const dim = firstBlob.byteLength / 2 / vectorCount(firstMask);
    const count = options.perWindow === true ? rows.length : rows.reduce((s, [, , mask]) => s + vectorCount(mask), 0);
    const ids = new Float64Array(count);
    const vectors = new Float32Array(count * dim);
    let at = 0;
    for (const [id, blob, mask] of rows) {
      const n = vectorCount(mask);
      if (blob.byteLength !== n * dim * 2) throw new FoleyError(`embedding of window ${id} has another length than the others of its model`);
      if (options.perWindow === true) {
        ids[at] = id;
        decodeWindowVector(blob, mask, dim, vectors, at * dim);
        at++;
      } else {
        decodeVector(blob, vectors, at * dim);
        for (const k of mask === null ? [null] : maskFrames(mask)) ids[at++] = k === null ? id : frameLabel(id, k);
      }
    }
    yield { ids, vectors, dim };
    last = rows[rows.length - 1]![0];
    if (rows.length < batchSize) return;
  }
}

/**
 * All vectors of (model, modality) in one contiguous Float32Array (count × dim) with their labels
 * (window ids, or frame labels for a frame-level model unless `perWindow`).
 */
export function readAllEmbeddings(db: Database, modelId: number, modality: Modality, options: Omit<BatchOptions, 'batchSize'> = {}): VectorBatch {
  return db.transaction(() => {
    const n = options.perWindow === true ? countEmbeddings(db, modelId, modality) : countVectors(db, modelId, modality);
    const ids = new Float64Array(n);
    let vectors = new Float32Array(0);
    let dim = 0;
    let at = 0;
    for (const b of embeddingBatches(db, modelId, modality, options)) {
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
 * Changes whenever any vector is added, replaced or removed (any model): count and last rowid. Cheap
 * at any size (count(*) reads the smallest index, not the vectors), unlike embeddingsSignature.
 */
export function embeddingsVersion(db: Database): string {
  const r = db.prepare<[], { n: number; r: number | null }>('SELECT count(*) AS n, max(rowid) AS r FROM embeddings').get()!;
  return `${r.n}:${r.r}`;
}

/** Rows of some windows, in chunks that keep the statement under SQLite's limit on parameters. */
function* rowsOfWindows(db: Database, modelId: number, modality: Modality, ids: readonly number[]): Generator<[number, Buffer, number | null]> {
  const unique = [...new Set(ids)];
  for (let from = 0; from < unique.length; from += 500) {
    const part = unique.slice(from, from + 500);
    yield* db
      .prepare<(number | string)[], [number, Buffer, number | null]>(
        `SELECT window_id, vector, frames FROM embeddings WHERE model_id = ? AND modality = ? AND window_id IN (${part.map(() => '?').join(',')})`,
      )
      .raw(true)
      .all(modelId, modality, ...part);
  }
}

/**
 * The stored vectors of some windows (a frame-level row's frames pooled into one), row i for ids[i] in
 * `vectors` (ids.length × dim); `found[i]` is false where none is stored or the stored one has another length.
 */
export function embeddingsOfWindows(db: Database, modelId: number, modality: Modality, ids: readonly number[], dim: number): { vectors: Float32Array; found: boolean[] } {
  const vectors = new Float32Array(ids.length * dim);
  const found = ids.map(() => false);
  const at = new Map<number, number[]>();
  ids.forEach((id, i) => at.set(id, [...(at.get(id) ?? []), i]));
  for (const [id, blob, mask] of rowsOfWindows(db, modelId, modality, ids)) {
    if (blob.byteLength !== vectorCount(mask) * dim * 2) continue;
    for (const i of at.get(id)!) {
      decodeWindowVector(blob, mask, dim, vectors, i * dim);
      found[i] = true;
    }
  }
  return { vectors, found };
}

/** Frame-level rows of some windows, by window id (windows without one are absent). */
export function frameEmbeddingsOfWindows(db: Database, modelId: number, modality: Modality, ids: readonly number[]): Map<number, FrameVectors> {
  const out = new Map<number, FrameVectors>();
  for (const [id, blob, mask] of rowsOfWindows(db, modelId, modality, ids)) {
    if (mask !== null) out.set(id, { frames: maskFrames(mask), vectors: decodeVector(blob) });
  }
  return out;
}

/**
 * The stored vectors of some frame labels (windowId·16 + frame), row i for labels[i]; `found[i]` is
 * false where the window has no row or the row lacks that frame.
 */
export function embeddingsOfFrameLabels(
  db: Database,
  modelId: number,
  modality: Modality,
  labels: readonly number[],
  dim: number,
): { vectors: Float32Array; found: boolean[] } {
  const vectors = new Float32Array(labels.length * dim);
  const found = labels.map(() => false);
  const windows = frameEmbeddingsOfWindows(db, modelId, modality, labels.map(labelWindow));
  labels.forEach((label, i) => {
    const row = windows.get(labelWindow(label));
    const j = row?.frames.indexOf(labelFrame(label)) ?? -1;
    if (row === undefined || j < 0 || row.vectors.length !== row.frames.length * dim) return;
    vectors.set(row.vectors.subarray(j * dim, (j + 1) * dim), i * dim);
    found[i] = true;
  });
  return { vectors, found };
}
