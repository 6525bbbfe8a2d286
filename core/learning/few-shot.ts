// The few-shot baseline: what a handful of labels say, before any training (and where training does
// not beat it). Per modality m (sound, picture):
//
// - a direction d_m = unit(μ⁺_m − μ⁻_m): the mean of the positives minus the mean of the negatives,
//   the explicit negatives blended with the library's mean (LIBRARY_PRIOR pseudo-examples), so a
//   label without negatives is still centred. CAV-MAE embeddings share a large common offset; the plain mean of a
//   few positives points mostly along it, which is why the old baseline (cosine to μ⁺) could rank a
//   blue picture above a red one for "red picture".
// - a window's evidence z_m = (x_m·d_m − mean_m) / std_m, in units of the library's spread along d_m
//   (a seeded sample of unlabelled windows); a window without modality m has z_m = 0 (no evidence).
// - a weight from how well m predicted labels it did not see: leave one labelled window out, rebuild d_m
//   without it, and take how far the left-out positives stand above the left-out negatives, d′_m, in the
//   same units. For independent Gaussian evidence Σ d′_m·z_m is the best linear combination, so
//   w_m ∝ max(0, d′_m): "red picture" with varied sounds has d′_sound ≈ 0 and listens to the picture,
//   "door slam" with varied pictures listens to the sound. With one positive nothing can be left out and
//   both modalities count equally.
//
// The score is s = Σ w_m·softCap(z_m): each modality's evidence smoothly capped at what a typical
// positive shows, so a window far beyond the positives in one modality cannot make up for nothing in
// the other (without the cap, a rule on both modalities lost average precision at 3 labels: 0.70 → 0.61).
// Trained heads start from its linear part (linearWeights); left-out scores calibrate σ(α·s + b).
import { calibrate, rng, sigmoid } from './training/math.ts';
import type { EmbeddingTable } from './training/embedding-table.ts';

export type Reliance = 'sound' | 'picture' | 'both';

/** Which modality a label's predictions rely on: weights summing to 1, and the word for them. */
export interface LearnedFrom {
  readonly sound: number;
  readonly picture: number;
  readonly says: Reliance;
}

interface Evidence {
  /** Unit direction, dim long. */
  readonly direction: Float32Array;
  readonly mean: number;
  readonly std: number;
  readonly weight: number;
  /** What a typical positive shows (mean left-out z): evidence beyond it adds little (softCap). */
  readonly cap: number;
}

/**
 * z, smoothly capped at c: c − log(1 + e^(c − z)). Monotonic, so one modality alone ranks exactly as
 * z does; with both, a window far beyond the positives in one modality cannot make up for nothing in
 * the other (a label whose examples agree in sound and picture wants both).
 */
export function softCap(z: number, c: number): number {
  const x = c - z;
  return c - (x > 30 ? x : Math.log1p(Math.exp(x)));
}

export interface FewShotModel {
  readonly learnedFrom: LearnedFrom;
  /** null where no positive has that modality. */
  readonly audio: Evidence | null;
  readonly visual: Evidence | null;
  /** Probability = σ(alpha·s + bias). */
  readonly alpha: number;
  readonly bias: number;
  readonly positives: number;
  readonly negatives: number;
}

export interface FewShotOptions {
  /** Unlabelled windows sampled for the library's spread (default 512). */
  readonly background?: number;
  /** Labelled windows left out one at a time, at most, per polarity (default 24). */
  readonly leaveOut?: number;
  readonly seed?: number;
}

/** A modality's weight at or above this says the label relies on it alone. */
const RELIES_ON = 0.75;
/**
 * The negatives blend with the library (its mean in a direction, its 0 in a separation) as this many
 * pseudo-examples. A few random negatives are a noisy estimate of "not this": taken alone they lowered
 * the mean average precision of tests/labels/few-shot.test.ts from 0.91 to 0.84, and on the rule that
 * needs both modalities, a negative that shares the picture (but not the sound) pulled the weight to
 * the sound. Many negatives, or hard ones that share the positives' sound or picture, still count.
 */
