// Cross-modal adapter for the user's own library: z_a = normalise(W_a a), z_v = normalise(W_v v),
// W_a, W_v start at the identity (= plain CAV-MAE search). Trained with symmetric InfoNCE on windows
// that have both modalities (a window's own audio and picture are a positive pair; windows sharing a
// positive label are extra positives). Kept only if held-out audio→visual AND visual→audio recall
// (mean of R@1, R@5, R@10 over held-out windows, gallery = the held-out windows) both improve.
import type { Dataset } from './dataset.ts';
import { adam, adamStep, adapterLossGrad, applyAdapterMap, identityAdapter, packState, pairRecall, rng, shuffle, unpackState } from './math.ts';
import type { StageHooks } from './stage.ts';

export interface AdapterOptions {
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Cap on steps per epoch (a big library is sampled, not swept). */
  readonly maxStepsPerEpoch?: number;
  readonly lr?: number;
  readonly lambda?: number;
  readonly tau?: number;
  readonly heldoutFraction?: number;
  readonly maxHeldout?: number;
  readonly minPairs?: number;
  readonly minGain?: number;
  readonly seed?: number;
}

export interface Recall {
  readonly r1: number;
  readonly r5: number;
  readonly r10: number;
  readonly mean: number;
}

export interface AdapterResult {
  readonly params: Float32Array | null;
  readonly skipped: string | null;
  readonly before: { audioToVisual: Recall; visualToAudio: Recall } | null;
  readonly after: { audioToVisual: Recall; visualToAudio: Recall } | null;
  readonly kept: boolean;
  readonly trainSize: number;
  readonly heldoutSize: number;
  readonly epochs: number;
}

const KS = [1, 5, 10] as const;

function recall(q: Float32Array, g: Float32Array, n: number, d: number): Recall {
  const [r1, r5, r10] = pairRecall(q, g, n, d, KS) as [number, number, number];
  return { r1, r5, r10, mean: (r1 + r5 + r10) / 3 };
}

function gather(src: Float32Array, rows: readonly number[], d: number): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(src.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

export async function trainAdapter(ds: Dataset, options: AdapterOptions, hooks: StageHooks): Promise<AdapterResult> {
  const table = ds.table;
  const d = table.dim;
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 10;
  const paired: number[] = [];
  for (let r = 0; r < table.windows.length; r++) if (table.hasAudio[r] === 1 && table.hasVisual[r] === 1) paired.push(r);
  const minPairs = options.minPairs ?? 40;
  if (paired.length < minPairs) {
    return { params: null, skipped: `${paired.length} windows with both audio and picture; need ${minPairs}`, before: null, after: null, kept: false, trainSize: 0, heldoutSize: 0, epochs };
  }
  const random = rng(seed ^ 0x5eed);
  shuffle(paired, random);
  const nHeld = Math.min(options.maxHeldout ?? 1000, Math.max(10, Math.round((options.heldoutFraction ?? 0.2) * paired.length)));
  const held = paired.slice(0, nHeld);
  const train = paired.slice(nHeld);
  // Positive label names per table row, for supervised positives.
  const L = ds.names.length;
  const labelsOf = new Map<number, number[]>();
  ds.labelled.forEach((r, i) => {
    const ls: number[] = [];
    for (let l = 0; l < L; l++) if (ds.state[i * L + l] === 1) ls.push(l);
    if (ls.length > 0) labelsOf.set(r, ls);
  });

  const ha = gather(table.audio, held, d);
  const hv = gather(table.visual, held, d);
  const before = { audioToVisual: recall(ha, hv, held.length, d), visualToAudio: recall(hv, ha, held.length, d) };

  const P = 2 * d * d;
  let params: Float32Array = identityAdapter(d);
  let opt = adam(P);
  let first = 0;
  const saved = hooks.load();
  if (saved !== undefined) {
    const s = unpackState(saved.state, P);
    if (s !== undefined) {
      params = s.params;
      opt = s.state;
      first = saved.epoch + 1;
    }
  }
  const B = Math.max(2, Math.min(options.batchSize ?? 128, train.length));
  const steps = Math.max(1, Math.min(options.maxStepsPerEpoch ?? 50, Math.ceil(train.length / B)));
  const lr = options.lr ?? 2e-3;
  const lambda = options.lambda ?? 1e-2;
  const tau = options.tau ?? 0.07;
  const grad = new Float32Array(P);
  for (let epoch = first; epoch < epochs; epoch++) {
    const er = rng(seed * 7919 + epoch);
    let order: number[] = [];
    for (let step = 0; step < steps; step++) {
      await hooks.checkpoint();
      if (order.length < B) order = order.concat(shuffle([...train], er));
      const rows = order.splice(0, B);
      const b = rows.length;
      const pos = new Float32Array(b * b);
      for (let i = 0; i < b; i++) {
        pos[i * b + i] = 1;
        const li = labelsOf.get(rows[i]!);
        if (li === undefined) continue;
        for (let j = 0; j < b; j++) {
          const lj = labelsOf.get(rows[j]!);
          if (j !== i && lj !== undefined && li.some((l) => lj.includes(l))) pos[i * b + j] = 1;
        }
      }
      adapterLossGrad(params, d, tau, lambda, { a: gather(table.audio, rows, d), v: gather(table.visual, rows, d), pos, b }, grad);
      adamStep(opt, params, grad, lr);
      hooks.progress(epoch + (step + 1) / steps, epochs);
    }
    hooks.save(epoch, packState(params, opt));
  }
  const za = applyAdapterMap(params, d, 0, ha, held.length);
  const zv = applyAdapterMap(params, d, 1, hv, held.length);
  const after = { audioToVisual: recall(za, zv, held.length, d), visualToAudio: recall(zv, za, held.length, d) };
  const gain = options.minGain ?? 0.005;
  const kept = after.audioToVisual.mean - before.audioToVisual.mean >= gain && after.visualToAudio.mean - before.visualToAudio.mean >= gain;
  return { params, skipped: null, before, after, kept, trainSize: train.length, heldoutSize: held.length, epochs };
}

/** Maps a stored embedding through an adapter version's W_a (audio) or W_v (visual); L2-normalised.
 * For search: map queries and gallery vectors of the matching modalities the same way. */
export function adaptVectors(params: Float32Array, dim: number, modality: 'audio' | 'visual', vectors: Float32Array): Float32Array {
  return applyAdapterMap(params, dim, modality === 'audio' ? 0 : 1, vectors, vectors.length / dim);
}
