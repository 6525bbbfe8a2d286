// One HNSW graph (hnswlib, inner product on L2-normalised vectors) for one (model, modality). Labels are
// window ids, so a hit is a window without a lookup table; a frame-level model's are frame labels
// (windowId·16 + frame, base/window-plan.ts), so a hit is a frame of a window. The graph is a cache of the embeddings
// table: persisted in SQLite (db/graph-chunks.ts), loaded at start, caught up from the change log the
// triggers write, and rebuilt from the embeddings when it is missing, corrupt or too far behind.
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as Hnsw } from 'hnswlib-node';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, rmSync, statSync, truncateSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from './connection.ts';
import { countVectors, embeddingBatches } from './embeddings.ts';
import type { IndexKey, IndexParams } from './graph-chunks.ts';
import { countChanges, currentChangeSeq, DEFAULT_CHUNK_BYTES, loggedChanges, readIndexMeta, restoreGraphFile, storeGraphFile, trackIndex } from './graph-chunks.ts';
import type { Modality } from '../base/types.ts';
import { decodeVector } from './vector-codec.ts';
import type { Projection } from './projection.ts';
import { encodeProjection, PROJECTION_HEADER_BYTES, projectInto, projectionTrailer } from './projection.ts';
import { fitStoredProjection, PROJECT_MIN_ENERGY } from './projection-fit.ts';
import { FRAME_SLOTS, frameLabel, maskFrames } from '../base/window-plan.ts';

// hnswlib-node is CommonJS: a named ESM import type-checks but fails at run time.
const { HierarchicalNSW } = hnswlib;

export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 200;
/** ef 64 gave recall@10 0.86 on 100k structured 768-d vectors, 128 gave 0.96 (toolchain notes §4). */
export const HNSW_EF_SEARCH = 128;
/** Compact (rebuild) once this share of the graph's points are tombstones. */
export const COMPACT_AT = 0.2;
/**
 * A projected graph keeps only a proposal: this many candidates (or k, if more) go to the exact re-rank.
 * bench/search-scale.bench.ts (100k latent128, docs/scaling.md): recall@10 is set by the graph's search
 * breadth ef, not by the candidates — at ef 800 and 1,600, 200 and 500 candidates gave the same recall —
 * while each candidate read from SQLite costs ≈15–25 µs, so 200 stay.
 */
export const PROJECTED_CANDIDATES = 200;
/**
 * Links and build breadth of a graph asked to be projected (a 128-d graph on 768-d embeddings). Measured at
 * 100k latent128 (bench/search-scale.bench.ts, docs/scaling.md, shared machine): M 32 / efC 100 costs the same
 * build CPU as the old M 16 / efC 200 (0.91 vs 0.90 CPU s per 1k inserts) and reaches recall@10 0.995 at ef 800
 * and 0.954 at ef 400 (old: 0.941 and 0.830); M 16 needs ef 1,600 for 0.989, at about the same graph latency.
 * At 1M: 673 vectors/s rebuild (24.8 min), 788 B per vector, recall 0.984 at ef 3,200.
 */
export const PROJECTED_M = 32;
export const PROJECTED_EF_CONSTRUCTION = 100;
/** Fixed seed: the same vectors added in the same order give the same graph, so rebuilds are reproducible. */
const RANDOM_SEED = 100;

export interface VectorIndexOptions {
  readonly m?: number;
  readonly efConstruction?: number;
  readonly ef?: number;
  /** Chunk size for persisting (tests use small ones). */
  readonly chunkBytes?: number;
  /** Where the temporary hnswlib file goes; default next to the database (same disk, inside the data dir). */
  readonly tmpDir?: string;
  /** The model stores one vector per clip frame: labels are frame labels. */
  readonly frameLevel?: boolean;
  /**
   * Build the graph on a d-dim projection of the vectors (db/projection.ts) instead of all dims; its
   * hits are then candidates to re-rank exactly (see candidates()). Unset: the full-dim graph.
   */
  readonly project?: number;
}

export interface SearchResult {
  /** Labels (window ids, or frame labels), best first. */
  readonly ids: number[];
  /** Inner products with the (normalised) query: cosine similarity. */
  readonly scores: number[];
}

export type LoadOutcome =
  | { readonly source: 'stored'; readonly caughtUp: number }
  | { readonly source: 'rebuilt'; readonly reason: string };