const LIBRARY_PRIOR = 20;
/** Pull of the calibration's slope towards 1 (see calibrate). */
const CALIBRATION_RIDGE = 4;
/** Weight of a background window in the calibration (it may be an unlabelled positive). */
const BACKGROUND_WEIGHT = 0.2;

type Side = 'audio' | 'visual';

function dot(x: Float32Array, xo: number, y: ArrayLike<number>, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += x[xo + c]! * y[c]!;
  return s;
}

/** Seeded sample of rows that carry at least one embedding and are not labelled. */
function backgroundRows(table: EmbeddingTable, labelled: ReadonlySet<number>, n: number, seed: number): number[] {
  const count = table.windows.length;
  const usable = (r: number): boolean => !labelled.has(r) && (table.hasAudio[r] === 1 || table.hasVisual[r] === 1);
  if (count <= n * 2) return Array.from({ length: count }, (_, r) => r).filter(usable).slice(0, n);
  const random = rng(seed);
  const picked = new Set<number>();
  for (let tries = 0; picked.size < n && tries < n * 8; tries++) {
    const r = Math.floor(random() * count);
    if (usable(r)) picked.add(r);
  }
  return [...picked].sort((a, b) => a - b);
}

/** Everything one modality needs: sums to rebuild d_m with any one labelled window left out. */
class Modality {
  readonly d: number;
  private readonly x: Float32Array;
  readonly pos: number[];
  readonly neg: number[];
  readonly bg: number[];
  private readonly sumPos: Float64Array;
  private readonly sumNeg: Float64Array;
  private readonly meanBg: Float64Array;

  constructor(table: EmbeddingTable, side: Side, pos: readonly number[], neg: readonly number[], bg: readonly number[]) {
    this.d = table.dim;
    this.x = table[side];
    const has = side === 'audio' ? table.hasAudio : table.hasVisual;
    this.pos = pos.filter((r) => has[r] === 1);
    this.neg = neg.filter((r) => has[r] === 1);
    this.bg = bg.filter((r) => has[r] === 1);
    this.sumPos = this.sum(this.pos);
    this.sumNeg = this.sum(this.neg);
    this.meanBg = this.sum(this.bg).map((v) => v / Math.max(1, this.bg.length));
  }

  private sum(rows: readonly number[]): Float64Array {
    const s = new Float64Array(this.d);
    for (const r of rows) for (let c = 0; c < this.d; c++) s[c] = s[c]! + this.x[r * this.d + c]!;
    return s;
  }

  /** d_m with `out` (a labelled row, or −1) left out of its sum. */
  direction(out: number, outIsPositive: boolean): Float32Array {
    const d = this.d;
    const nPos = this.pos.length - (out >= 0 && outIsPositive ? 1 : 0);
    const nNeg = this.neg.length - (out >= 0 && !outIsPositive ? 1 : 0);
    const v = new Float64Array(d);
    let norm = 0;
    for (let c = 0; c < d; c++) {
      const held = out >= 0 ? this.x[out * d + c]! : 0;
      const p = (this.sumPos[c]! - (outIsPositive ? held : 0)) / Math.max(1, nPos);
      const n = (this.sumNeg[c]! - (outIsPositive ? 0 : held) + LIBRARY_PRIOR * this.meanBg[c]!) / (nNeg + LIBRARY_PRIOR);
      v[c] = p - n;
      norm += v[c]! * v[c]!;
    }
    const k = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return Float32Array.from(v, (t) => t * k);
  }

  /** The library's spread along a direction: mean and standard deviation over the background. */
  spread(dir: Float32Array): { mean: number; std: number } {
    if (this.bg.length === 0) return { mean: 0, std: 1 };
    let s = 0;
    let s2 = 0;
    for (const r of this.bg) {
      const p = dot(this.x, r * this.d, dir, this.d);
      s += p;
      s2 += p * p;
    }
    const mean = s / this.bg.length;
    const std = Math.sqrt(Math.max(0, s2 / this.bg.length - mean * mean));
    return { mean, std: std > 1e-9 ? std : 1e-9 };
  }

