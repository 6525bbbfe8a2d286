// The calibration embedding runner: the calibration set through a model's audio and visual graphs
// in batches (one session per graph file, released after), and the comparison of candidate graph
// sets against fp32 (decide.ts makes the call).
//
// Which candidates `auto` compares depends on where the model will run (candidatesFor): on the CPU
// EP, int8 (dynamic quantisation: 4× smaller, ~2.4× less CPU) and then int8-mixed (sensitive layers
// fp32); on an accelerator (CUDA, DirectML, CoreML, WebGPU) fp16, whose half-precision matmuls are
// what those run fast, while ORT's int8 MatMulInteger is a CPU kernel. The comparison runs on the
// provider the model will use, so it measures the numbers search will see.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Agreement, Modality, Precision, ProviderName } from '../../base/types.ts';
import { MODALITIES } from '../../base/types.ts';
import type { ModelFamily } from '../family.ts';
import type { ModelConfig } from '../registry.ts';
import { createSession } from '../runtime/session.ts';
import type { SessionOptions } from '../runtime/session.ts';
import { loadCalibrationSet } from './calibration-set.ts';
import type { CalibrationSet } from './calibration-set.ts';
import { agreement, THRESHOLDS } from './decide.ts';
import { concatFloat32 } from '../tensor.ts';

/** Items per inference call: batching keeps small models' calibration cheap, 8 bounds full-size memory. */
const BATCH = 8;

/** The precisions auto tries, best first, for a provider. */
export function candidatesFor(provider: ProviderName): Precision[] {
  return provider === 'cpu' ? ['int8', 'int8-mixed'] : ['fp16'];
}

export interface CalibrationInputs {
  readonly audio: Float32Array;
  readonly visual: Float32Array;
  readonly count: Readonly<Record<Modality, number>>;
}

/**
 * Prepared inputs per family and configuration: the fbanks and resizes cost ~0.4 s, and a process that
 * imports several models (the app, the tests) prepares them once.
 */
const prepared = new Map<string, CalibrationInputs>();

/** The calibration set as this model's family prepares it (audio: its default frame for Sync). */
export function calibrationInputs(family: ModelFamily<ModelConfig>, config: ModelConfig, set?: CalibrationSet): CalibrationInputs {
  // The whole configuration: safe whatever of it a family's preparation reads.
  const key = JSON.stringify([family.name, config]);
  if (set !== undefined) return prepare(family, config, set);
  let inputs = prepared.get(key);
  if (inputs === undefined) {
    inputs = prepare(family, config, loadCalibrationSet());
    prepared.set(key, inputs);
  }
  return inputs;
}

function prepare(family: ModelFamily<ModelConfig>, config: ModelConfig, set: CalibrationSet): CalibrationInputs {
  return {
    audio: concatFloat32(set.sounds.map((s) => family.audioInput(s.samples, config))),
    visual: concatFloat32(set.pictures.map((p) => family.imageInput(p.rgb, config))),
    count: { audio: set.sounds.length, visual: set.pictures.length },
  };
}

/** Embeddings [count, D] of one modality's calibration inputs through one graph file. */
export async function embedCalibration(
  graphFile: string,
  stream: Modality,
  family: ModelFamily<ModelConfig>,
  config: ModelConfig,
  inputs: CalibrationInputs,
  options: SessionOptions = {},
): Promise<Float32Array> {
  const { session } = await createSession(graphFile, options);
  try {
    const shape = family.inputShape(stream, config);
    const size = shape.reduce((a, b) => a * b, 1);
    const count = inputs.count[stream];
    const out = new Float32Array(count * config.embedDim);
    for (let start = 0; start < count; start += BATCH) {
      const n = Math.min(BATCH, count - start);
      const batch = inputs[stream].subarray(start * size, (start + n) * size);
      const input = new ort.Tensor('float32', batch, [n, ...shape]);
      const result = await session.run({ [family.encoderIO.input[stream]]: input }, [family.encoderIO.embedding]);
      out.set(result[family.encoderIO.embedding]!.data as Float32Array, start * config.embedDim);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Embeddings of both modalities from a folder holding audio.onnx and visual.onnx. */
export async function embedFolder(
  dir: string,
  family: ModelFamily<ModelConfig>,
  config: ModelConfig,
  inputs: CalibrationInputs,
  options: SessionOptions = {},
): Promise<Record<Modality, Float32Array>> {
  return {
    audio: await embedCalibration(path.join(dir, 'audio.onnx'), 'audio', family, config, inputs, options),
    visual: await embedCalibration(path.join(dir, 'visual.onnx'), 'visual', family, config, inputs, options),
  };
}

/** Per-modality agreement of a candidate's embeddings with fp32's. */
export function compare(
  ref: Record<Modality, Float32Array>,
  cand: Record<Modality, Float32Array>,
  config: ModelConfig,
  count: Readonly<Record<Modality, number>>,
): Record<Modality, Agreement> {
  const out = {} as Record<Modality, Agreement>;
  for (const m of MODALITIES) out[m] = agreement(ref[m], cand[m], count[m], config.embedDim, THRESHOLDS.k);
  return out;
}
