// A large collection searched by scanning, not by a graph: every vector projected to d dims (PCA,
// db/projection.ts) and stored as int8 codes in the scan's thread (native-models/int8-scan/), where each query
// scores all of them in one ONNX Runtime MatMulInteger and keeps the best candidates for the engine's
// exact re-rank. Measured against the projected HNSW graph it replaces (bench/search-scale.bench.ts, 1M
// latent128): recall@10 1.000 against 0.984, p50 6.5 ms against 42 ms re-ranked in memory, built from
// the vectors at ≈70k vectors/s against 673 — see docs/scaling.md. The codes are rebuilt from the
// embeddings table at load (there is no graph to store) and caught up through the same change log as a
// graph (db/graph-chunks.ts).
import os from 'node:os';
import type { Database } from '../../db/connection.ts';
import { countVectors, embeddingBatches } from '../../db/embeddings.ts';
import type { IndexKey } from '../../db/graph-chunks.ts';
import { countLoggedUpTo, currentChangeSeq, loggedChanges, readIndexMeta, releaseStoredGraph, trackIndex } from '../../db/graph-chunks.ts';
import { fitStoredProjection, PROJECT_MIN_ENERGY } from '../../db/projection-fit.ts';
import { projectInto } from '../../db/projection.ts';
import type { Projection } from '../../db/projection.ts';
import { decodeVector } from '../../db/vector-codec.ts';
import { FRAME_SLOTS, frameLabel, maskFrames } from '../../base/window-plan.ts';
import { normaliseInPlace } from './vectors.ts';
import { Int8Scanner } from '../../native-models/int8-scan/scanner.ts';

/**
 * Candidates handed to the exact re-rank. At 1M latent128 rows 100 and 200 both gave recall@10 1.000
 * (bench/search-scale.bench.ts); 200 leaves room for real embeddings, whose spectra are unmeasured, at
 * ≈2 ms more of re-rank reads.
 */
export const SCAN_CANDIDATES = 200;
/** Sample rows that set each dimension's int8 step (their largest |value|, with headroom). */
const SCALE_ROWS = 2_000;
/** Headroom over the sample's largest value: rarer larger values saturate (the re-rank is exact anyway). */
const SCALE_HEADROOM = 1.25;
/** Log rows past which a load trims the change log (rows are small; a reload of every other holder is not). */
const TRIM_LOG_AT = 50_000;
/** ONNX Runtime threads for a scan: it is bound by memory reads, which more than a few threads do not speed up. */
export const SCAN_THREADS = Math.min(4, os.availableParallelism());

export type ScanLoad = { readonly loaded: true; readonly count: number } | { readonly loaded: false; readonly why: string };

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
  #seq = 0;
  #generation = -1;

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

  /**
   * Fits the projection and codes every stored vector. Declines (holding nothing) when the projection
   * would keep less than PROJECT_MIN_ENERGY of the vectors' energy (then a full-dim graph serves better),
   * or when nothing is stored to fit it to.
   */
  load(db: Database): ScanLoad {
    const count = countVectors(db, this.key.modelId, this.key.modality);
    const fit = fitStoredProjection(db, this.key, this.dim, this.d, count);
    if (fit === undefined || fit.projection.energy < PROJECT_MIN_ENERGY) {
      this.close();
      return { loaded: false, why: fit === undefined ? 'nothing stored' : `the projection keeps ${fit.projection.energy.toFixed(3)} of the energy` };
    }
    // The index row first: from then on every change is logged, so none falls between the read below and
    // the next catch-up.
    trackIndex(db, this.key, { dim: this.dim, m: 0, efConstruction: 0 });
    for (;;) {
      const scanner = this.#fresh(fit.projection, fit.sample);
      const seq = db.transaction(() => {
        const at = currentChangeSeq(db);
        for (const b of embeddingBatches(db, this.key.modelId, this.key.modality)) scanner.add(b.ids, normaliseInPlace(b.vectors, this.dim));
        return at;
      })();
      const meta = readIndexMeta(db, this.key)!;
      if (meta.seq > seq) continue; // another process trimmed the log past this snapshot: read again
      let generation: number | undefined = meta.generation;
      // The scan needs no stored graph: drop one (and the log it kept), and trim a long log. Both start a
      // generation, which makes every other process holding this pair load again, so only when worth it.
      if (meta.chunkCount > 0 || countLoggedUpTo(db, this.key, seq) > TRIM_LOG_AT) {
        generation = releaseStoredGraph(db, this.key, seq, scanner.count);
        if (generation === undefined) continue;
      }
      this.#seq = seq;
      this.#generation = generation;
      return { loaded: true, count: scanner.count };
    }
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
    return true;
  }

  /** The k best labels for a normalised query: candidates, to re-rank exactly. */
  search(q: Float32Array, k: number): number[] {
    if (this.#scanner === undefined) return [];
    return Array.from(this.#scanner.search(q, k).labels);
  }

  close(): void {
    if (this.#scanner === undefined) return;
    orphaned.unregister(this);
    this.#scanner.close();
    this.#scanner = undefined;
  }

  /** A scan thread set to this projection (the old one, if any, closed). */
  #fresh(projection: Projection, sample: Float32Array): Int8Scanner {
    this.close();
    const scanner = new Int8Scanner();
    scanner.init(projection.basis, this.dim, this.d, scanSteps(projection, sample), SCAN_THREADS);
    this.#scanner = scanner;
    this.#projection = projection;
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