  z(row: number, dir: Float32Array, spread: { mean: number; std: number }): number {
    return (dot(this.x, row * this.d, dir, this.d) - spread.mean) / spread.std;
  }
}

/** Every row's left-out score in one modality, for the rows that can be left out (cap per polarity). */
function leaveOneOut(m: Modality, cap: number): { pos: Map<number, number>; neg: Map<number, number> } {
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  // A direction needs one positive left in.
  if (m.pos.length >= 2) {
    for (const r of m.pos.slice(0, cap)) {
      const dir = m.direction(r, true);
      pos.set(r, m.z(r, dir, m.spread(dir)));
    }
  }
  for (const r of m.neg.slice(0, cap)) {
    const dir = m.direction(r, false);
    neg.set(r, m.z(r, dir, m.spread(dir)));
  }
  return { pos, neg };
}

/**
 * How far left-out positives stand above left-out negatives (the library's mean, 0, counting as
 * LIBRARY_PRIOR of them), less one standard error: with 3 labels a modality that does not matter shows a
 * d′ of ±0.6 by chance, and a weight of 0.15 on it costs more than it brings, so a modality counts only
 * for the part of its d′ the labels are sure of.
 */
function separation(loo: { pos: Map<number, number>; neg: Map<number, number> }): number | null {
  if (loo.pos.size === 0) return null;
  const pos = [...loo.pos.values()];
  const neg = [...loo.neg.values()];
  const meanPos = pos.reduce((a, b) => a + b, 0) / pos.length;
  const ref = neg.reduce((a, b) => a + b, 0) / (neg.length + LIBRARY_PRIOR);
  // Spread of left-out scores: the positives' own where there are several, else the library's (1).
  const varPos = pos.length > 1 ? pos.reduce((a, b) => a + (b - meanPos) ** 2, 0) / (pos.length - 1) : 1;
  const varNeg = neg.length > 1 ? neg.reduce((a, b) => a + (b - ref) ** 2, 0) / (neg.length - 1) : 1;
  const se = Math.sqrt(Math.max(varPos, 0.25) / pos.length + varNeg / (neg.length + LIBRARY_PRIOR));
  return meanPos - ref - se;
}

function describe(sound: number, picture: number): LearnedFrom {
  const says: Reliance = sound >= RELIES_ON ? 'sound' : picture >= RELIES_ON ? 'picture' : 'both';
  return { sound, picture, says };
}

/**
 * Fit the baseline for one label from its positive and negative rows (table rows; a row in both counts
 * as positive). Null when no positive has an embedding.
 */
