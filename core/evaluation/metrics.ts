// Cross-modal retrieval figures as the CAV-MAE paper reports them (spec §10, the official
// `compute_metrics` of src/retrieval.py): queries are rows of a cosine-similarity matrix, a query's
// true partner is its own index. The official code sorts each row and looks for where the diagonal
// value lands, which is ambiguous when values tie (it finds every tied position). Foley's rule is the
// spec's: rank = number of gallery items whose cosine is higher than the partner's by more than
// TIE_EPSILON (0-based), so float noise never breaks a tie and identical inputs tie. Without ties both
// agree exactly (tests/evaluation/metrics.test.ts checks goldens of the official code).
//
// crossModalRanks never holds the n×n matrix: it walks blocks of audio rows, computing each cosine
// once and counting it for both directions (row i for audio→visual, column j for visual→audio, whose
// partners' cosines are the diagonal, computed first). Memory: the two normalised n×d copies, one
// block (≤ 8 MB) and two rank arrays. The n²·d multiply-adds run on ONNX Runtime
// (native-models/runtime/similarity.ts): 5,000 pairs × 768 took 22.5 s in plain JS loops, 1 s there.

import { similarityBlocks } from '../../native-models/runtime/similarity.ts';

export const TIE_EPSILON = 1e-6;

/** R@k are fractions in [0, 1]; medianRank is 1-based (median of the 0-based ranks + 1). */
export interface RetrievalFigures {
  readonly r1: number;
  readonly r5: number;
  readonly r10: number;
  readonly medianRank: number;
}

export interface BothWays {
  readonly n: number;
  readonly audioToVisual: RetrievalFigures;
  readonly visualToAudio: RetrievalFigures;
}

/** Rank of the true partner (index `self`) within one query's row of cosines. */
export function rankInRow(row: ArrayLike<number>, self: number, epsilon = TIE_EPSILON): number {
  const bar = row[self]! + epsilon;
  let rank = 0;
  for (let j = 0; j < row.length; j++) if (row[j]! > bar) rank++;
  return rank;
}

/** R@1/5/10 and the median rank of 0-based ranks; NaN figures for no queries. */
export function figuresFromRanks(ranks: ArrayLike<number>): RetrievalFigures {
  const n = ranks.length;
  if (n === 0) return { r1: NaN, r5: NaN, r10: NaN, medianRank: NaN };
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  for (let i = 0; i < n; i++) {
    const r = ranks[i]!;
    if (r < 1) r1++;
    if (r < 5) r5++;
    if (r < 10) r10++;
  }
  const sorted = Float64Array.from(ranks).sort();
  const mid = n >> 1;
  // numpy's median: the middle value, or the mean of the two middle values for an even count.
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { r1: r1 / n, r5: r5 / n, r10: r10 / n, medianRank: median + 1 };
}

/** Figures of a similarity matrix given as rows (queries) — what the goldens are computed on. */
export function figuresOfSimilarity(rows: ReadonlyArray<ArrayLike<number>>, epsilon = TIE_EPSILON): RetrievalFigures {
  return figuresFromRanks(rows.map((row, i) => rankInRow(row, i, epsilon)));
}

/** Copies n×d rows, each scaled to unit length (a zero row stays zero). */
export function normaliseRows(v: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let c = 0; c < d; c++) s += v[o + c]! * v[o + c]!;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) out[o + c] = v[o + c]! * k;
  }
  return out;
}

/** Dot product of rows, summed in double precision (the partners' cosines, for the columns). */
function dot(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  for (let c = 0, oa = i * d, ob = j * d; c < d; c++) s += a[oa + c]! * b[ob + c]!;
  return s;
}

export interface RankOptions {
  readonly signal?: AbortSignal;
  /** Rows of the matrix done so far, of n. */
  readonly onRows?: (done: number, total: number) => void;
  readonly epsilon?: number;
  /** ONNX Runtime intra-op threads for the similarity blocks (default: ORT's choice). */
  readonly threads?: number;
}

export interface Ranks {
  readonly audioToVisual: Uint32Array;
  readonly visualToAudio: Uint32Array;
}

/** Similarity values per block: about 2M floats (8 MB), at most 512 rows. */
const BLOCK_VALUES = 2 ** 21;

/**
 * Ranks both ways for n pairs (row i of audio belongs with row i of visual, both n×d, normalised
 * here). The cosines come from ONNX Runtime in float32 blocks; a row's own partner value is taken from
 * the same block (so a row never outranks itself), a column's from a double-precision dot product
 * (measured within 2.5e-7 of the float32 value, well inside TIE_EPSILON). Each block is awaited, so
 * the event loop runs between blocks. Throws the signal's reason when aborted.
 */
export async function crossModalRanks(audio: Float32Array, visual: Float32Array, n: number, d: number, options: RankOptions = {}): Promise<Ranks> {
  const a = normaliseRows(audio, n, d);
  const v = normaliseRows(visual, n, d);
  const eps = options.epsilon ?? TIE_EPSILON;
  const colBar = new Float64Array(n);
  for (let j = 0; j < n; j++) colBar[j] = dot(a, j, v, j, d) + eps;
  const a2v = new Uint32Array(n);
  const v2a = new Uint32Array(n);
  if (n === 0) return { audioToVisual: a2v, visualToAudio: v2a };
  const sim = await similarityBlocks(v, n, d, options.threads);
  try {
    const block = Math.max(1, Math.min(512, Math.floor(BLOCK_VALUES / n)));
    for (let i0 = 0; i0 < n; i0 += block) {
      options.signal?.throwIfAborted();
      const rows = Math.min(block, n - i0);
      const s = await sim.block(a.subarray(i0 * d), rows);
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        const rowBar = s[o + i0 + r]! + eps;
        let rank = 0;
        for (let j = 0; j < n; j++) {
          const x = s[o + j]!;
          if (x > rowBar) rank++;
          if (x > colBar[j]!) v2a[j] = v2a[j]! + 1;
        }
        a2v[i0 + r] = rank;
      }
      options.onRows?.(i0 + rows, n);
    }
  } finally {
    await sim.release();
  }
  options.signal?.throwIfAborted();
  return { audioToVisual: a2v, visualToAudio: v2a };
}

/** Both directions' figures for n pairs of embeddings. */
export async function evaluatePairs(audio: Float32Array, visual: Float32Array, n: number, d: number, options: RankOptions = {}): Promise<BothWays> {
  const r = await crossModalRanks(audio, visual, n, d, options);
  return { n, audioToVisual: figuresFromRanks(r.audioToVisual), visualToAudio: figuresFromRanks(r.visualToAudio) };
}
