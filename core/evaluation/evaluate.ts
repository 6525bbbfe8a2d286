// `foley eval` and the Models page's Evaluate button: one model → R@1/5/10 and the median rank both
// ways (spec §10) on this library (one window per file) or on a PAIRS.csv, optionally through the
// active trained adapter too (before/after), stored in `evaluations` (db/evaluations.ts).
import { latestFrames } from '../../db/runs.ts';
import { momentFrames } from '../../base/window-plan.ts';
import { activeVersion, versionParams } from '../../db/learning.ts';
import { addEvaluation } from '../../db/evaluations.ts';
import type { StoredEvaluation } from '../../db/evaluations.ts';
import { listModels } from '../../db/models.ts';
import type { Model } from '../../db/models.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { adaptVectors } from '../learning/training/adapter.ts';
import { embedPairs, readPairsCsv } from './csv-pairs.ts';
import { DEFAULT_LIMIT, DEFAULT_SEED, libraryPairs } from './library-pairs.ts';
import { evaluatePairs } from './metrics.ts';
import type { BothWays, RetrievalFigures } from './metrics.ts';

export interface EvalProgress {
  readonly stage: 'embed' | 'rank';
  readonly done: number;
  readonly total: number;
  /** Milliseconds left at the rate so far; null before there is a rate. */
  readonly etaMs: number | null;
}

export interface EvaluateOptions {
  readonly model?: string;
  /** PAIRS.csv; without it, library mode. */
  readonly pairs?: string;
  /** Library mode: at most this many files (default 5,000). */
  readonly limit?: number;
  /** Library mode: which window of each file (default 1). */
  readonly seed?: number;
  /** Also through the active trained adapter (an error when there is none). */
  readonly adapter?: boolean;
  readonly session?: SessionOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: EvalProgress) => void;
}

export interface EvaluationResult extends BothWays {
  readonly model: string;
  readonly mode: 'library' | 'pairs';
  /** Library mode's seed; null for pairs. */
  readonly seed: number | null;
  /** Library mode: files with both a sound and a picture vector (n ≤ it, capped by limit). */
  readonly eligibleFiles: number | null;
  /** With `adapter`: the same pairs through the active adapter (the top-level figures are without it). */
  readonly adapter: ({ readonly version: number } & Omit<BothWays, 'n'>) | null;
  /** The stored row of the plain figures. */
  readonly stored: StoredEvaluation;
}

/** The database row of an installed model without writing (an indexer may hold the write lock). */
export function findModelRow(library: Library, model: InstalledModel): Model | undefined {
  const m = model.manifest;
  return listModels(library.db).find((r) => r.name === m.name && r.checkpointSha256 === m.source.sha256 && r.precision === m.precision);
}

function progressReporter(options: EvaluateOptions, total: number): (stage: EvalProgress['stage'], done: number) => void {
  const started = performance.now();
  return (stage, done) => {
    const elapsed = performance.now() - started;
    const etaMs = done > 0 ? Math.max(0, (elapsed / done) * (total - done)) : null;
    options.onProgress?.({ stage, done, total, etaMs });
  };
}

interface Pairs {
  readonly n: number;
  readonly dim: number;
  readonly audio: Float32Array;
  readonly visual: Float32Array;
  readonly eligibleFiles: number | null;
  /** Frame-level library mode: frames per row. */
  readonly frames?: number;
}

function activeAdapterOf(library: Library, row: Model | undefined, name: string): { version: number; params: Float32Array } {
  const v = row === undefined ? undefined : activeVersion(library.db, row.id, 'adapter');
  if (v === undefined) throw new FoleyError(`model ${name} has no active trained adapter (label some moments and run foley train, or leave out --adapter)`);
  return { version: v.id, params: versionParams(library.db, v.id) };
}