export class VectorIndex {
  readonly modelId: number;
  readonly modality: Modality;
  readonly dim: number;
  readonly params: IndexParams;
  #ef: number;
  #chunkBytes: number;
  #tmpDir: string | undefined;
  readonly #frameLevel: boolean;
  /** Requested projection dims (0: none). */
  readonly #project: number;
  /** The projection in use (undefined: the graph holds full vectors). */
  #projection: Projection | undefined;
  #hnsw: Hnsw;
  /** Labels marked deleted in the graph (hnswlib does not expose them). */
  #tombstones = new Set<number>();
  /** The change-log position this graph reflects. */
  #seq = 0;
  /** Stored generation this graph came from or was written as; -1 before load. */
  #generation = -1;

  constructor(key: IndexKey, dim: number, options: VectorIndexOptions = {}) {
    this.modelId = key.modelId;
    this.modality = key.modality;
    this.dim = dim;
    this.#project = options.project !== undefined && options.project > 0 && options.project < dim ? options.project : 0;
    // Decided here, before the projection is fitted: a graph asked to be projected keeps these parameters
    // even when the projection is then skipped (too little energy), so its stored meta still matches.
    const projected = this.#project > 0;
    this.params = {
      dim,
      m: options.m ?? (projected ? PROJECTED_M : HNSW_M),
      efConstruction: options.efConstruction ?? (projected ? PROJECTED_EF_CONSTRUCTION : HNSW_EF_CONSTRUCTION),
    };
    this.#ef = options.ef ?? HNSW_EF_SEARCH;
    this.#chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#tmpDir = options.tmpDir;
    this.#frameLevel = options.frameLevel === true;
    this.#hnsw = this.#emptyGraph(0);
  }

  get key(): IndexKey {
    return { modelId: this.modelId, modality: this.modality };
  }

  /** Live vectors (tombstones not counted). */
  get size(): number {
    return this.#hnsw.getCurrentCount() - this.#tombstones.size;
  }

  /** The projection the graph is built on, if any. */
  get projection(): Projection | undefined {
    return this.#projection;
  }

  /** How many labels to ask search() for so that an exact re-rank finds the best k. */
  candidates(k: number): number {
    return this.#projection === undefined ? k : Math.max(k, PROJECTED_CANDIDATES);
  }

  get deletedCount(): number {
    return this.#tombstones.size;
  }

  get generation(): number {
    return this.#generation;
  }

  get needsCompaction(): boolean {
    const total = this.#hnsw.getCurrentCount();
    return total > 0 && this.#tombstones.size > COMPACT_AT * total;
  }

