// Storage of search structures in SQLite: an HNSW graph (the hnswlib file) or an int8 scan's codes
// (core/search/scan-file.ts) cut into BLOB chunks (a 1M × 768 graph is ~3 GB, far too big for one BLOB or one
// Buffer), a SHA-256 over all of them, and a meta row saying what they cover. Bytes are verified before
// hnswlib (C++, no bounds checks on a corrupt file) or the scan sees them.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import type { Modality } from '../base/types.ts';

export interface IndexKey {
  readonly modelId: number;
  readonly modality: Modality;
}

export interface IndexParams {
  readonly dim: number;
  readonly m: number;
  readonly efConstruction: number;
}

export interface IndexMeta extends IndexParams {
  readonly generation: number;
  /** Last vector_changes.seq the stored graph reflects. */
  readonly seq: number;
  readonly vectorCount: number;
  readonly tombstones: Float64Array;
  readonly byteLength: number;
  /** 0: changes are tracked but no graph is stored yet. */
  readonly chunkCount: number;
  readonly sha256: string | null;
}

/** Largest chunk: big enough for few rows, small enough to never strain a Buffer or SQLite's limits. */
export const DEFAULT_CHUNK_BYTES = 16 << 20;

interface MetaRow {
  generation: number;
  dim: number;
  m: number;
  ef_construction: number;
  seq: number;
  vector_count: number;
  tombstones: Buffer;
  byte_length: number;
  chunk_count: number;
  sha256: string | null;
}

export function readIndexMeta(db: Database, key: IndexKey): IndexMeta | undefined {
  const r = db.prepare<[number, string], MetaRow>('SELECT * FROM vector_indexes WHERE model_id = ? AND modality = ?').get(key.modelId, key.modality);
  if (r === undefined) return undefined;
  const t = r.tombstones;
  return {
    generation: r.generation,
    dim: r.dim,
    m: r.m,
    efConstruction: r.ef_construction,
    seq: r.seq,
    vectorCount: r.vector_count,
    tombstones: new Float64Array(t.buffer.slice(t.byteOffset, t.byteOffset + t.byteLength)),
    byteLength: r.byte_length,
    chunkCount: r.chunk_count,
    sha256: r.sha256,
  };
}

/** The newest change-log position (global, monotonic). */
export function currentChangeSeq(db: Database): number {
  return db.prepare<[], { seq: number }>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'), 0) AS seq").get()!.seq;
}

/**
 * Makes sure the pair has a meta row, which switches on change logging for it (the triggers log only
 * pairs that have one). A new row has no chunks: "tracked, nothing stored".
 */
export function trackIndex(db: Database, key: IndexKey, params: IndexParams): IndexMeta {
  return write(db, () => {
    db.prepare(
      `INSERT INTO vector_indexes (model_id, modality, generation, dim, m, ef_construction, seq, vector_count, tombstones, byte_length, chunk_count, sha256, updated_at)
       VALUES (?, ?, 0, ?, ?, ?, ?, 0, x'', 0, 0, NULL, ?) ON CONFLICT (model_id, modality) DO NOTHING`,
    ).run(key.modelId, key.modality, params.dim, params.m, params.efConstruction, currentChangeSeq(db), now());
    return readIndexMeta(db, key)!;
  });
}

export interface LoggedChange {
  readonly windowId: number;
  /** Something other than a plain insert happened (update or delete): the graph must take the vector again. */
  readonly changed: boolean;
  /** The stored vector now, or null when the embedding is gone. */
  readonly vector: Buffer | null;
  /** Frame-level rows: the mask of the frames `vector` holds (null for a whole-window row). */
  readonly frames: number | null;
}

export function countChanges(db: Database, key: IndexKey, afterSeq: number): number {
  return db
    .prepare<[number, string, number], { n: number }>('SELECT count(DISTINCT window_id) AS n FROM vector_changes WHERE model_id = ? AND modality = ? AND seq > ?')
    .get(key.modelId, key.modality, afterSeq)!.n;
}

/** Changes after `afterSeq` up to `toSeq`, one per window, with each window's vector as it is now. */
export function loggedChanges(db: Database, key: IndexKey, afterSeq: number, toSeq: number): LoggedChange[] {
  return db
    .prepare<[number, string, number, number], { window_id: number; changed: number; vector: Buffer | null; frames: number | null }>(
      `SELECT c.window_id, max(c.op <> 'insert') AS changed, e.vector, e.frames
       FROM vector_changes c
       LEFT JOIN embeddings e ON e.model_id = c.model_id AND e.modality = c.modality AND e.window_id = c.window_id
       WHERE c.model_id = ? AND c.modality = ? AND c.seq > ? AND c.seq <= ?
       GROUP BY c.window_id ORDER BY c.window_id`,
    )
    .all(key.modelId, key.modality, afterSeq, toSeq)
    .map((r) => ({ windowId: r.window_id, changed: r.changed === 1, vector: r.vector, frames: r.frames }));
}

export interface StoredGraph {
  readonly seq: number;
  readonly vectorCount: number;
  readonly tombstones: Float64Array;
  readonly params: IndexParams;
}

