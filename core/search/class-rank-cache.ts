// Ranking every window by one class in milliseconds. The stored logits (db/class-logits.ts) are one
// 2 KiB row per window; reading them all for each query costs ~ a second at 100k windows. So each
// model's rank values (core/tagging/probability.ts rankValue: the logit for sigmoid lists, the
// log-probability for softmax ones) are held in memory once, class by class (column-major), as one
// byte per (class, window) on a per-class scale. A query scans its classes' columns (n bytes each),
// keeps every window whose value could still be in the top k given the rounding (at most half a
// step), and ranks those candidates exactly from their stored logits. The answer is therefore the
// exact top k of the stored probabilities; the bytes only decide which rows are worth reading.
// Memory: (classes + 8) bytes per window (53 MiB for 527 classes at 100k windows).
// Kept fresh by class_logits_versions: while rows are only added (tagging in the background), the
// new rows are read as one more segment with its own per-class scale; after an update or delete, or
// once there are many segments, everything is read again. Rows deleted since a read drop out at the
// exact step, since their rows are gone.
import type { Database } from '../../db/connection.ts';
import { classLogitsOf, classLogitsVersion, countClassLogits, iterateClassLogits } from '../../db/class-logits.ts';
import { logSumExp, rankValue } from '../tagging/probability.ts';
import type { Activation } from '../tagging/probability.ts';

export interface ClassRanking {
  readonly windowId: number;
  /** rankValue of the best class among those asked (monotone in its probability). */
  readonly value: number;
  readonly classIndex: number;
  readonly mode: string;
  readonly frames: number;
}

/** Rows read together, with one scale per class. */
interface Segment {
  readonly windowIds: Int32Array;
  /** numClasses × n, class-major: q = round((value − low[c]) / step[c]). */
  readonly bytes: Uint8Array;
  readonly low: Float64Array;
  readonly step: Float64Array;
  /** How far a byte's value may be from the true rank value, per class. */
  readonly err: Float64Array;
}

interface Columns {
  readonly version: number;
  readonly rewrites: number;
  /** The last rowid read: rows after it are new. */
  readonly lastRowid: number;
  readonly activation: Activation;
  readonly numClasses: number;
  readonly segments: readonly Segment[];
  readonly builtMs: number;
}

/** More segments than this and the next change reads everything again into one. */
const MAX_SEGMENTS = 16;

const caches = new Map<string, Columns>();

function cacheKey(db: Database, modelId: number): string {
  return `${db.name}\u0000${modelId}`;
}

interface HalfArrayCtor {
  new (length: number): { [i: number]: number; readonly length: number };
}
/** Float16Array (Node 24, Electron 45) halves the build's scratch; Float32Array where it is missing. */
const Scratch: HalfArrayCtor = (globalThis as { Float16Array?: HalfArrayCtor }).Float16Array ?? Float32Array;
/** Relative rounding of a scratch value: 2^-11 for float16, 2^-24 for float32. */
const SCRATCH_EPS = Scratch === (Float32Array as unknown as HalfArrayCtor) ? 2 ** -24 : 2 ** -11;

function floats(blob: Buffer, count: number): Float32Array {
  // SQLite's buffers are usually 4-byte aligned: view them; copy the odd one.
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, count);
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + count * 4));
}

/**
 * Rank values of the model's rows after rowid `after`, in one pass over them (into a float16 scratch,
 * row-major), then each class's range and bytes. Little-endian storage is assumed, as everywhere in db/.
 */
