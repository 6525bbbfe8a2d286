// A large collection searched by scanning, not by a graph: every vector projected to d dims (PCA,
// db/projection.ts) and stored as int8 codes in the scan's thread (native-models/int8-scan/), where each query
// scores all of them in one ONNX Runtime MatMulInteger and keeps the best candidates for the engine's
// exact re-rank. Measured against the projected HNSW graph it replaces (bench/search-scale.bench.ts, 1M
// latent128): recall@10 1.000 against 0.984, p50 6.5 ms against 42 ms re-ranked in memory, built from
// the vectors at ≈70k vectors/s against 673 — see docs/scaling.md. The codes are stored in SQLite as the
// pair's chunks (core/search/scan-file.ts, db/graph-chunks.ts with m = 0), so a later process starts from
// them; they are caught up through the same change log as a graph and stored again as changes pile up.
import os from 'node:os';
import type { Database } from '../../db/connection.ts';
import { countVectors, embeddingBatches } from '../../db/embeddings.ts';
import type { IndexKey, IndexMeta, IndexParams } from '../../db/graph-chunks.ts';
import { currentChangeSeq, loggedChanges, readIndexMeta, restoreGraphBytes, storeGraphBytes, trackIndex } from '../../db/graph-chunks.ts';
import { write } from '../../db/connection.ts';
import { fitStoredProjection, PROJECT_MIN_ENERGY } from '../../db/projection-fit.ts';
import { projectInto } from '../../db/projection.ts';
import type { Projection } from '../../db/projection.ts';
import { decodeVector } from '../../db/vector-codec.ts';
import { FRAME_SLOTS, frameLabel, labelWindow, maskFrames } from '../../base/window-plan.ts';
import { normaliseInPlace } from './vectors.ts';
import { decodeScan, encodeScan } from './scan-file.ts';
import { calibrateBound, ScanErrorBound } from './scan-rerank.ts';
import { storedCosines, storedVectorsOf } from './stored-vectors.ts';
import { Int8Scanner } from '../../native-models/int8-scan/scanner.ts';

/**
 * Candidates handed to the exact re-rank. At 1M latent128 rows 100 and 200 both gave recall@10 1.000
 * (bench/search-scale.bench.ts); 200 leaves room for real embeddings, whose spectra are unmeasured. The
 * re-rank reads only those that can still enter the top k (scan-rerank.ts): 50 of them on that data.
 */
export const SCAN_CANDIDATES = 200;
/** Sample rows that set each dimension's int8 step (their largest |value|, with headroom). */
const SCALE_ROWS = 2_000;
/** Headroom over the sample's largest value: rarer larger values saturate (the re-rank is exact anyway). */
const SCALE_HEADROOM = 1.25;
/**
 * Changes caught up since the codes were last stored past which they are stored again: max(this, 5 % of
 * the rows). Storing costs about as much as reading the codes back (≈1 s per million rows); it also
 * trims the change log and makes every other process holding the pair load the new codes.
 */
const STORE_AFTER_CHANGES = 5_000;
/**
 * Queries that calibrate the re-rank's error bound when the codes are built: this many of the collection's
 * own vectors (strided over the fit sample), and as many of the paired modality's vectors of the windows
 * they find — the cross-modal queries the product mostly asks. Each reads all SCAN_CANDIDATES candidates:
 * at 1M rows ≈0.3 s in all, against ≈30 s for the build.
 */
const CALIBRATION_QUERIES = 16;
/** A collection this many times the size it was fitted at is fitted (and coded) again. */
const REFIT_GROWTH = 2;
/** ONNX Runtime threads for a scan: it is bound by memory reads, which more than a few threads do not speed up. */
export const SCAN_THREADS = Math.min(4, os.availableParallelism());

/** `from`: the stored codes (then caught up with the log), or built from the embeddings (then stored). */
export type ScanLoad = { readonly loaded: true; readonly count: number; readonly from: 'stored' | 'built' } | { readonly loaded: false; readonly why: string };

