// Inference threads and batch size for indexing, chosen by a short measurement on this machine and
// remembered beside the model's graphs (one file per model folder, keyed by provider and core count).
// Why measure: ONNX Runtime's own default thread count was 1 on this 2-core machine (CPU time ÷ wall
// 1.0 during a run), and 2 threads ran the full-size int8 encoders 1.8× faster; on another machine
// the best count, and whether batches pay, differ. The measurement runs only the two encoders, on the
// inference thread indexing uses, with zero inputs (the cost of these graphs does not depend on the
// values): a warm-up and two timed calls per setting (the faster counts), about 12 s for the full-size
// int8 model on 2 cores. Since stop 27 it also tries inference lanes (Encoder's `lanes`: threads that each
// run whole batches single-threaded), and a bigger batch must be clearly faster to be chosen, as it holds
// more memory. A remembered tuning from before lanes existed is measured again.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Modality, ProviderName } from '../../base/types.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import type { InstalledModel } from '../models/store.ts';

export interface TunedSetting {
  /** Intra-op threads per lane. */
  readonly threads: number;
  /** Inference threads running batches side by side (Encoder's `lanes`). */
  readonly lanes: number;
  readonly batchSize: number;
  /** Audio + picture pairs per second, inference alone. */
  readonly pairsPerSecond: number;
}

export interface RuntimeTuning {
  readonly provider: ProviderName;
  readonly cpus: number;
  readonly threads: number;
  readonly lanes: number;
  readonly batchSize: number;
  /** Every setting tried, in the order tried. */
  readonly measured: readonly TunedSetting[];
}

const FILE = 'runtime-tuning.json';

/** Thread counts worth trying: every core, and every core but one (left to ffmpeg and fbank). */
export function threadCandidates(cpus: number): number[] {
  return [...new Set([cpus, Math.max(1, cpus - 1)])];
}

/**
 * Lanes × threads worth trying on CPU: one lane with each of threadCandidates, and with 2+ cores two lanes
 * sharing the cores. Not more lanes: each holds its own copy of the weights (≈+250 MiB for the full-size
 * int8 model at batch 2).
 */
export function laneCandidates(cpus: number): { lanes: number; threads: number }[] {
  const one = threadCandidates(cpus).map((threads) => ({ lanes: 1, threads }));
  return cpus >= 2 ? [...one, { lanes: 2, threads: Math.floor(cpus / 2) }] : one;
}

/** A bigger batch is chosen only when it gives this much more: it holds more activations in every lane. */
const BIGGER_BATCH_GAIN = 1.05;

/**
 * Batch sizes worth trying, the first also the one threads are compared at: on CPU 1, 2 and 4 (8 was
 * measured no faster than 4 for the full-size int8 model on 2 cores, 3.20 against 3.53 pairs/s, and
 * holds more inputs; two lanes at 2 matched one lane at 4 with 256 MiB less than two lanes at 4),
 * bigger on accelerators, which need them to be kept busy.
 */
export function batchCandidates(provider: ProviderName): number[] {
  return provider === 'cpu' ? [1, 2, 4] : [16, 8, 32];
}

async function pairsPerSecond(encoder: Encoder, batch: number): Promise<number> {
  const streams: Modality[] = ['audio', 'visual'];
  const inputs = streams.map((m) => new Float32Array(encoder.inputSize(m) * batch));
  // One batch pair per lane, side by side, as indexing keeps every lane busy.
  const pair = async (): Promise<void> => {
    for (const [i, m] of streams.entries()) await encoder.encode(m, inputs[i]!);
  };
  const once = async (): Promise<number> => {
    const t = performance.now();
    await Promise.all(Array.from({ length: encoder.lanes }, pair));
    return performance.now() - t;
  };
  await once();
  // The faster of two: other work on the machine only ever makes a call slower.
  return (encoder.lanes * batch * 1000) / Math.min(await once(), await once());
}

export async function measureTuning(model: InstalledModel, provider: ProviderName, cpus: number): Promise<RuntimeTuning> {
  const measured: TunedSetting[] = [];
  const layouts = provider === 'cpu' ? laneCandidates(cpus) : [{ lanes: 1, threads: 1 }];
  const [firstBatch, ...otherBatches] = batchCandidates(provider);
  const measure = async (layout: { lanes: number; threads: number }, batchSizes: number[]): Promise<void> => {
    // As indexing runs them (core/indexing/indexer.ts setUpRuntime).
    const encoder = new Encoder(model.dir, model.manifest.config, { provider, ...layout, thread: true, spinning: false });
    try {
      for (const batchSize of batchSizes) measured.push({ ...layout, batchSize, pairsPerSecond: await pairsPerSecond(encoder, batchSize) });
    } finally {
      await encoder.release();
    }
  };
  // Lanes and threads at one batch size, then the other batch sizes with the best of those.
  for (const layout of layouts) await measure(layout, [firstBatch!]);
  const fastest = measured.reduce((a, b) => (b.pairsPerSecond > a.pairsPerSecond ? b : a));
  await measure({ lanes: fastest.lanes, threads: fastest.threads }, otherBatches);
  const { threads, lanes, batchSize } = chooseSetting(measured);
  return { provider, cpus, threads, lanes, batchSize, measured };
}

/**
 * The fastest setting, except that among one layout's batch sizes a bigger batch must beat the smaller
 * one chosen so far by BIGGER_BATCH_GAIN (measured pairs/s wobble by a few per cent; activations do not).
 */
export function chooseSetting(measured: readonly TunedSetting[]): TunedSetting {
  const fastest = measured.reduce((a, b) => (b.pairsPerSecond > a.pairsPerSecond ? b : a));
  const sameLayout = measured.filter((s) => s.lanes === fastest.lanes && s.threads === fastest.threads).sort((a, b) => a.batchSize - b.batchSize);
  let chosen = sameLayout[0]!;
  for (const s of sameLayout.slice(1)) if (s.pairsPerSecond >= chosen.pairsPerSecond * BIGGER_BATCH_GAIN) chosen = s;
  return chosen;
}

/** The remembered tuning for this provider and core count, else a fresh measurement (then saved). */
export async function runtimeTuning(model: InstalledModel, provider: ProviderName, onMeasure?: () => void): Promise<RuntimeTuning> {
  const cpus = os.availableParallelism();
  const file = path.join(model.dir, FILE);
  const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as RuntimeTuning[], () => []);
  // A tuning saved before lanes existed (no `lanes`) is measured again.
  const hit = Array.isArray(saved) ? saved.find((t) => t.provider === provider && t.cpus === cpus && typeof t.lanes === 'number') : undefined;
  if (hit !== undefined) return hit;
  onMeasure?.();
  const tuning = await measureTuning(model, provider, cpus);
  const others = Array.isArray(saved) ? saved.filter((t) => !(t.provider === provider && t.cpus === cpus)) : [];
  // Best effort: a read-only model folder measures again next time, nothing worse.
  await writeFile(file, JSON.stringify([...others, tuning], null, 2)).catch(() => undefined);
  return tuning;
}