export async function evaluate(library: Library, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const model = await resolveModel(library.dataDir, options.model);
  const name = model.manifest.name;
  const limit = options.limit ?? DEFAULT_LIMIT;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new FoleyError(`limit must be an integer >= 1 (got ${limit})`);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new FoleyError(`seed must be an integer from 0 to 4294967295 (got ${seed})`);
  let row = findModelRow(library, model);
  // Checked before any work: a missing adapter should not cost a pairs file's embeddings.
  const adapter = options.adapter === true ? activeAdapterOf(library, row, name) : undefined;
  let pairs: Pairs;
  let report: (stage: EvalProgress['stage'], done: number) => void;
  const passes = adapter !== undefined ? 2 : 1;
  if (options.pairs === undefined) {
    const p = row === undefined ? undefined : libraryPairs(library.db, row, limit, seed, row.frameLevel ? indexedFrames(library, row) : undefined);
    if (p === undefined || p.n === 0) throw new FoleyError(`no indexed file has both a sound and a picture vector of model ${name} (index videos with it first)`, { code: 'not_found' });
    pairs = p;
    report = progressReporter(options, p.n * passes);
  } else {
    const csv = options.pairs;
    const rows = await readPairsCsv(csv);
    report = progressReporter(options, rows.length * (2 + passes));
    const e = await embedPairs(model, rows, csv, { ...options.session, ...(options.signal !== undefined ? { signal: options.signal } : {}), onCells: (done) => report('embed', done) });
    pairs = { ...e, eligibleFiles: null };
  }
  const base = options.pairs === undefined ? 0 : pairs.n * 2;
  const rank = { ...(options.signal !== undefined ? { signal: options.signal } : {}), ...(options.session?.threads !== undefined ? { threads: options.session.threads } : {}) };
  const plain = await evaluatePairs(pairs.audio, pairs.visual, pairs.n, pairs.dim, { ...rank, onRows: (done) => report('rank', base + done) });
  let adapted: BothWays | undefined;
  if (adapter !== undefined) {
    const a = adaptRows(adapter.params, pairs, 'audio');
    const v = adaptRows(adapter.params, pairs, 'visual');
    adapted = await evaluatePairs(a, v, pairs.n, pairs.dim, { ...rank, onRows: (done) => report('rank', base + pairs.n + done) });
  }
  row ??= modelRecord(library, model);
  const mode = options.pairs === undefined ? 'library' : 'pairs';
  // Library mode compares stored picture vectors: record how many frames per window they average.
  // A frame-level model (Sync) compares whole windows of that many moments by the clip score.
  const extra = {
    source: 'eval',
    ...(options.pairs !== undefined ? { pairs: options.pairs } : { limit, eligibleFiles: pairs.eligibleFiles, frames: latestFrames(library.db, row.id) }),
    ...(row.frameLevel ? { frameLevel: true } : {}),
  };
  const common = { modelId: row.id, mode, n: pairs.n, seed: mode === 'library' ? seed : null } as const;
  const stored = addEvaluation(library.db, { ...common, audioToVisual: plain.audioToVisual, visualToAudio: plain.visualToAudio, adapterVersion: null, extra });
  if (adapter !== undefined && adapted !== undefined) {
    const before = { audioToVisual: figures(plain.audioToVisual), visualToAudio: figures(plain.visualToAudio) };
    addEvaluation(library.db, { ...common, audioToVisual: adapted.audioToVisual, visualToAudio: adapted.visualToAudio, adapterVersion: adapter.version, extra: { ...extra, before } });
  }
  return {
    ...plain,
    model: name,
    mode,
    seed: common.seed,
    eligibleFiles: pairs.eligibleFiles,
    adapter: adapted === undefined ? null : { version: adapter!.version, audioToVisual: adapted.audioToVisual, visualToAudio: adapted.visualToAudio },
    stored,
  };
}

/** The clip frames a frame-level model's last run indexed per window (library mode compares those). */
function indexedFrames(library: Library, row: Model): { frames: number[] } {
  return { frames: momentFrames(latestFrames(library.db, row.id, 1)) };
}

/**
 * Pairs through the adapter. A frame-level row is F frame blocks (clipVector): each is adapted alone
 * (the adapter maps one model-wide vector) and renormalised, then the row scaled back to unit length
 * over its non-zero blocks.
 */
function adaptRows(params: Float32Array, pairs: Pairs, modality: 'audio' | 'visual'): Float32Array {
  const rows = modality === 'audio' ? pairs.audio : pairs.visual;
  const f = pairs.frames ?? 1;
  const d = pairs.dim / f;
  if (f === 1) return adaptVectors(params, d, modality, rows);
  const out = adaptVectors(params, d, modality, rows);
  for (let row = 0; row < pairs.n; row++) {
    const norms: number[] = [];
    for (let b = 0; b < f; b++) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += out[(row * f + b) * d + j]! ** 2;
      norms.push(Math.sqrt(ss));
    }
    const present = norms.filter((x) => x > 0).length;
    for (let b = 0; b < f; b++) {
      const inv = norms[b]! > 0 ? 1 / (norms[b]! * Math.sqrt(present)) : 0;
      for (let j = 0; j < d; j++) out[(row * f + b) * d + j]! *= inv;
    }
  }
  return out;
}

function figures(f: RetrievalFigures): { r1: number; r5: number; r10: number; medianRank: number } {
  return { r1: f.r1, r5: f.r5, r10: f.r10, medianRank: f.medianRank };
}