/** A scan's meta row: m = 0 tells it from an HNSW graph's (whose loader then rebuilds rather than read it). */
function scanParams(dim: number): IndexParams {
  return { dim, m: 0, efConstruction: 0 };
}

/** Closes a scan's thread when its owner is collected without close(). */
const orphaned = new FinalizationRegistry<Int8Scanner>((s) => s.close());

export class ProjectedScan {
  readonly key: IndexKey;
  readonly dim: number;
  /** Projected dims. */
  readonly d: number;
  readonly frameLevel: boolean;
  #scanner: Int8Scanner | undefined;
  #projection: Projection | undefined;
  #steps: Float32Array | undefined;
  #seq = 0;
  #generation = -1;
  /** Vectors stored when the projection was fitted. */
  #fitCount = 0;
  /** Changes applied since the codes were last stored. */
  #unstored = 0;
  #bound = new ScanErrorBound();

  constructor(key: IndexKey, dim: number, d: number, frameLevel = false) {
    this.key = key;
    this.dim = dim;
    this.d = d;
    this.frameLevel = frameLevel;
  }

  /** Live vectors. */
  get size(): number {
    return this.#scanner?.count ?? 0;
  }

  /** Memory the codes take in the scan's thread. */
  get bytes(): number {
    return this.#scanner?.bytes ?? 0;
  }

  get projection(): Projection | undefined {
    return this.#projection;
  }

  /** How far the scores of these codes err from exact cosines (the engine's re-rank stops by it, scan-rerank.ts). */
  get bound(): ScanErrorBound {
    return this.#bound;
  }

  /**
   * Starts from the stored codes when there are usable ones; else fits the projection, codes every stored
   * vector and stores the codes. Declines (holding nothing) when the projection would keep less than
   * PROJECT_MIN_ENERGY of the vectors' energy (then a full-dim graph serves better), or when nothing is
   * stored to fit it to.
   */
  load(db: Database): ScanLoad {
    const count = countVectors(db, this.key.modelId, this.key.modality);
    const restored = this.#restore(db, count);
    if (restored !== undefined) return restored;
    const fit = fitStoredProjection(db, this.key, this.dim, this.d, count);
    if (fit === undefined || fit.projection.energy < PROJECT_MIN_ENERGY) {
      this.close();
      return { loaded: false, why: fit === undefined ? 'nothing stored' : `the projection keeps ${fit.projection.energy.toFixed(3)} of the energy` };
    }
    // The index row first: from then on every change is logged, so none falls between the read below and
    // the next catch-up.
    trackIndex(db, this.key, scanParams(this.dim));
    const steps = scanSteps(fit.projection, fit.sample);
    for (;;) {
      const scanner = this.#fresh(fit.projection, steps, count);
      const seq = db.transaction(() => {
        const at = currentChangeSeq(db);
        for (const b of embeddingBatches(db, this.key.modelId, this.key.modality)) scanner.add(b.ids, normaliseInPlace(b.vectors, this.dim));
        return at;
      })();
      this.#calibrate(db, fit.sample);
      // Stored as a new generation: a stored graph of the pair and the log up to `seq` go, and every other
      // process holding the pair loads again (from these codes).
      const generation = this.#store(db, seq);
      if (generation === undefined) continue; // another process stored past this snapshot: read again
      this.#seq = seq;
      this.#generation = generation;
      return { loaded: true, count: scanner.count, from: 'built' };
    }
  }

