// Checkpoint file → ONNX graphs. Deterministic: the same checkpoint, options and converter version
// give the same bytes, which is what lets the model store reuse a conversion safely.
import { openCheckpoint } from './checkpoint/index.ts';
import type { StateDict } from './tensor.ts';
import { inferConfig, isDecoderKey } from './cavmae/config.ts';
import type { CavMaeConfig } from './cavmae/config.ts';
import { buildEncoderGraph, buildHeadGraph, buildJointGraph } from './onnx/cavmae-graphs.ts';
import type { BuiltModel } from './onnx/builder.ts';
import { int8Linear } from './onnx/quantize.ts';
import type { Precision } from '../base/types.ts';

/** Bump whenever graph construction changes in a way that changes the bytes of a conversion. */
export const CONVERTER_VERSION = '1';

export type GraphName = 'audio' | 'visual' | 'joint' | 'head';

export interface ConvertOptions {
  readonly heads?: number;
  readonly precision?: Precision;
  readonly metadata?: Record<string, string>;
  readonly onStage?: (stage: 'read' | 'check' | GraphName, done: number, total: number) => void;
}

export interface Conversion {
  readonly config: CavMaeConfig;
  readonly graphs: ReadonlyArray<{ readonly name: GraphName; readonly model: BuiltModel }>;
  /** Tensors dropped because only the pretraining decoder uses them. */
  readonly droppedKeys: number;
}

/** The encoder (and head) tensors only: the pretraining decoder's ~27 M values are never read. */
async function readEncoderTensors(file: string, onProgress: (done: number, total: number) => void): Promise<{ sd: StateDict; droppedKeys: number }> {
  const checkpoint = await openCheckpoint(file);
  try {
    const wanted = checkpoint.tensors.filter((t) => !isDecoderKey(t.name));
    const total = wanted.reduce((s, t) => s + t.byteLength, 0);
    const sd: StateDict = new Map();
    let done = 0;
    onProgress(0, total);
    for (const t of wanted) {
      sd.set(t.name, await t.read());
      done += t.byteLength;
      onProgress(done, total);
    }
    return { sd, droppedKeys: checkpoint.tensors.length - wanted.length };
  } finally {
    await checkpoint.close();
  }
}

export type GraphSink = (name: GraphName, model: BuiltModel) => Promise<void>;

/**
 * Converts and hands each graph to `sink` as soon as it is built, so at most one serialised graph
 * (~340 MB at full size) is alive at a time. `options.check` sees the inferred configuration before
 * any graph is built (a download's expected kind, say).
 */
export async function convertCheckpointTo(
  file: string,
  sink: GraphSink,
  options: ConvertOptions & { check?: (config: CavMaeConfig) => void } = {},
): Promise<Omit<Conversion, 'graphs'>> {
  const onStage = options.onStage ?? (() => undefined);
  const { sd, droppedKeys } = await readEncoderTensors(file, (done, total) => onStage('read', done, total));
  onStage('check', 0, 1);
  const config = inferConfig(file, sd, options.heads !== undefined ? { heads: options.heads } : {});
  options.check?.(config);
  onStage('check', 1, 1);
  const precision = options.precision ?? 'fp32';
  const metadata = {
    ...options.metadata,
    'foley.converter_version': CONVERTER_VERSION,
    'foley.precision': precision,
    'foley.config': JSON.stringify(config),
  };
  const graphOptions = precision === 'int8' ? { metadata, linear: int8Linear } : { metadata };
  const names: GraphName[] = config.numClasses === null ? ['audio', 'visual'] : ['audio', 'visual', 'joint', 'head'];
  for (const [i, name] of names.entries()) {
    onStage(name, i, names.length);
    const model =
      name === 'audio' || name === 'visual'
        ? buildEncoderGraph(sd, config, name, graphOptions)
        : name === 'joint'
          ? buildJointGraph(sd, config, graphOptions)
          : buildHeadGraph(sd, config, { metadata });
    await sink(name, model);
    onStage(name, i + 1, names.length);
  }
  return { config, droppedKeys };
}

/** All graphs in memory at once: fine for tests and small models. */
export async function convertCheckpoint(file: string, options: ConvertOptions = {}): Promise<Conversion> {
  const graphs: Array<{ name: GraphName; model: BuiltModel }> = [];
  const rest = await convertCheckpointTo(file, async (name, model) => void graphs.push({ name, model }), options);
  return { ...rest, graphs };
}
