// Per-label logistic heads over [audio, visual, √D·audio⊙visual] features of the frozen embeddings.
//
// Start = the linear part of the few-shot baseline (core/learning/few-shot.ts; its soft cap is not
// linear) of the label's training positives and negatives: per modality a direction from negatives to
// positives, weighted by how well that modality predicted left-out labels, written as head weights
// w0_l = [wa, wv, 0] and scaled by a 1-D logistic fit (α_l, b_l) so the start has calibrated
// probabilities. The a⊙v features let training learn what the cap expresses (both modalities at once). Training (Adam, mini-batches) regularises towards that start, not towards zero.
// Kept per label only if held-out AP beats the baseline's by minGain with ≥ 95% bootstrap support;
// the other labels keep their baseline weights, so a label with nothing to learn does not regress.
import type { Dataset } from './dataset.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import { fitFewShot, linearWeights } from '../few-shot.ts';
import { adam, adamStep, averagePrecision, calibrate, headLogits, headLossGrad, packState, rng, shuffle, sigmoid, unpackState } from './math.ts';
import type { HeadShape } from './math.ts';
import type { StageHooks } from './stage.ts';

export interface HeadOptions {
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly lambda?: number;
  /** Weight of an unlabelled window as a negative. */
  readonly backgroundWeight?: number;
  /** At least this many optimiser steps in all (small label sets get more passes). */
  readonly minSteps?: number;
  readonly minGain?: number;
  readonly bootstrap?: number;
  readonly seed?: number;
}

export interface LabelMetrics {
  readonly name: string;
  readonly positives: number;
  readonly heldoutPositives: number;
  readonly heldoutNegatives: number;
  /** null: too few held-out examples to judge (the baseline stays). */
  readonly apBaseline: number | null;
  readonly apTrained: number | null;
  /** Share of bootstrap resamples where the trained head's AP was higher. */
  readonly support: number | null;
  readonly kept: boolean;
}

export interface HeadResult {
  readonly shape: HeadShape;
  readonly names: string[];
  /** Final parameters: trained weights for kept labels, the calibrated baseline for the others. */
  readonly params: Float32Array;
  readonly labels: LabelMetrics[];
  readonly apBaseline: number | null;
  readonly apTrained: number | null;
  /** Mean AP over judged labels with the per-label choice applied (what search will get). */
  readonly apFinal: number | null;
  readonly kept: boolean;
  readonly trainSize: number;
  readonly heldoutSize: number;
  readonly epochs: number;
}

export function featureCount(dim: number): number {
  return 3 * dim;
}

/** Features of table rows into an N×3D array. */
export function headFeatures(table: EmbeddingTable, rows: readonly number[], out = new Float32Array(rows.length * 3 * table.dim)): Float32Array {
  const d = table.dim;
  const s = Math.sqrt(d);
  rows.forEach((r, i) => {
    const o = i * 3 * d;
    const a = table.audio.subarray(r * d, (r + 1) * d);
    const v = table.visual.subarray(r * d, (r + 1) * d);
    out.set(a, o);
    out.set(v, o + d);
    for (let c = 0; c < d; c++) out[o + 2 * d + c] = s * a[c]! * v[c]!;
  });
  return out;
}

/**
 * Baseline weights (L×3D): per label the few-shot baseline (core/learning/few-shot.ts) from its
 * positive and negative rows, as a linear head without interaction terms. Its bias is left to the
 * calibration that follows.
 */
export function baselineWeights(table: EmbeddingTable, positives: readonly (readonly number[])[], negatives: readonly (readonly number[])[]): Float32Array {
  const d = table.dim;
  const F = 3 * d;
  const w = new Float32Array(positives.length * F);
  positives.forEach((rows, l) => {
    const fit = fitFewShot(table, rows, negatives[l] ?? []);
    if (fit === null) return;
    const lin = linearWeights(fit, d);
    w.set(lin.audio, l * F);
    w.set(lin.visual, l * F + d);
  });
  return w;
}

interface Split {
  readonly trainRows: number[];
  readonly y: Float32Array;
  readonly m: Float32Array;
  readonly heldRows: number[];
  readonly heldState: Int8Array;
}

