// Whether a cheaper precision's embeddings agree with fp32's closely enough to replace them, from
// the embeddings of one calibration set in both (pure: no ONNX Runtime here, see calibrate.ts).
//
// Two figures per modality, both must pass:
//  - cosine: for every calibration item, cos(fp32 embedding, candidate embedding); the minimum must
//    be ≥ MIN_COSINE (the mean is reported too).
//  - neighbour overlap: for each item i, its k nearest neighbours among the OTHER calibration items
//    of the same modality (by cosine, ties broken by the lower index), once in fp32 space and once in
//    the candidate's; overlap_i = |N_fp32(i) ∩ N_cand(i)| / k, and the figure is the mean over items.
//    It is what search sees: whether the candidate ranks the same things near each other. It must be
//    ≥ MIN_OVERLAP. With fewer than k + 1 items, k shrinks to n − 1.
import type { Agreement, Precision } from '../../base/types.ts';

export const THRESHOLDS = { minCosine: 0.999, overlap: 0.98, k: 10 } as const;

export type Thresholds = { readonly minCosine: number; readonly overlap: number; readonly k: number };

/** Rows of [n, d] row-major: cosine of row i of `a` with row i of `b`. */
export function rowCosines(a: Float32Array, b: Float32Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < d; j++) {
      const x = a[i * d + j]!;
      const y = b[i * d + j]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    out[i] = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  }
  return out;
}

/** For each of the n rows, the indices of its k most similar other rows (cosine), best first. */
export function nearestNeighbours(e: Float32Array, n: number, d: number, k: number): number[][] {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += e[i * d + j]! ** 2;
    norms[i] = Math.sqrt(s) || 1;
  }
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const scored: Array<[number, number]> = [];
    for (let o = 0; o < n; o++) {
      if (o === i) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += e[i * d + j]! * e[o * d + j]!;
      scored.push([o, s / (norms[i]! * norms[o]!)]);
    }
    scored.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    out.push(scored.slice(0, k).map(([o]) => o));
  }
  return out;
}

/** Mean over items of the share of the reference's k neighbours the candidate also has. */
export function neighbourOverlap(ref: Float32Array, cand: Float32Array, n: number, d: number, k: number): number {
  const kk = Math.min(k, n - 1);
  if (kk <= 0) return 1;
  const a = nearestNeighbours(ref, n, d, kk);
  const b = nearestNeighbours(cand, n, d, kk);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(a[i]);
    sum += b[i]!.filter((o) => set.has(o)).length / kk;
  }
  return sum / n;
}

/** The agreement figures of one modality: fp32 embeddings `ref` vs the candidate's `cand`, both [n, d]. */
export function agreement(ref: Float32Array, cand: Float32Array, n: number, d: number, k: number = THRESHOLDS.k): Agreement {
  if (ref.length !== n * d || cand.length !== n * d) throw new Error(`agreement: expected ${n}×${d} values`);
  const cos = rowCosines(ref, cand, n, d);
  let min = Infinity;
  let sum = 0;
  for (const c of cos) {
    min = Math.min(min, c);
    sum += c;
  }
  return { samples: n, minCosine: min, meanCosine: sum / n, overlap: neighbourOverlap(ref, cand, n, d, k) };
}

/** Whether the figures of every modality pass the thresholds. */
export function agrees(figures: readonly Agreement[], t: Thresholds = THRESHOLDS): boolean {
  return figures.length > 0 && figures.every((f) => f.minCosine >= t.minCosine && f.overlap >= t.overlap);
}

/**
 * The precision to keep: the first candidate (in the caller's order of preference) whose figures
 * agree, else fp32.
 */
export function choose(candidates: ReadonlyArray<{ precision: Precision; figures: readonly Agreement[] }>, t: Thresholds = THRESHOLDS): Precision {
  return candidates.find((c) => agrees(c.figures, t))?.precision ?? 'fp32';
}
