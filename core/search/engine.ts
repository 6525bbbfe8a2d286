// Nearest windows in one (model, modality) collection. Below EXACT_MAX_VECTORS the vectors are held in
// one contiguous Float32Array and every query scores them all (exact, and as fast as HNSW there — see
// bench/search.bench.ts); above it the persisted HNSW graph (db/vector-index.ts) proposes candidates,
// which are then re-scored exactly with the stored vectors, so every score returned is an exact cosine
// whatever the method. The collection is checked for changes before each query: cheaply (SQLite's
// data_version + this connection's total_changes), then by a signature or the HNSW change log.
import type { Database } from '../../db/connection.ts';
import { writeMark } from '../../db/connection.ts';
import { countVectors, embeddingsSignature, readAllEmbeddings } from '../../db/embeddings.ts';
import type { IndexKey } from '../../db/graph-chunks.ts';
import { labelWindow } from '../../base/window-plan.ts';
import type { Modality } from '../../base/types.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { ProjectedScan, SCAN_CANDIDATES } from './projected-scan.ts';
import { rerankScanned } from './scan-rerank.ts';
import { storedCosines, storedVectorsOf } from './stored-vectors.ts';
import { dotRow, normaliseInPlace, scoreAll, topK } from './vectors.ts';

/**
 * Collections up to this many vectors are searched exactly. Measured (bench/search.bench.ts, D=768,
 * 2-core x86 VM, end to end after the query embedding): exact 2.1 ms p50 at 2k vectors against 1.5 ms
 * for HNSW (ef 200) + exact re-ranking; the scan costs ~1 µs per vector (4.2 ms at 5k, 9.7 ms at 10k,
 * 29 ms at 20k) while HNSW stays ~1.5–3 ms. So the crossover is ~2k; below it the scan is as fast and
 * needs no graph.
 */
export const EXACT_MAX_VECTORS = 2_000;
/** HNSW search breadth: recall@10 ≥ 0.95 on 100k structured 768-d vectors (ef 128 gave 0.947). */
export const SEARCH_EF = 200;

/**
 * The breadth for a collection of n vectors. Measured (bench/search.bench.ts, structured 768-d):
 * recall@10 at ef 200 is 0.999 at 10k, 0.990 at 100k but 0.919 at 1M (ef 256: 0.945), so past 100k
 * ef grows as (n/100k)^0.3 — 400 at 1M, where latency is still ~10 ms. (ef 400 at 1M is extrapolated,
 * not yet measured: the 1M graph takes 70 min to build here.)
 */
export function efFor(n: number): number {
  return n <= 100_000 ? SEARCH_EF : Math.round(SEARCH_EF * (n / 100_000) ** 0.3);
}

/**
 * From this many vectors a collection is searched by the int8 scan of its PCA projection to PROJECT_DIMS
 * dims (core/search/projected-scan.ts), whose candidates are re-ranked exactly below; measured in
 * bench/search-scale.bench.ts (README "Search at scale"). When the projection keeps < 90 % of the energy
 * the scan declines and a full-dim graph serves instead (db/vector-index.ts, asked to project, finds the
 * same and builds full-dim). A method forced to 'hnsw' from here builds the projected graph.
 */
export const PROJECT_FROM_VECTORS = 50_000;
export const PROJECT_DIMS = 128;

/**
 * Breadth on a projected graph (M 32 / efC 100, db/vector-index.ts) at 100k vectors. Measured
 * (bench/search-scale.bench.ts, latent128, docs/scaling.md): at 100k ef 400 → recall@10 0.954, ef 800 → 0.995;
 * the re-rank cannot add what the graph did not find, and more candidates did not either.
 */
export const PROJECTED_EF_100K = 800;
/**
 * How that breadth grows with n. Measured at 1M on the same data: ef 1,600 → 0.918, ef 3,200 → 0.984, so
 * keeping recall ≈ 0.98 takes ≈4× the breadth for 10× the vectors: (n/100k)^0.6. Recall first: at 1M this
 * costs p50 ≈ 42 ms (52 ms re-ranked from SQLite) on the shared 2-core machine, over the 10 ms goal.
 */
export const PROJECTED_EF_GROWTH = 0.6;

/** Breadth on a projected graph of n vectors, always past the candidates it must return (ef ≥ 2× them). */
export function projectedEf(n: number, candidates: number): number {
  return Math.max(2 * candidates, Math.round(PROJECTED_EF_100K * (n / 100_000) ** PROJECTED_EF_GROWTH));
}

/** exact: every vector scored in JS; hnsw: a graph's candidates re-ranked; scan: the int8 scan's candidates re-ranked. */
export type Method = 'exact' | 'hnsw' | 'scan';

export interface Scored {
  /** Labels (window ids; frame labels for a frame-level model), best first. */
  readonly ids: number[];
  /** Exact cosines, same order. */
  readonly scores: number[];
}

