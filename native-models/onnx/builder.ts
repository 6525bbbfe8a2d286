// A minimal ONNX graph builder over onnx-buf's generated protobuf types.
// It knows nothing about CAV-MAE: it names values, adds nodes and initializers, and serialises.
// Value names are derived from a counter and the caller's hint, so the same build gives the same bytes.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import type { AttributeProto, NodeProto, TensorProto, ValueInfoProto } from 'onnx-buf';

/** ONNX TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, INT8: 3, INT32: 6, INT64: 7, UINT8: 2, FLOAT16: 10 } as const;
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** Opset 17: LayerNormalization exists, ReduceMean still takes `axes` as an attribute. */
export const OPSET = 17;
/** IR 8 is what opset 17 needs; ORT 1.30 reads it, and so do older runtimes users may have. */
export const IR_VERSION = 8n;
/** ONNX Runtime's contrib operators (MultiHeadAttention, SkipLayerNormalization…): version 1 is the only one. */
export const MS_DOMAIN = 'com.microsoft';

export type Dim = number | string;
export type AttrValue = number | string | readonly number[] | { readonly float: number };

export interface BuiltModel {
  readonly bytes: Uint8Array;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): ValueInfoProto {
  const shape = create(TensorShapeProtoSchema, {
    dim: dims.map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
      }),
    ),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape }) },
    }),
  });
}

function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(value) });
  }
  if (typeof value === 'string') {
    return create(AttributeProtoSchema, { name, type: AttrType.STRING, s: new TextEncoder().encode(value) });
  }
  if ('float' in value) return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: value.float });
  return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: value.map((v) => BigInt(v)) });
}

/** float32 → IEEE half bits, round to nearest even (overflow → ±Inf, tiny → subnormal or 0). */
export function toHalfBits(data: Float32Array): Uint16Array {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    f32[0] = data[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      let h = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && (h & 1) === 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

function rawBytes(data: ArrayBufferView): Uint8Array<ArrayBuffer> {
  // Copy: the protobuf message must own little-endian bytes independent of the caller's buffer.
  const out = new Uint8Array(data.byteLength);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return out;
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputInfos: ValueInfoProto[] = [];
  private readonly outputInfos: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  /** Set once a com.microsoft node is added, so only graphs that use contrib ops import that domain. */
  private usesMsDomain = false;
  private readonly name: string;
  /** Small constants (shapes, axes, scalars) are shared, not repeated per layer. */
  private readonly constants = new Map<string, string>();
  /** While set, float initializers (weights, scalars) are stored as FLOAT16: the fp16 region of a graph. */
  private half = false;

  constructor(name: string) {
    this.name = name;
  }

  private fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.]/g, '_');
    let n = base;
    while (this.used.has(n)) n = `${base}_${++this.counter}`;
    this.used.add(n);
    return n;
  }

  input(name: string, dims: readonly Dim[], elemType: number = DataType.FLOAT): string {
    const n = this.fresh(name);
    if (n !== name) throw new Error(`graph input name ${name} is already used`);
    this.inputInfos.push(valueInfo(n, elemType, dims));
    return n;
  }

  output(value: string, dims: readonly Dim[], elemType: number = DataType.FLOAT): void {
    this.outputInfos.push(valueInfo(value, elemType, dims));
  }

  /**
   * Starts (true) or ends (false) a float16 region: float initializers made meanwhile are FLOAT16.
   * The caller Casts the values that cross the region's edges.
   */
  setHalf(on: boolean): void {
    this.half = on;
  }

  /** The element type float values have here: FLOAT, or FLOAT16 inside a half region. */
  floatType(): number {
    return this.half ? DataType.FLOAT16 : DataType.FLOAT;
  }

  /** A float initializer (weights): raw little-endian bytes, as every reader expects; half inside a half region. */
  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    const n = this.fresh(name);
    let count = 1;
    for (const d of dims) count *= d;
    if (count !== data.length) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(',')}]`);
    const [dataType, bytes] = this.half ? [DataType.FLOAT16, rawBytes(toHalfBits(data))] : [DataType.FLOAT, rawBytes(data)];
    this.initializers.push(create(TensorProtoSchema, { name: n, dims: dims.map((d) => BigInt(d)), dataType, rawData: bytes }));
    return n;
  }

  int64Tensor(name: string, values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    const cached = this.constants.get(key);
    if (cached !== undefined) return cached;
    const n = this.fresh(name);
    this.constants.set(key, n);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(
      create(TensorProtoSchema, { name: n, dims: [BigInt(values.length)], dataType: DataType.INT64, rawData: rawBytes(data) }),
    );
    return n;
  }

  /** A typed initializer for quantised weights (int8/uint8 data or int32/float scalars). */
  typedTensor(name: string, dims: readonly number[], dataType: number, data: ArrayBufferView): string {
    const n = this.fresh(name);
    this.initializers.push(create(TensorProtoSchema, { name: n, dims: dims.map((d) => BigInt(d)), dataType, rawData: rawBytes(data) }));
    return n;
  }

  scalar(name: string, value: number): string {
    const key = `${this.half ? 'f16' : 'f32'}:${Math.fround(value)}`;
    const cached = this.constants.get(key);
    if (cached !== undefined) return cached;
    const n = this.floatTensor(name, [], Float32Array.of(value));
    this.constants.set(key, n);
    return n;
  }

  /** Adds one node with a single output and returns that output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, hint = opType): string {
    return this.opN(opType, inputs, 1, attrs, hint)[0]!;
  }

  opN(opType: string, inputs: readonly string[], outputCount: number, attrs: Record<string, AttrValue> = {}, hint = opType): string[] {
    const outputs = Array.from({ length: outputCount }, (_, i) => this.fresh(outputCount === 1 ? hint : `${hint}_${i}`));
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        name: this.fresh(`node_${hint}`),
        input: [...inputs],
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  /**
   * One ONNX Runtime contrib node (domain com.microsoft). `outputs` says which of the op's positional
   * outputs are wanted: unwanted ones get the empty name, which tells ORT not to compute them.
   */
  contrib(opType: string, inputs: readonly string[], outputs: readonly boolean[], attrs: Record<string, AttrValue> = {}, hint = opType): string[] {
    this.usesMsDomain = true;
    const names = outputs.map((wanted, i) => (wanted ? this.fresh(outputs.length === 1 ? hint : `${hint}_${i}`) : ''));
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        domain: MS_DOMAIN,
        name: this.fresh(`node_${hint}`),
        input: [...inputs],
        output: names,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return names;
  }

  /** Renames a value by routing it through Identity, so graph outputs get stable public names. */
  named(value: string, name: string): string {
    if (this.used.has(name)) throw new Error(`value name ${name} is already used`);
    this.used.add(name);
    this.nodes.push(create(NodeProtoSchema, { opType: 'Identity', name: this.fresh(`node_${name}`), input: [value], output: [name] }));
    return name;
  }

  build(metadata: Record<string, string> = {}, docString = ''): BuiltModel {
    const graph = create(GraphProtoSchema, {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputInfos,
      output: this.outputInfos,
    });
    const model = create(ModelProtoSchema, {
      irVersion: IR_VERSION,
      producerName: 'foley',
      docString,
      graph,
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(OPSET) }),
        ...(this.usesMsDomain ? [create(OperatorSetIdProtoSchema, { domain: MS_DOMAIN, version: 1n })] : []),
      ],
      metadataProps: Object.entries(metadata)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
    });
    return {
      bytes: toBinary(ModelProtoSchema, model),
      inputs: this.inputInfos.map((v) => v.name),
      outputs: this.outputInfos.map((v) => v.name),
    };
  }
}