function split(ds: Dataset, bgWeight: number): Split {
  const L = ds.names.length;
  const trainRows: number[] = [];
  const y: number[] = [];
  const m: number[] = [];
  const heldRows: number[] = [];
  const held: number[] = [];
  ds.labelled.forEach((r, i) => {
    const st = ds.state.subarray(i * L, (i + 1) * L);
    if (ds.heldout[i] === 1) {
      heldRows.push(r);
      held.push(...st);
      return;
    }
    trainRows.push(r);
    for (let l = 0; l < L; l++) {
      y.push(st[l] === 1 ? 1 : 0);
      m.push(st[l] === 0 ? bgWeight : 1);
    }
  });
  for (const r of ds.background) {
    trainRows.push(r);
    for (let l = 0; l < L; l++) {
      y.push(0);
      m.push(bgWeight);
    }
  }
  return { trainRows, y: Float32Array.from(y), m: Float32Array.from(m), heldRows, heldState: Int8Array.from(held) };
}

function bootstrapSupport(base: Float64Array, trained: Float64Array, rel: boolean[], times: number, seed: number): number {
  const random = rng(seed);
  const n = rel.length;
  let wins = 0;
  let valid = 0;
  for (let t = 0; t < times; t++) {
    const idx = Array.from({ length: n }, () => Math.floor(random() * n));
    const ab = averagePrecision(base, rel, idx);
    const at = averagePrecision(trained, rel, idx);
    if (Number.isNaN(ab) || Number.isNaN(at)) continue;
    valid++;
    if (at > ab) wins++;
  }
  return valid > 0 ? wins / valid : 0;
}