export interface EngineOptions {
  readonly exactMax?: number;
  /** Force a method whatever the size. */
  readonly method?: Method;
  /** Project the graph from this many vectors (default PROJECT_FROM_VECTORS; tests use small ones). */
  readonly projectFrom?: number;
}

export class ModalityEngine {
  readonly modelId: number;
  readonly modality: Modality;
  readonly dim: number;
  /** Entries are frames (labels windowId·16 + frame), not windows. */
  readonly frameLevel: boolean;
  readonly #key: IndexKey;
  #method: Method | undefined;
  #count = 0;
  // exact
  #ids: Float64Array<ArrayBufferLike> = new Float64Array(0);
  #vectors: Float32Array<ArrayBufferLike> = new Float32Array(0);
  #row: Map<number, number> | undefined;
  #signature = '';
  // hnsw
  #index: VectorIndex | undefined;
  // scan
  #scan: ProjectedScan | undefined;
  /** The scan declined this collection (its projection keeps too little): use a graph until restart. */
  #scanDeclined = false;
  /** Stored vectors the last search read to re-rank (tests, benches). */
  #lastReads = 0;
  // change detection
  #writeMark = '';

  constructor(modelId: number, modality: Modality, dim: number, frameLevel = false) {
    this.modelId = modelId;
    this.modality = modality;
    this.dim = dim;
    this.frameLevel = frameLevel;
    this.#key = { modelId, modality };
  }

  /** The window a label belongs to. */
  windowOf(label: number): number {
    return this.frameLevel ? labelWindow(label) : label;
  }

  get method(): Method | undefined {
    return this.#method;
  }

  /** Stored vectors the last search read for its exact re-rank. */
  get lastReads(): number {
    return this.#lastReads;
  }

  /** Stored vectors in the collection. */
  get size(): number {
    return this.#count;
  }