  /** Loads the stored codes and catches them up; undefined when there are none fit to use. */
  #restore(db: Database, count: number): ScanLoad | undefined {
    const stored = db.transaction((): { meta: IndexMeta; bytes: Buffer } | undefined => {
      const meta = readIndexMeta(db, this.key);
      if (meta === undefined || meta.m !== 0 || meta.chunkCount === 0 || meta.dim !== this.dim) return undefined;
      const bytes = restoreGraphBytes(db, this.key, meta);
      return typeof bytes === 'string' ? undefined : { meta, bytes };
    })();
    if (stored === undefined) return undefined;
    const snap = decodeScan(stored.bytes, this.dim, this.d);
    if (typeof snap === 'string' || count > REFIT_GROWTH * snap.fitCount) return undefined;
    const scanner = this.#fresh(snap.projection, snap.steps, snap.fitCount, snap.error);
    scanner.addCodes(snap.labels, snap.codes);
    this.#seq = stored.meta.seq;
    this.#generation = stored.meta.generation;
    if (!this.sync(db)) return { loaded: false, why: 'the stored codes could not be caught up' };
    this.#warm(db);
    return { loaded: true, count: this.size, from: 'stored' };
  }

  /**
   * Stores the codes as they stand at `seq` as the pair's new generation, unless another process has
   * stored past `seq` or (with `expected`) stored at all since this one's generation. Returns the generation.
   */
  #store(db: Database, seq: number, expected?: number): number | undefined {
    const { labels, codes } = this.#scanner!.export();
    const error = this.#bound.learnt;
    const bytes = encodeScan({ projection: this.#projection!, steps: this.#steps!, fitCount: this.#fitCount, labels, codes, ...(error !== undefined ? { error } : {}) });
    const generation = write(db, () => {
      const meta = readIndexMeta(db, this.key);
      if (meta === undefined || meta.seq > seq || (expected !== undefined && meta.generation !== expected)) return undefined;
      return storeGraphBytes(db, this.key, bytes, { seq, vectorCount: labels.length, tombstones: new Float64Array(0), params: scanParams(this.dim) });
    });
    if (generation !== undefined) this.#unstored = 0;
    return generation;
  }

  /**
   * Catches up with the embeddings table through the change log; loads again when another process moved
   * the generation. False when that load declined (the scan then holds nothing).
   */
  sync(db: Database): boolean {
    const meta = readIndexMeta(db, this.key);
    if (this.#scanner === undefined || meta === undefined || meta.generation !== this.#generation || meta.seq > this.#seq) return this.load(db).loaded;
    const { changes, seq } = db.transaction(() => {
      const upTo = currentChangeSeq(db);
      return { changes: loggedChanges(db, this.key, this.#seq, upTo), seq: upTo };
    })();
    const gone: number[] = [];
    const labels: number[] = [];
    const rows: Float32Array[] = [];
    for (const c of changes) {
      if (this.frameLevel) {
        // A window's frames are replaced together: the new row may hold other frames than the old.
        for (let k = 0; k < FRAME_SLOTS; k++) gone.push(frameLabel(c.windowId, k));
        if (c.vector === null || c.frames === null) continue;
        const v = decodeVector(c.vector);
        maskFrames(c.frames).forEach((k, i) => {
          labels.push(frameLabel(c.windowId, k));
          rows.push(v.subarray(i * this.dim, (i + 1) * this.dim));
        });
      } else if (c.vector === null) {
        gone.push(c.windowId);
      } else {
        labels.push(c.windowId);
        rows.push(decodeVector(c.vector));
      }
    }
    const scanner = this.#scanner;
    if (gone.length > 0) scanner.remove(Float64Array.from(gone));
    if (labels.length > 0) {
      const block = new Float32Array(labels.length * this.dim);
      rows.forEach((r, i) => block.set(r, i * this.dim));
      scanner.add(Float64Array.from(labels), normaliseInPlace(block, this.dim));
    }
    this.#seq = seq;
    this.#unstored += changes.length;
    if (this.#unstored > Math.max(STORE_AFTER_CHANGES, 0.05 * this.size)) {
      // Not stored when another process stored meanwhile: the next sync loads its codes instead.
      const generation = this.#store(db, seq, this.#generation);
      if (generation !== undefined) this.#generation = generation;
    }
    return true;
  }

  /** The k best labels for a normalised query: candidates, to re-rank exactly. */
  search(q: Float32Array, k: number): number[] {
    return this.searchScored(q, k).labels;
  }

  /** search() with each candidate's approximate cosine (decreasing). */
  searchScored(q: Float32Array, k: number): { labels: number[]; approx: Float32Array } {
    if (this.#scanner === undefined) return { labels: [], approx: new Float32Array(0) };
    const hits = this.#scanner.search(q, k);
    return { labels: Array.from(hits.labels), approx: hits.scores };
  }

  close(): void {
    if (this.#scanner === undefined) return;
    orphaned.unregister(this);
    this.#scanner.close();
    this.#scanner = undefined;
  }

  /**
   * Learns the error bound of freshly built codes from CALIBRATION_QUERIES rows of `sample` (normalised rows
   * of this collection) and the paired modality's vectors of the windows they find. Reads ≈6,400 stored rows.
   */
  #calibrate(db: Database, sample: Float32Array): void {
    const rows = sample.length / this.dim;
    const own = Array.from({ length: Math.min(rows, CALIBRATION_QUERIES) }, (_, i) => {
      const r = Math.floor((i * rows) / Math.min(rows, CALIBRATION_QUERIES));
      return sample.subarray(r * this.dim, (r + 1) * this.dim);
    });
    const search = (q: Float32Array): { labels: number[]; approx: Float32Array } => this.searchScored(q, SCAN_CANDIDATES);
    const exact = (q: Float32Array, ids: readonly number[]): Float32Array => storedCosines(db, this.key, this.frameLevel, q, ids);
    // Each own query's best hit is (nearly always) its own row: the other modality of that window asks across.
    const best: number[] = [];
    calibrateBound(this.#bound, own, (q) => {
      const hits = search(q);
      if (hits.labels[0] !== undefined) best.push(hits.labels[0]);
      return hits;
    }, exact);
    const windows = best.map((l) => (this.frameLevel ? labelWindow(l) : l));
    const other: IndexKey = { modelId: this.key.modelId, modality: this.key.modality === 'audio' ? 'visual' : 'audio' };
    const paired = storedVectorsOf(db, other, this.dim, false, windows);
    const across = windows.map((_, i) => paired.vectors.subarray(i * this.dim, (i + 1) * this.dim)).filter((_, i) => paired.found[i]);
    calibrateBound(this.#bound, across, search, exact);
  }

  /**
   * One search and its reads, answered by nobody, so that the first user search does not pay the first
   * run's costs: ONNX Runtime allocating for the scan (≈10 ms at 1M rows) and the first prepared reads
   * (≈4 ms). Measured at 1M in fresh processes: the first search took 31–36 ms against ≈10 for the rest,
   * which alone set the p99 of 100 searches. A build needs none: its calibration has searched.
   */
  #warm(db: Database): void {
    const q = this.#projection!.basis.subarray(0, this.dim);
    const hits = this.searchScored(q, SCAN_CANDIDATES);
    storedCosines(db, this.key, this.frameLevel, q, hits.labels.slice(0, 50));
  }

  /** A scan thread set to this projection and steps (the old one, if any, closed); `error`: a learnt bound. */
  #fresh(projection: Projection, steps: Float32Array, fitCount: number, error?: number): Int8Scanner {
    this.close();
    const scanner = new Int8Scanner();
    scanner.init(projection.basis, this.dim, this.d, steps, SCAN_THREADS);
    this.#scanner = scanner;
    this.#projection = projection;
    this.#steps = steps;
    this.#fitCount = fitCount;
    this.#unstored = 0;
    this.#bound = new ScanErrorBound(error);
    orphaned.register(this, scanner, this);
    return scanner;
  }
}

/** Each dimension's int8 step: the sample's largest |projected value| with headroom, over 127. */
export function scanSteps(p: Projection, sample: Float32Array): Float32Array {
  const steps = new Float32Array(p.d).fill(1 / 127);
  const rows = Math.min(SCALE_ROWS, sample.length / p.dim);
  const max = new Float32Array(p.d);
  const out = new Float32Array(p.d);
  for (let r = 0; r < rows; r++) {
    projectInto(p, sample.subarray(r * p.dim, (r + 1) * p.dim), out);
    for (let k = 0; k < p.d; k++) max[k] = Math.max(max[k]!, Math.abs(out[k]!));
  }
  for (let k = 0; k < p.d; k++) if (max[k]! > 0) steps[k] = (max[k]! * SCALE_HEADROOM) / 127;
  return steps;
}