const mean = (xs: readonly number[]): number | null => (xs.length > 0 ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

/**
 * The zero-shot start, from training positives only: per label the baseline weights scaled and biased
 * by calibrate (the prior the loss pulls towards), and the same as one parameter vector.
 */
function zeroShotStart(ds: Dataset, sp: Split, x: Float32Array, shape: HeadShape): { prior: Float32Array; bias0: Float32Array; start: Float32Array } {
  const { labels: L, features: F } = shape;
  const N = sp.trainRows.length;
  const trainPos = ds.names.map((_, l) => sp.trainRows.filter((_, i) => sp.y[i * L + l] === 1 && sp.m[i * L + l] === 1));
  // Labelled negatives (explicit, or another name's positives) have full weight; the background less.
  const trainNeg = ds.names.map((_, l) => sp.trainRows.filter((_, i) => sp.y[i * L + l] === 0 && sp.m[i * L + l] === 1));
  const w0 = baselineWeights(ds.table, trainPos, trainNeg);
  const prior = new Float32Array(L * F);
  const bias0 = new Float32Array(L);
  const zeroBias = new Float32Array(L * F + L);
  zeroBias.set(w0);
  const s0 = headLogits(shape, zeroBias, x, N);
  for (let l = 0; l < L; l++) {
    const s: number[] = [];
    const yy: number[] = [];
    const mm: number[] = [];
    for (let i = 0; i < N; i++) {
      s.push(s0[i * L + l]!);
      yy.push(sp.y[i * L + l]!);
      mm.push(sp.m[i * L + l]!);
    }
    const { alpha, bias } = calibrate(s, yy, mm);
    for (let f = 0; f < F; f++) prior[l * F + f] = alpha * w0[l * F + f]!;
    bias0[l] = bias;
  }
  const start = new Float32Array(L * F + L);
  start.set(prior);
  start.set(bias0, L * F);
  return { prior, bias0, start };
}

export async function trainHeads(ds: Dataset, options: HeadOptions, hooks: StageHooks): Promise<HeadResult> {
  const table = ds.table;
  const L = ds.names.length;
  const F = featureCount(table.dim);
  const shape: HeadShape = { labels: L, features: F };
  const bgWeight = options.backgroundWeight ?? 0.2;
  const sp = split(ds, bgWeight);
  const N = sp.trainRows.length;
  const x = headFeatures(table, sp.trainRows);

  const { prior, bias0, start } = zeroShotStart(ds, sp, x, shape);

  const epochs = options.epochs ?? 30;
  const batch = Math.max(1, Math.min(options.batchSize ?? 256, N));
  const stepsPerEpoch = Math.max(Math.ceil(N / batch), Math.ceil((options.minSteps ?? 300) / epochs));
  const lr = options.lr ?? 0.01;
  const lambda = options.lambda ?? 1e-3;
  const seed = options.seed ?? 1;

  let params: Float32Array = start.slice();
  let opt = adam(params.length);
  let first = 0;
  const saved = hooks.load();
  if (saved !== undefined) {
    const s = unpackState(saved.state, params.length);
    if (s !== undefined) {
      params = s.params;
      opt = s.state;
      first = saved.epoch + 1;
    }
  }
  const grad = new Float32Array(params.length);
  const bx = new Float32Array(batch * F);
  const by = new Float32Array(batch * L);
  const bm = new Float32Array(batch * L);
  for (let epoch = first; epoch < epochs && N > 0; epoch++) {
    const random = rng(seed * 1_000_003 + epoch);
    let order: number[] = [];
    for (let step = 0; step < stepsPerEpoch; step++) {
      await hooks.checkpoint();
      if (order.length < batch) order = order.concat(shuffle(Array.from({ length: N }, (_, i) => i), random));
      const pick = order.splice(0, batch);
      pick.forEach((i, k) => {
        bx.set(x.subarray(i * F, (i + 1) * F), k * F);
        by.set(sp.y.subarray(i * L, (i + 1) * L), k * L);
        bm.set(sp.m.subarray(i * L, (i + 1) * L), k * L);
      });
      headLossGrad(shape, params, prior, lambda, { x: bx, y: by, m: bm, n: pick.length }, grad);
      adamStep(opt, params, grad, lr);
      hooks.progress(epoch + (step + 1) / stepsPerEpoch, epochs);
    }
    hooks.save(epoch, packState(params, opt));
  }

  // Held-out judgement, per label.
  const hx = headFeatures(table, sp.heldRows);
  const H = sp.heldRows.length;
  const zBase = headLogits(shape, start, hx, H);
  const zTrained = headLogits(shape, params, hx, H);
  const final = params.slice();
  const labels: LabelMetrics[] = ds.names.map((name, l) => {
    const idx: number[] = [];
    for (let i = 0; i < H; i++) if (sp.heldState[i * L + l] !== 0) idx.push(i);
    const rel = idx.map((i) => sp.heldState[i * L + l] === 1);
    const hp = rel.filter(Boolean).length;
    const hn = rel.length - hp;
    const revert = (): void => {
      final.set(prior.subarray(l * F, (l + 1) * F), l * F);
      final[L * F + l] = bias0[l]!;
    };
    if (hp === 0 || hn === 0) {
      revert();
      return { name, positives: ds.positives[name] ?? 0, heldoutPositives: hp, heldoutNegatives: hn, apBaseline: null, apTrained: null, support: null, kept: false };
    }
    const b = Float64Array.from(idx, (i) => zBase[i * L + l]!);
    const t = Float64Array.from(idx, (i) => zTrained[i * L + l]!);
    const apB = averagePrecision(b, rel);
    const apT = averagePrecision(t, rel);
    const support = bootstrapSupport(b, t, rel, options.bootstrap ?? 200, seed + l);
    const kept = apT - apB >= (options.minGain ?? 0.02) && support >= 0.95;
    if (!kept) revert();
    return { name, positives: ds.positives[name] ?? 0, heldoutPositives: hp, heldoutNegatives: hn, apBaseline: apB, apTrained: apT, support, kept };
  });
  const judged = labels.filter((m) => m.apBaseline !== null);
  return {
    shape,
    names: ds.names,
    params: final,
    labels,
    apBaseline: mean(judged.map((m) => m.apBaseline!)),
    apTrained: mean(judged.map((m) => m.apTrained!)),
    apFinal: mean(judged.map((m) => (m.kept ? m.apTrained! : m.apBaseline!))),
    kept: labels.some((m) => m.kept),
    trainSize: N,
    heldoutSize: H,
    epochs,
  };
}

/** Probabilities of a head for table rows, one label: σ(w_l·x + b_l). */
export function scoreRows(table: EmbeddingTable, shape: HeadShape, params: Float32Array, label: number, rows: readonly number[]): Float32Array {
  const F = shape.features;
  const d = table.dim;
  const s = Math.sqrt(d);
  const w = params.subarray(label * F, (label + 1) * F);
  const b = params[shape.labels * F + label]!;
  const out = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    let z = b;
    for (let c = 0; c < d; c++) {
      const a = table.audio[r * d + c]!;
      const v = table.visual[r * d + c]!;
      z += w[c]! * a + w[d + c]! * v + w[2 * d + c]! * s * a * v;
    }
    out[i] = sigmoid(z);
  });
  return out;
}