  /** Brings the in-memory view up to date with the database; picks the method by size. */
  refresh(db: Database, options: EngineOptions = {}): void {
    const unchanged = writeMark(db) === this.#writeMark;
    if (unchanged && this.#method !== undefined && (options.method === undefined || options.method === this.#method)) return;
    this.#count = countVectors(db, this.modelId, this.modality);
    const projectFrom = options.projectFrom ?? PROJECT_FROM_VECTORS;
    let method: Method = options.method ?? (this.#count <= (options.exactMax ?? EXACT_MAX_VECTORS) ? 'exact' : this.#count >= projectFrom && !this.#scanDeclined ? 'scan' : 'hnsw');
    if (method === 'scan' && !this.#refreshScan(db)) method = 'hnsw';
    if (method !== 'scan') {
      this.#scan?.close();
      this.#scan = undefined;
    }
    if (method === 'exact') {
      this.#index = undefined;
      const signature = embeddingsSignature(db, this.modelId, this.modality);
      if (this.#method !== 'exact' || signature !== this.#signature) {
        const all = readAllEmbeddings(db, this.modelId, this.modality);
        this.#ids = all.ids;
        this.#vectors = all.dim === this.dim || all.ids.length === 0 ? normaliseInPlace(all.vectors, this.dim) : new Float32Array(0);
        if (all.ids.length > 0 && all.dim !== this.dim) throw new Error(`stored ${this.modality} vectors have ${all.dim} numbers, the model ${this.dim}`);
        this.#row = undefined;
        this.#signature = signature;
      }
    } else {
      this.#ids = new Float64Array(0);
      this.#vectors = new Float32Array(0);
      this.#row = undefined;
      this.#signature = '';
    }
    if (method === 'hnsw') {
      if (this.#index === undefined) {
        const project = this.#count >= projectFrom ? PROJECT_DIMS : undefined;
        this.#index = new VectorIndex({ modelId: this.modelId, modality: this.modality }, this.dim, { ef: SEARCH_EF, frameLevel: this.frameLevel, project });
        this.#index.load(db);
      } else {
        this.#index.sync(db);
      }
    } else {
      this.#index = undefined;
    }
    this.#method = method;
    // Loading may itself write (a rebuilt graph is persisted): read the counters afterwards.
    this.#writeMark = writeMark(db);
  }

  /** Loads or catches up the scan; false when it declined this collection. */
  #refreshScan(db: Database): boolean {
    if (this.#scan !== undefined) {
      if (this.#scan.sync(db)) return true;
    } else {
      const scan = new ProjectedScan({ modelId: this.modelId, modality: this.modality }, this.dim, PROJECT_DIMS, this.frameLevel);
      if (scan.load(db).loaded) {
        this.#scan = scan;
        return true;
      }
    }
    this.#scan = undefined;
    this.#scanDeclined = true;
    return false;
  }

  /**
   * The k best entries (windows, or frames) for a normalised query, with exact scores, best first.
   * `accept` restricts the windows (filters); with HNSW the candidate list grows until k accepted ones
   * are found or the whole collection was looked at.
   */
  search(db: Database, q: Float32Array, k: number, options: { ef?: number; accept?: (windowId: number) => boolean } = {}): Scored {
    if (q.length !== this.dim) throw new Error(`query has ${q.length} numbers, the ${this.modality} index ${this.dim}`);
    if (k <= 0 || this.#count === 0) return { ids: [], scores: [] };
    const acceptWindow = options.accept;
    const accept = acceptWindow === undefined || !this.frameLevel ? acceptWindow : (label: number): boolean => acceptWindow(labelWindow(label));
    if (this.#method === 'exact') {
      const scores = scoreAll(this.#vectors, q);
      const ids = this.#ids;
      const rows = topK(scores, k, accept === undefined ? undefined : (i) => accept(ids[i]!));
      return { ids: rows.map((i) => ids[i]!), scores: rows.map((i) => scores[i]!) };
    }
    const size = this.size;
    let want = k;
    let ids: number[];
    let approxOf: Map<number, number> | undefined;
    for (;;) {
      let proposed: number[];
      let ask: number;
      if (this.#method === 'scan') {
        // The scan's hits are proposals ranked on int8 projections: the re-rank picks the best k.
        ask = Math.max(want, SCAN_CANDIDATES);
        const hits = this.#scan!.searchScored(q, ask);
        proposed = hits.labels;
        approxOf = new Map(hits.labels.map((l, i) => [l, hits.approx[i]!]));
      } else {
        const index = this.#index!;
        // A projected graph's hits are proposals too: ask for more of them.
        ask = index.candidates(want);
        const ef = options.ef ?? (index.projection === undefined ? efFor(index.size) : projectedEf(index.size, ask));
        proposed = index.search(q, ask, Math.max(ef, ask)).ids;
      }
      ids = accept === undefined ? proposed : proposed.filter(accept);
      if (ids.length >= k || proposed.length < ask || ask >= size) break;
      want = Math.min(size, want * 4);
    }
    // Exact re-ranking with the stored vectors; the scan's candidates only as far as they can still matter.
    let exact: Float32Array;
    if (approxOf !== undefined) {
      const approx = Float32Array.from(ids, (id) => approxOf.get(id)!);
      // The bound belongs to the scan's projection and codes: calibrated when they were built (or stored with them).
      const r = rerankScanned(ids, approx, k, this.#scan!.bound, (part) => this.scoreIds(db, q, part));
      exact = r.exact;
      this.#lastReads = r.read;
    } else {
      exact = this.scoreIds(db, q, ids);
      this.#lastReads = ids.length;
    }
    const order = topK(exact, k);
    return { ids: order.map((i) => ids[i]!), scores: order.map((i) => exact[i]!) };
  }

  /** Exact cosines of the given labels (NaN for those without a vector in this collection). */
  scoreIds(db: Database, q: Float32Array, ids: readonly number[]): Float32Array {
    const out = new Float32Array(ids.length).fill(Number.NaN);
    if (this.#method === 'exact') {
      const row = this.#rowMap();
      ids.forEach((id, i) => {
        const r = row.get(id);
        if (r !== undefined) out[i] = dotRow(this.#vectors, r, q);
      });
      return out;
    }
    return storedCosines(db, this.#key, this.frameLevel, q, ids);
  }

  /** Stored vectors (normalised) of the given labels, row i for ids[i]; `found[i]` false where none is stored. */
  vectorsOf(db: Database, ids: readonly number[]): { vectors: Float32Array; found: boolean[] } {
    if (this.#method === 'exact') {
      const vectors = new Float32Array(ids.length * this.dim);
      const found = ids.map(() => false);
      const row = this.#rowMap();
      ids.forEach((id, i) => {
        const r = row.get(id);
        if (r === undefined) return;
        vectors.set(this.#vectors.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim);
        found[i] = true;
      });
      return { vectors, found };
    }
    return storedVectorsOf(db, this.#key, this.dim, this.frameLevel, ids);
  }

  /** Every label of the collection (for exact combination of both modalities). */
  allIds(): number[] | undefined {
    return this.#method === 'exact' ? Array.from(this.#ids) : undefined;
  }

  #rowMap(): Map<number, number> {
    if (this.#row === undefined) {
      const m = new Map<number, number>();
      this.#ids.forEach((id, i) => m.set(id, i));
      this.#row = m;
    }
    return this.#row;
  }
}

const engines = new WeakMap<Database, Map<string, ModalityEngine>>();

/** One engine per (database connection, model, modality), kept while the connection lives. */
export function engineFor(db: Database, modelId: number, modality: Modality, dim: number, frameLevel = false): ModalityEngine {
  let byKey = engines.get(db);
  if (byKey === undefined) {
    byKey = new Map();
    engines.set(db, byKey);
  }
  const key = `${modelId}:${modality}`;
  let e = byKey.get(key);
  if (e === undefined || e.dim !== dim || e.frameLevel !== frameLevel) {
    e = new ModalityEngine(modelId, modality, dim, frameLevel);
    byKey.set(key, e);
  }
  return e;
}
