// Inference threads and batch size for indexing, chosen by a short measurement on this machine and
// remembered beside the model's graphs (one file per model folder, keyed by provider and core count).
// Why measure: ONNX Runtime's own default thread count was 1 on this 2-core machine (CPU time ÷ wall
// 1.0 during a run), and 2 threads ran the full-size int8 encoders 1.8× faster; on another machine
// the best count, and whether batches pay, differ. The measurement runs only the two encoders, on the
// inference thread indexing uses, with zero inputs (the cost of these graphs does not depend on the
// values): a warm-up and two timed calls per setting (the faster counts), about 8 s for the full-size int8
// model on 2 cores, 18 s for fp32.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Modality, ProviderName } from '../../base/types.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import type { InstalledModel } from '../models/store.ts';

export interface TunedSetting {
  readonly threads: number;
  readonly batchSize: number;
  /** Audio + picture pairs per second, inference alone. */
  readonly pairsPerSecond: number;
}

export interface RuntimeTuning {
  readonly provider: ProviderName;
  readonly cpus: number;
  readonly threads: number;
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
 * Batch sizes worth trying, the first also the one threads are compared at: on CPU 1 and 4 (8 was
 * measured no faster than 4 for the full-size int8 model on 2 cores, 3.20 against 3.53 pairs/s, and
 * holds more inputs), bigger on accelerators, which need them to be kept busy.
 */
export function batchCandidates(provider: ProviderName): number[] {
  return provider === 'cpu' ? [1, 4] : [16, 8, 32];
}

async function pairsPerSecond(encoder: Encoder, batch: number): Promise<number> {
  const streams: Modality[] = ['audio', 'visual'];
  const inputs = streams.map((m) => new Float32Array(encoder.inputSize(m) * batch));
  const once = async (): Promise<number> => {
    const t = performance.now();
    for (const [i, m] of streams.entries()) await encoder.encode(m, inputs[i]!);
    return performance.now() - t;
  };
  await once();
  // The faster of two: other work on the machine only ever makes a call slower.
  return (batch * 1000) / Math.min(await once(), await once());
}

export async function measureTuning(model: InstalledModel, provider: ProviderName, cpus: number): Promise<RuntimeTuning> {
  const measured: TunedSetting[] = [];
  const threadsList = provider === 'cpu' ? threadCandidates(cpus) : [1];
  const [firstBatch, ...otherBatches] = batchCandidates(provider);
  const measure = async (threads: number, batchSizes: number[]): Promise<void> => {
    const encoder = new Encoder(model.dir, model.manifest.config, { provider, threads, thread: true });
    try {
      for (const batchSize of batchSizes) measured.push({ threads, batchSize, pairsPerSecond: await pairsPerSecond(encoder, batchSize) });
    } finally {
      await encoder.release();
    }
  };
  // Threads at one batch size, then the other batch sizes at the best thread count.
  for (const threads of threadsList) await measure(threads, [firstBatch!]);
  const best = (): TunedSetting => measured.reduce((a, b) => (b.pairsPerSecond > a.pairsPerSecond ? b : a));
  await measure(best().threads, otherBatches);
  const { threads, batchSize } = best();
  return { provider, cpus, threads, batchSize, measured };
}

/** The remembered tuning for this provider and core count, else a fresh measurement (then saved). */
export async function runtimeTuning(model: InstalledModel, provider: ProviderName, onMeasure?: () => void): Promise<RuntimeTuning> {
  const cpus = os.availableParallelism();
  const file = path.join(model.dir, FILE);
  const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as RuntimeTuning[], () => []);
  const hit = Array.isArray(saved) ? saved.find((t) => t.provider === provider && t.cpus === cpus) : undefined;
  if (hit !== undefined) return hit;
  onMeasure?.();
  const tuning = await measureTuning(model, provider, cpus);
  const others = Array.isArray(saved) ? saved.filter((t) => !(t.provider === provider && t.cpus === cpus)) : [];
  // Best effort: a read-only model folder measures again next time, nothing worse.
  await writeFile(file, JSON.stringify([...others, tuning], null, 2)).catch(() => undefined);
  return tuning;
}