  /**
   * Loads the stored graph and catches it up with the embeddings written since; rebuilds from the
   * embeddings table when there is none, it does not verify, or catching up would cost about as much.
   * A graph that changed (rebuilt or caught up) is persisted again unless `persist` is false.
   */
  load(db: Database, { persist = true }: { persist?: boolean } = {}): LoadOutcome {
    sweepTempFiles(this.#tmpDirFor(db));
    const outcome = this.#loadOrRebuild(db);
    if (outcome.source === 'stored' && this.needsCompaction) {
      this.rebuild(db);
      if (persist) this.persist(db);
      return { source: 'rebuilt', reason: 'compacted' };
    }
    if (persist && (outcome.source === 'rebuilt' || outcome.caughtUp > 0)) this.persist(db);
    return outcome;
  }

  #loadOrRebuild(db: Database): LoadOutcome {
    const meta = readIndexMeta(db, this.key);
    const rebuilt = (reason: string): LoadOutcome => {
      this.rebuild(db);
      return { source: 'rebuilt', reason };
    };
    if (meta === undefined || meta.chunkCount === 0) return rebuilt('missing');
    if (meta.dim !== this.dim || meta.m !== this.params.m || meta.efConstruction !== this.params.efConstruction) return rebuilt('other parameters');
    if (countChanges(db, this.key, meta.seq) > Math.max(1000, meta.vectorCount / 2)) return rebuilt('stale');
    const file = this.#tmpFile(db);
    try {
      const problem = restoreGraphFile(db, this.key, meta, file);
      if (problem !== null) return rebuilt(`corrupt: ${problem}`);
      const stored = readProjection(file, this.dim);
      if (stored === 'corrupt') return rebuilt('corrupt: projection');
      if (stored.requested !== this.#project) return rebuilt('other parameters');
      const graphDim = stored.projection?.d ?? this.dim;
      const graph = new HierarchicalNSW('ip', graphDim);
      try {
        graph.readIndexSync(file);
      } catch (e) {
        return rebuilt(`corrupt: ${(e as Error).message}`);
      }
      if (graph.getNumDimensions() !== graphDim) return rebuilt('corrupt: other dimension');
      graph.setEf(this.#ef);
      this.#hnsw = graph;
      this.#projection = stored.projection;
    } finally {
      rmSync(file, { force: true });
    }
    this.#tombstones = new Set(meta.tombstones);
    this.#seq = meta.seq;
    this.#generation = meta.generation;
    const caughtUp = this.#applyLog(db);
    // Belt and braces: the graph must hold exactly the stored vectors.
    if (this.size !== countVectors(db, this.modelId, this.modality)) return rebuilt('stale: vector count differs');
    return { source: 'stored', caughtUp };
  }

  /**
   * Brings the graph up to date with the embeddings table (through the change log). When another
   * process stored a newer generation, the log it trimmed is gone, so the graph is loaded again.
   * Returns how many windows were added, replaced or removed (those already in the graph are skipped).
   */
  sync(db: Database): number {
    const meta = readIndexMeta(db, this.key);
    if (meta === undefined || meta.generation !== this.#generation) {
      const outcome = this.load(db, { persist: false });
      return outcome.source === 'stored' ? outcome.caughtUp : this.size;
    }
    return this.#applyLog(db);
  }

  #applyLog(db: Database): number {
    const { changes, seq } = db.transaction(() => {
      const upTo = currentChangeSeq(db);
      return { changes: loggedChanges(db, this.key, this.#seq, upTo), seq: upTo };
    })();
    let applied = 0;
    for (const c of changes) {
      if (!this.#frameLevel) {
        if (c.vector === null) {
          applied += this.remove([c.windowId]);
        } else if (c.changed || !this.has(c.windowId)) {
          this.add([c.windowId], decodeVector(c.vector));
          applied++;
        }
        continue;
      }
      // A window's frames are replaced together: the new row may hold other frames than the old.
      const labels = c.frames === null ? [] : maskFrames(c.frames).map((k) => frameLabel(c.windowId, k));
      if (c.vector !== null && !c.changed && labels.length > 0 && labels.every((l) => this.has(l))) continue;
      const removed = this.remove(Array.from({ length: FRAME_SLOTS }, (_, k) => frameLabel(c.windowId, k)));
      if (c.vector !== null && labels.length > 0) this.add(labels, decodeVector(c.vector));
      applied += c.vector === null ? Math.min(removed, 1) : 1;
    }
    this.#seq = seq;
    return applied;
  }

  /** Builds the graph from scratch from the embeddings table, in window-id order. */
  rebuild(db: Database): void {
    // The meta row first: from then on every change is logged, so none can fall between the snapshot
    // read below and the next catch-up.
    const meta = trackIndex(db, this.key, this.params);
    const count = countVectors(db, this.modelId, this.modality);
    this.#tombstones = new Set();
    db.transaction(() => {
      this.#seq = currentChangeSeq(db);
      this.#projection = this.#project > 0 ? this.#fitProjection(db, count) : undefined;
      this.#hnsw = this.#emptyGraph(count);
      for (const b of embeddingBatches(db, this.modelId, this.modality)) this.add(b.ids, b.vectors);
    })();
    this.#generation = meta.generation;
  }

  /** Fits the projection on a strided sample of the stored vectors; undefined when it would lose too much. */
  #fitProjection(db: Database, count: number): Projection | undefined {
    const p = fitStoredProjection(db, this.key, this.dim, this.#project, count)?.projection;
    return p !== undefined && p.energy >= PROJECT_MIN_ENERGY ? p : undefined;
  }

  /** Rebuilds without the tombstones and stores the result. */
  compact(db: Database): void {
    this.rebuild(db);
    this.persist(db);
  }

  /** Adds (or replaces) vectors; `vectors` holds ids.length rows of dim numbers. */
  add(ids: ArrayLike<number>, vectors: Float32Array): void {
    if (vectors.length !== ids.length * this.dim) throw new Error(`${ids.length} ids but ${vectors.length / this.dim} vectors of ${this.dim}`);
    this.#reserve(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.#tombstones.delete(id); // addPoint revives a deleted label
      this.#hnsw.addPoint(this.#graphVector(vectors.subarray(i * this.dim, (i + 1) * this.dim)), id);
    }
  }

  /** Marks ids deleted (tombstones); ids not in the graph are ignored. Returns how many were removed. */
  remove(ids: Iterable<number>): number {
    let n = 0;
    for (const id of ids) {
      if (!this.has(id)) continue;
      this.#hnsw.markDelete(id);
      this.#tombstones.add(id);
      n++;
    }
    return n;
  }

  has(id: number): boolean {
    if (this.#tombstones.has(id)) return false;
    try {
      this.#hnsw.getPoint(id); // throws "Label not found" for unknown labels
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The k nearest live vectors by inner product. The query is normalised, so scores are cosines — on a
   * projected graph, cosines of the projections (approximate: re-rank candidates(k) of them exactly).
   */
  search(query: Float32Array, k: number, ef = this.#ef): SearchResult {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} numbers, the index ${this.dim}`);
    const want = Math.min(k, this.size);
    if (want <= 0) return { ids: [], scores: [] };
    this.#hnsw.setEf(Math.max(ef, want));
    const r = this.#hnsw.searchKnn(this.#graphVector(query), want);
    return { ids: r.neighbors, scores: r.distances.map((d) => 1 - d) };
  }

  /**
   * Stores the graph as a new generation (see storeGraphFile), after catching up with the log so the
   * stored graph covers as much as possible. Returns the generation.
   */
  persist(db: Database): number {
    if (this.#generation === -1) throw new Error('load() or rebuild() the index before persisting it');
    this.#applyLog(db);
    const file = this.#tmpFile(db);
    try {
      this.#hnsw.writeIndexSync(file);
      // The projection (or, when one was asked for, the note that none is used) travels with the graph.
      if (this.#project > 0) appendFileSync(file, encodeProjection(this.#project, this.#projection, this.dim));
      this.#generation = storeGraphFile(
        db,
        this.key,
        file,
        { seq: this.#seq, vectorCount: this.size, tombstones: Float64Array.from(this.#tombstones), params: this.params },
        this.#chunkBytes,
      );
      return this.#generation;
    } finally {
      rmSync(file, { force: true });
    }
  }

  #emptyGraph(capacity: number): Hnsw {
    const g = new HierarchicalNSW('ip', this.#projection?.d ?? this.dim);
    g.initIndex({ maxElements: Math.max(1024, capacity), m: this.params.m, efConstruction: this.params.efConstruction, randomSeed: RANDOM_SEED });
    g.setEf(this.#ef);
    return g;
  }

  /** Grows capacity geometrically before adds (resizeIndex copies the graph, so not one by one). */
  #reserve(more: number): void {
    const need = this.#hnsw.getCurrentCount() + more;
    const max = this.#hnsw.getMaxElements();
    if (need > max) this.#hnsw.resizeIndex(Math.max(need, Math.ceil(max * 1.5)));
  }

  /** The row the graph holds for a vector: normalised, then projected when the graph is. */
  #graphVector(v: Float32Array): number[] {
    const n = normalised(v);
    if (this.#projection === undefined) return n;
    const out = new Array<number>(this.#projection.d);
    projectInto(this.#projection, n, out);
    return out;
  }

  #tmpDirFor(db: Database): string {
    return this.#tmpDir ?? (db.memory ? os.tmpdir() : path.dirname(db.name));
  }

  #tmpFile(db: Database): string {
    return path.join(this.#tmpDirFor(db), `.hnsw-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  }
}

/**
 * Reads and strips the projection trailer of a restored graph file (db/projection.ts), leaving the plain
 * hnswlib file. requested 0: the graph was stored without one.
 */
function readProjection(file: string, dim: number): { requested: number; projection: Projection | undefined } | 'corrupt' {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  let t: ReturnType<typeof projectionTrailer>;
  let rows: Float32Array;
  try {
    const tail = Buffer.alloc(Math.min(size, PROJECTION_HEADER_BYTES));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    t = projectionTrailer(tail);
    if (t === undefined) return { requested: 0, projection: undefined };
    if (t.dim !== dim || t.bytes > size) return 'corrupt';
    rows = new Float32Array(t.d * dim);
    readSync(fd, new Uint8Array(rows.buffer), 0, rows.byteLength, size - t.bytes);
  } finally {
    closeSync(fd);
  }
  truncateSync(file, size - t.bytes);
  return { requested: t.requested, projection: t.d === 0 ? undefined : { dim, d: t.d, basis: rows, energy: t.energy } };
}

const TEMP_FILE = /^\.hnsw-(\d+)-[0-9a-f]{8}\.tmp$/;

/** Removes temporary graph files left by processes that died mid-persist (a graph can be GBs). */
function sweepTempFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(TEMP_FILE.exec(name)?.[1] ?? NaN);
    if (Number.isNaN(pid) || pid === process.pid || isAlive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function normalised(v: Float32Array): number[] {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}
