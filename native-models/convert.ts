// Checkpoint file → ONNX graphs. Deterministic: the same checkpoint, options and converter version
// give the same bytes, which is what lets the model store reuse a conversion safely.
import type { Precision } from '../base/types.ts';
import { openCheckpoint } from './checkpoint/index.ts';
import type { GraphName, ModelFamily } from './family.ts';
import type { BuiltModel } from './onnx/builder.ts';
import type { GraphOptions } from './onnx/layers.ts';
import { int8Linear, int8MixedLinear } from './onnx/quantize.ts';
import { familyOfCheckpoint } from './registry.ts';
import type { ModelConfig } from './registry.ts';
import type { StateDict } from './tensor.ts';

/** Bump whenever graph construction changes in a way that changes the bytes of a conversion. */
export const CONVERTER_VERSION = '1';

export interface ConvertOptions {
  readonly heads?: number;
  /** One precision (default fp32); `precisions` builds several from one read of the checkpoint. */
  readonly precision?: Precision;
  readonly precisions?: readonly Precision[];
  readonly metadata?: Record<string, string>;
  readonly onStage?: (stage: 'read' | 'check' | GraphName, done: number, total: number) => void;
}

export interface Conversion {
  readonly config: ModelConfig;
  readonly graphs: ReadonlyArray<{ readonly name: GraphName; readonly model: BuiltModel }>;
  /** Tensors dropped because only the pretraining decoder uses them. */
  readonly droppedKeys: number;
}

interface UsedTensors {
  readonly family: ModelFamily<ModelConfig>;
  readonly sd: StateDict;
  readonly droppedKeys: number;
}

/**
 * The family's tensors that inference uses, nothing else: a pretraining decoder's values (~27 M for
 * CAV-MAE) are never read, and a checkpoint no family recognises is refused before any weight is.
 */
async function readUsedTensors(file: string, onProgress: (done: number, total: number) => void): Promise<UsedTensors> {
  const checkpoint = await openCheckpoint(file);
  try {
    const family = familyOfCheckpoint(file, checkpoint.tensors);
    const wanted = checkpoint.tensors.filter((t) => !family.isUnused(t.name));
    const total = wanted.reduce((s, t) => s + t.byteLength, 0);
    const sd: StateDict = new Map();
    let done = 0;
    onProgress(0, total);
    for (const t of wanted) {
      sd.set(t.name, await t.read());
      done += t.byteLength;
      onProgress(done, total);
    }
    return { family, sd, droppedKeys: checkpoint.tensors.length - wanted.length };
  } finally {
    await checkpoint.close();
  }
}

export type GraphSink = (name: GraphName, model: BuiltModel, precision: Precision) => Promise<void>;

/** How a precision's graphs are built. */
export function graphOptionsFor(precision: Precision, metadata: Record<string, string>): GraphOptions {
  switch (precision) {
    case 'fp32':
      return { metadata };
    case 'int8':
      return { metadata, linear: int8Linear };
    case 'int8-mixed':
      return { metadata, linear: int8MixedLinear };
    case 'fp16':
      return { metadata, compute: 'fp16' };
  }
}

/**
 * Converts and hands each graph to `sink` as soon as it is built, so at most one serialised graph
 * (~340 MB at full size) is alive at a time. `options.check` sees the inferred configuration before
 * any graph is built (a download's expected kind, say).
 */
export async function convertCheckpointTo(
  file: string,
  sink: GraphSink,
  options: ConvertOptions & { check?: (config: ModelConfig) => void } = {},
): Promise<Omit<Conversion, 'graphs'>> {
  const onStage = options.onStage ?? (() => undefined);
  const { family, sd, droppedKeys } = await readUsedTensors(file, (done, total) => onStage('read', done, total));
  onStage('check', 0, 1);
  const config = family.inferConfig(file, sd, options.heads !== undefined ? { heads: options.heads } : {});
  options.check?.(config);
  onStage('check', 1, 1);
  const precisions = options.precisions ?? [options.precision ?? 'fp32'];
  const names = family.graphNames(config);
  const total = names.length * precisions.length;
  let step = 0;
  for (const precision of precisions) {
    const metadata = {
      ...options.metadata,
      'foley.converter_version': CONVERTER_VERSION,
      'foley.precision': precision,
      'foley.config': JSON.stringify(config),
    };
    const graphOptions = graphOptionsFor(precision, metadata);
    for (const name of names) {
      onStage(name, step, total);
      const model = family.buildGraph(name, sd, config, graphOptions);
      await sink(name, model, precision);
      onStage(name, ++step, total);
    }
  }
  return { config, droppedKeys };
}

/** All graphs in memory at once: fine for tests and small models. */
export async function convertCheckpoint(file: string, options: ConvertOptions = {}): Promise<Conversion> {
  const graphs: Array<{ name: GraphName; model: BuiltModel }> = [];
  const rest = await convertCheckpointTo(file, async (name, model) => void graphs.push({ name, model }), options);
  return { ...rest, graphs };
}