function readSegment(db: Database, modelId: number, numClasses: number, activation: Activation, after: number): { segment: Segment; lastRowid: number } {
  const total = countClassLogits(db, modelId, after);
  const scratch = new Scratch(total * numClasses);
  const low = new Float64Array(numClasses).fill(Infinity);
  const high = new Float64Array(numClasses).fill(-Infinity);
  const ids = new Int32Array(total);
  let n = 0;
  let lastRowid = after;
  for (const { rowid, windowId, logits } of iterateClassLogits(db, modelId, after)) {
    lastRowid = rowid;
    if (logits.byteLength !== numClasses * 4 || n === total) continue; // a head of another size
    const z = floats(logits, numClasses);
    const lse = activation === 'softmax' ? logSumExp(z) : 0;
    const at = n * numClasses;
    for (let c = 0; c < numClasses; c++) {
      const v = z[c]! - lse;
      scratch[at + c] = v;
      if (v < low[c]!) low[c] = v;
      if (v > high[c]!) high[c] = v;
    }
    ids[n++] = windowId;
  }
  const step = new Float64Array(numClasses);
  const err = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    if (n === 0) low[c] = high[c] = 0;
    step[c] = Math.max((high[c]! - low[c]!) / 255, 1e-9);
    // Half a step of rounding to bytes, the scratch's own rounding, and float32 slack.
    err[c] = step[c]! / 2 + Math.max(Math.abs(low[c]!), Math.abs(high[c]!)) * (SCRATCH_EPS + 1e-6) + 1e-6;
  }
  const bytes = new Uint8Array(numClasses * n);
  for (let c = 0; c < numClasses; c++) {
    const lo = low[c]!;
    const inv = 1 / step[c]!;
    const col = c * n;
    for (let i = 0; i < n; i++) {
      const q = Math.round((scratch[i * numClasses + c]! - lo) * inv);
      bytes[col + i] = q < 0 ? 0 : q > 255 ? 255 : q;
    }
  }
  return { segment: { windowIds: ids.subarray(0, n), bytes, low, step, err }, lastRowid };
}

function columns(db: Database, modelId: number, numClasses: number, activation: Activation): Columns {
  const key = cacheKey(db, modelId);
  const cached = caches.get(key);
  const now = classLogitsVersion(db, modelId);
  if (cached !== undefined && cached.version === now.version && cached.activation === activation && cached.numClasses === numClasses) return cached;
  // One read transaction: the rows and the version come from the same snapshot (WAL), however tagging
  // goes on in another connection meanwhile.
  const fresh = db
    .transaction((): Columns => {
      const t0 = performance.now();
      const v = classLogitsVersion(db, modelId);
      const append = cached !== undefined && cached.rewrites === v.rewrites && cached.activation === activation && cached.numClasses === numClasses && cached.segments.length < MAX_SEGMENTS;
      const after = append ? cached.lastRowid : 0;
      const { segment, lastRowid } = readSegment(db, modelId, numClasses, activation, after);
      const segments = append ? [...cached.segments, segment] : [segment];
      return { version: v.version, rewrites: v.rewrites, lastRowid, activation, numClasses, segments, builtMs: performance.now() - t0 };
    })
    .deferred();
  caches.set(key, fresh);
  return fresh;
}

/**
 * Each window's best value among `classes`, as an interval [lower, upper] around its bytes' values
 * (windows in segment order, ids alongside).
 */
function bounds(cols: Columns, classes: readonly number[]): { ids: Int32Array; lower: Float32Array; upper: Float32Array } {
  const n = cols.segments.reduce((sum, s) => sum + s.windowIds.length, 0);
  const ids = new Int32Array(n);
  const lower = new Float32Array(n).fill(-Infinity);
  const upper = new Float32Array(n).fill(-Infinity);
  let base = 0;
  for (const seg of cols.segments) {
    const m = seg.windowIds.length;
    ids.set(seg.windowIds, base);
    for (const c of classes) {
      const col = seg.bytes.subarray(c * m, (c + 1) * m);
      const low = seg.low[c]!;
      const step = seg.step[c]!;
      const err = seg.err[c]!;
      for (let i = 0; i < m; i++) {
        const v = low + col[i]! * step;
        if (v - err > lower[base + i]!) lower[base + i] = v - err;
        if (v + err > upper[base + i]!) upper[base + i] = v + err;
      }
    }
    base += m;
  }
  return { ids, lower, upper };
}