/**
 * Stores the hnswlib file at `file` as the pair's new generation, in one transaction: new chunks in,
 * old chunks out, meta updated, change-log entries it covers trimmed. Returns the new generation.
 */
export function storeGraphFile(db: Database, key: IndexKey, file: string, graph: StoredGraph, chunkBytes = DEFAULT_CHUNK_BYTES): number {
  const fd = openSync(file, 'r');
  try {
    return storeChunks(db, key, fstatSync(fd).size, graph, chunkBytes, (pos, len) => {
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < buf.length) got += readSync(fd, buf, got, buf.length - got, pos + got);
      return buf;
    });
  } finally {
    closeSync(fd);
  }
}

/** storeGraphFile for a structure held in memory (the int8 scan's codes, core/search/scan-file.ts). */
export function storeGraphBytes(db: Database, key: IndexKey, bytes: Uint8Array, graph: StoredGraph, chunkBytes = DEFAULT_CHUNK_BYTES): number {
  return storeChunks(db, key, bytes.byteLength, graph, chunkBytes, (pos, len) => bytes.subarray(pos, pos + len));
}

function storeChunks(db: Database, key: IndexKey, size: number, graph: StoredGraph, chunkBytes: number, chunkAt: (pos: number, len: number) => Uint8Array): number {
  return write(db, () => {
    const generation = (readIndexMeta(db, key)?.generation ?? 0) + 1;
    trackIndex(db, key, graph.params);
    db.prepare('DELETE FROM vector_index_chunks WHERE model_id = ? AND modality = ?').run(key.modelId, key.modality);
    const insert = db.prepare('INSERT INTO vector_index_chunks (model_id, modality, generation, idx, bytes) VALUES (?, ?, ?, ?, ?)');
    const hash = createHash('sha256');
    let chunks = 0;
    for (let pos = 0; pos < size; pos += chunkBytes) {
      const buf = chunkAt(pos, Math.min(chunkBytes, size - pos));
      hash.update(buf);
      insert.run(key.modelId, key.modality, generation, chunks++, buf);
    }
    const tomb = Buffer.from(graph.tombstones.buffer, graph.tombstones.byteOffset, graph.tombstones.byteLength);
    db.prepare(
      `UPDATE vector_indexes SET generation = ?, dim = ?, m = ?, ef_construction = ?, seq = ?, vector_count = ?, tombstones = ?,
         byte_length = ?, chunk_count = ?, sha256 = ?, updated_at = ? WHERE model_id = ? AND modality = ?`,
    ).run(generation, graph.params.dim, graph.params.m, graph.params.efConstruction, graph.seq, graph.vectorCount, tomb, size, chunks, hash.digest('hex'), now(), key.modelId, key.modality);
    db.prepare('DELETE FROM vector_changes WHERE model_id = ? AND modality = ? AND seq <= ?').run(key.modelId, key.modality, graph.seq);
    return generation;
  });
}

/**
 * Writes the stored graph of `meta` to `file` if its chunks are all there and match the checksum.
 * Returns null when it did, else why not (the caller rebuilds).
 */
export function restoreGraphFile(db: Database, key: IndexKey, meta: IndexMeta, file: string): string | null {
  const fd = openSync(file, 'w');
  try {
    return readChunks(db, key, meta, (chunk) => {
      let put = 0;
      while (put < chunk.length) put += writeSync(fd, chunk, put, chunk.length - put);
    });
  } finally {
    closeSync(fd);
  }
}

/** restoreGraphFile into memory: the stored bytes, or why they cannot be used. */
export function restoreGraphBytes(db: Database, key: IndexKey, meta: IndexMeta): Buffer | string {
  const out = Buffer.allocUnsafe(meta.byteLength);
  let at = 0;
  const problem = readChunks(db, key, meta, (chunk) => {
    if (at + chunk.length <= out.length) chunk.copy(out, at);
    at += chunk.length;
  });
  return problem ?? out;
}

/** Hands every chunk of `meta`'s generation to `take`, in order; null when all were there and matched. */
function readChunks(db: Database, key: IndexKey, meta: IndexMeta, take: (chunk: Buffer) => void): string | null {
  const rows = db
    .prepare<[number, string, number], [number, Buffer]>('SELECT idx, bytes FROM vector_index_chunks WHERE model_id = ? AND modality = ? AND generation = ? ORDER BY idx')
    .raw(true);
  const hash = createHash('sha256');
  let expected = 0;
  let bytes = 0;
  // iterate(): one chunk in memory at a time; nothing else runs on the connection meanwhile.
  for (const [idx, chunk] of rows.iterate(key.modelId, key.modality, meta.generation)) {
    if (idx !== expected++) return `chunk ${expected - 1} is missing`;
    hash.update(chunk);
    take(chunk);
    bytes += chunk.length;
  }
  if (expected !== meta.chunkCount) return `${meta.chunkCount - expected} of ${meta.chunkCount} chunks are missing`;
  if (bytes !== meta.byteLength) return `stored graph has ${bytes} bytes, expected ${meta.byteLength}`;
  if (hash.digest('hex') !== meta.sha256) return 'checksum mismatch';
  return null;
}
