// Checkpoint file → ONNX graphs. Deterministic: the same checkpoint, options and converter version
// give the same bytes, which is what lets the model store reuse a conversion safely.
import { readStateDict } from './checkpoint/index.ts';
import { encoderStateDict, inferConfig } from './cavmae/config.ts';
import type { CavMaeConfig } from './cavmae/config.ts';
import { buildEncoderGraph, buildHeadGraph, buildJointGraph } from './onnx/cavmae-graphs.ts';
import type { BuiltModel } from './onnx/builder.ts';
import { int8Linear } from './onnx/quantize.ts';

/** Bump whenever graph construction changes in a way that changes the bytes of a conversion. */
export const CONVERTER_VERSION = '1';

export type GraphName = 'audio' | 'visual' | 'joint' | 'head';
export type Precision = 'fp32' | 'int8';

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

export async function convertCheckpoint(file: string, options: ConvertOptions = {}): Promise<Conversion> {
  const onStage = options.onStage ?? (() => undefined);
  const full = await readStateDict(file, { onProgress: (done, total) => onStage('read', done, total) });
  const sd = encoderStateDict(full);
  const droppedKeys = full.size - sd.size;
  full.clear();
  onStage('check', 0, 1);
  const config = inferConfig(file, sd, options.heads !== undefined ? { heads: options.heads } : {});
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
  const graphs: Array<{ name: GraphName; model: BuiltModel }> = [];
  for (const [i, name] of names.entries()) {
    onStage(name, i, names.length);
    const model =
      name === 'audio' || name === 'visual'
        ? buildEncoderGraph(sd, config, name, graphOptions)
        : name === 'joint'
          ? buildJointGraph(sd, config, graphOptions)
          : buildHeadGraph(sd, config, { metadata });
    graphs.push({ name, model });
    onStage(name, i + 1, names.length);
  }
  return { config, graphs, droppedKeys };
}