export function fitFewShot(table: EmbeddingTable, positives: readonly number[], negatives: readonly number[], options: FewShotOptions = {}): FewShotModel | null {
  const pos = [...new Set(positives)];
  const posSet = new Set(pos);
  const neg = [...new Set(negatives)].filter((r) => !posSet.has(r));
  const bg = backgroundRows(table, new Set([...pos, ...neg]), options.background ?? 512, options.seed ?? 1);
  const cap = options.leaveOut ?? 24;
  const sides = { audio: new Modality(table, 'audio', pos, neg, bg), visual: new Modality(table, 'visual', pos, neg, bg) };
  const loo = { audio: leaveOneOut(sides.audio, cap), visual: leaveOneOut(sides.visual, cap) };
  const present = (s: Side): boolean => sides[s].pos.length > 0;
  if (!present('audio') && !present('visual')) return null;

  // Weights ∝ max(0, d′); a modality that cannot be judged (one positive) counts as much as a judged one
  // would on average, and with nothing judged both count equally.
  const sep = { audio: separation(loo.audio), visual: separation(loo.visual) };
  const raw = (s: Side): number => (present(s) ? Math.max(0, sep[s] ?? 0) : 0);
  let wa = raw('audio');
  let wv = raw('visual');
  if (wa + wv === 0) {
    wa = present('audio') ? 1 : 0;
    wv = present('visual') ? 1 : 0;
  }
  const total = wa + wv;
  const evidence = (s: Side, w: number): Evidence | null => {
    if (!present(s)) return null;
    const direction = sides[s].direction(-1, true);
    const spread = sides[s].spread(direction);
    const left = [...loo[s].pos.values()];
    const typical = left.length > 0 ? left : sides[s].pos.map((r) => sides[s].z(r, direction, spread));
    return { direction, ...spread, weight: w / total, cap: typical.reduce((a, b) => a + b, 0) / typical.length };
  };
  const audio = evidence('audio', wa);
  const visual = evidence('visual', wv);

  // Calibration on left-out scores (positives, negatives) and the background at a small weight.
  const s: number[] = [];
  const y: number[] = [];
  const m: number[] = [];
  const partial = { audio, visual };
  const scoreOf = (row: number, isPos: boolean): number => {
    let t = 0;
    for (const side of ['audio', 'visual'] as const) {
      const e = partial[side];
      if (e === null) continue;
      const left = (isPos ? loo[side].pos : loo[side].neg).get(row);
      if (left !== undefined) t += e.weight * softCap(left, e.cap);
      else if (sides[side][isPos ? 'pos' : 'neg'].includes(row)) t += e.weight * softCap(sides[side].z(row, e.direction, e), e.cap);
    }
    return t;
  };
  const add = (score: number, label: number, weight: number): void => {
    s.push(score);
    y.push(label);
    m.push(weight);
  };
  for (const r of pos) add(scoreOf(r, true), 1, 1);
  for (const r of neg) add(scoreOf(r, false), 0, 1);
  for (const r of bg) add(scoreRow(table, { audio, visual }, r), 0, BACKGROUND_WEIGHT);
  // A few labels separate perfectly; the ridge (worth a few examples) keeps α near 1 per unit of z, so
  // probabilities stay graded instead of 1 for the labelled kind and 0 for everything else.
  const { alpha, bias } = calibrate(s, y, m, CALIBRATION_RIDGE);
  return { learnedFrom: describe(audio?.weight ?? 0, visual?.weight ?? 0), audio, visual, alpha, bias, positives: pos.length, negatives: neg.length };
}

/** The baseline's score s = Σ w_m·softCap(z_m) of one table row. */
export function scoreRow(table: EmbeddingTable, model: Pick<FewShotModel, 'audio' | 'visual'>, row: number): number {
  const d = table.dim;
  let s = 0;
  const part = (e: Evidence | null, x: Float32Array, has: Uint8Array): void => {
    if (e === null || has[row] !== 1 || e.weight === 0) return;
    s += e.weight * softCap((dot(x, row * d, e.direction, d) - e.mean) / e.std, e.cap);
  };
  part(model.audio, table.audio, table.hasAudio);
  part(model.visual, table.visual, table.hasVisual);
  return s;
}

/** Probabilities of every row (rows without embeddings get NaN). */
export function scoreTable(table: EmbeddingTable, model: FewShotModel): Float32Array {
  const out = new Float32Array(table.windows.length);
  for (let r = 0; r < out.length; r++) {
    out[r] = table.hasAudio[r] === 1 || table.hasVisual[r] === 1 ? sigmoid(model.alpha * scoreRow(table, model, r) + model.bias) : NaN;
  }
  return out;
}

/**
 * The score without its cap, as weights over [audio, visual] embeddings and a bias (s = wa·a + wv·v +
 * b), for a head that starts from the baseline. A window missing a modality scores its zero row there, which a linear
 * head cannot tell from evidence; training sees the same.
 */
export function linearWeights(model: Pick<FewShotModel, 'audio' | 'visual'>, dim: number): { audio: Float32Array; visual: Float32Array; bias: number } {
  const part = (e: Evidence | null): { w: Float32Array; b: number } =>
    e === null ? { w: new Float32Array(dim), b: 0 } : { w: e.direction.map((t) => (t * e.weight) / e.std), b: (-e.weight * e.mean) / e.std };
  const a = part(model.audio);
  const v = part(model.visual);
  return { audio: a.w, visual: v.w, bias: a.b + v.b };
}