/** The k-th largest of `values` (1-based k ≤ length), in O(n) on average; reorders a copy. */
function kthLargest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

export interface RankOptions {
  readonly numClasses: number;
  readonly activation: Activation;
}

/**
 * The `k` windows with the highest probability for any of `classIndices` (a window counts by its best
 * one), best first; ties by window id so pages are stable. Exact with respect to the stored logits.
 */
export function topWindowsForClasses(db: Database, modelId: number, classIndices: readonly number[], k: number, options: RankOptions): { ranked: ClassRanking[]; tagged: number; candidates: number } {
  const cols = columns(db, modelId, options.numClasses, options.activation);
  const classes = [...new Set(classIndices)].filter((c) => c >= 0 && c < cols.numClasses);
  const { ids, lower, upper } = bounds(cols, classes);
  const n = ids.length;
  if (n === 0 || classes.length === 0 || k <= 0) return { ranked: [], tagged: n, candidates: 0 };
  // At least k windows are worth ≥ the k-th largest lower bound, so nothing below it can place.
  const threshold = kthLargest(lower, Math.min(k, n));
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (upper[i]! >= threshold) candidates.push(ids[i]!);
  const ranked: ClassRanking[] = [];
  for (const row of classLogitsOf(db, modelId, candidates)) {
    if (row.logits.length !== cols.numClasses) continue;
    const lse = options.activation === 'softmax' ? logSumExp(row.logits) : 0;
    let best: { value: number; classIndex: number } | undefined;
    for (const c of classes) {
      const value = rankValue(row.logits, c, options.activation, lse);
      if (best === undefined || value > best.value) best = { value, classIndex: c };
    }
    ranked.push({ windowId: row.windowId, mode: row.mode, frames: row.frames, ...best! });
  }
  ranked.sort((a, b) => b.value - a.value || a.windowId - b.windowId);
  return { ranked: ranked.slice(0, k), tagged: n, candidates: candidates.length };
}

/** What the cache holds for a model (for benches): windows, bytes, segments, time of the last read. */
export function classRankCacheInfo(db: Database, modelId: number): { windows: number; bytes: number; segments: number; builtMs: number } | undefined {
  const c = caches.get(cacheKey(db, modelId));
  if (c === undefined) return undefined;
  const windows = c.segments.reduce((sum, s) => sum + s.windowIds.length, 0);
  const bytes = c.segments.reduce((sum, s) => sum + s.bytes.byteLength + s.windowIds.byteLength, 0);
  return { windows, bytes, segments: c.segments.length, builtMs: c.builtMs };
}

/** Forgets every cached model (tests; a library closed). */
export function clearClassRankCache(): void {
  caches.clear();
}

/**
 * Every window whose probability for any of `classIndices` is at least the one `minValue` stands for
 * (a rank value: logit or log-probability). The bytes settle most windows; those within rounding of
 * the bound are checked against their stored logits.
 */
export function windowsAtLeast(db: Database, modelId: number, classIndices: readonly number[], minValue: number, options: RankOptions): Set<number> {
  const cols = columns(db, modelId, options.numClasses, options.activation);
  const classes = [...new Set(classIndices)].filter((c) => c >= 0 && c < cols.numClasses);
  const { ids, lower, upper } = bounds(cols, classes);
  const inside = new Set<number>();
  const unsure: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (lower[i]! >= minValue) inside.add(ids[i]!);
    else if (upper[i]! >= minValue) unsure.push(ids[i]!);
  }
  for (const row of classLogitsOf(db, modelId, unsure)) {
    if (row.logits.length !== cols.numClasses) continue;
    const lse = options.activation === 'softmax' ? logSumExp(row.logits) : 0;
    if (classes.some((c) => rankValue(row.logits, c, options.activation, lse) >= minValue)) inside.add(row.windowId);
  }
  return inside;
}
