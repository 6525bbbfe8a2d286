// safetensors: u64 LE header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__"?: {string: string}}, then the raw little-endian data the offsets point into.
// The header is checked the way the reference implementation does: offsets must tile the data exactly.
import { CheckpointError } from '../../base/errors.ts';
import type { RandomAccessFile } from './file.ts';
import { readFloats, type FloatDType } from './tensor-data.ts';
import type { TensorSource } from './tensor-source.ts';

// The reference implementation's own cap on the header.
const MAX_HEADER_BYTES = 100_000_000;
const MAX_DIMS = 64;

const DTYPES: ReadonlyMap<string, { dtype: FloatDType; size: number }> = new Map([
  ['F32', { dtype: 'float32', size: 4 }],
  ['F16', { dtype: 'float16', size: 2 }],
  ['BF16', { dtype: 'bfloat16', size: 2 }],
  ['F64', { dtype: 'float64', size: 8 }],
] as const);

interface Described {
  name: string;
  dtype: FloatDType;
  shape: number[];
  begin: number;
  end: number;
}

/** The file's tensors in data order (the order they are laid out in the file). */
export async function readSafetensorsIndex(file: RandomAccessFile): Promise<TensorSource[]> {
  const fail = (message: string): CheckpointError => new CheckpointError(file.path, `safetensors: ${message}`);
  if (file.size < 8) throw fail('file is shorter than the 8-byte header length');
  const lenBytes = await file.read(0, 8, 'safetensors header length');
  const headerLength = lenBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, file.size - 8))) {
    throw fail(`header claims ${headerLength} bytes but the file has ${file.size - 8} after the length field`);
  }
  const headerBytes = await file.read(8, Number(headerLength), 'safetensors header');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw fail(`header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(header)) throw fail('header is not a JSON object');

  const dataStart = 8 + Number(headerLength);
  const dataLength = file.size - dataStart;
  const tensors: Described[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw fail('__metadata__ is not a map of strings');
      }
      continue;
    }
    tensors.push(describeEntry(name, value, fail));
  }
  if (tensors.length === 0) throw fail('file holds no tensors');

  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of tensors) {
    if (t.begin !== cursor) {
      throw fail(`tensor ${JSON.stringify(t.name)} starts at data byte ${t.begin}, expected ${cursor} ` +
        '(tensors overlap or leave gaps)');
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) throw fail(`tensors cover ${cursor} data bytes but the file holds ${dataLength}`);

  return tensors.map((t) => {
    const numel = (t.end - t.begin) / DTYPE_SIZE[t.dtype];
    return {
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      byteLength: t.end - t.begin,
      async read() {
        const data = await readFloats(t.dtype, numel, (target) => file.readInto(target, dataStart + t.begin, `tensor ${t.name}`));
        return { shape: t.shape, data };
      },
    };
  });
}

const DTYPE_SIZE: Readonly<Record<FloatDType, number>> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

function describeEntry(name: string, value: unknown, fail: (m: string) => CheckpointError): Described {
  const what = `tensor ${JSON.stringify(name)}`;
  if (!isRecord(value)) throw fail(`${what} is not described by an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  const known = typeof dtype === 'string' ? DTYPES.get(dtype) : undefined;
  if (known === undefined) {
    throw fail(`${what} has dtype ${JSON.stringify(dtype) ?? 'undefined'}; only F32, F16, BF16 and F64 can be read`);
  }
  if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every(isCount)) {
    throw fail(`${what} has an invalid shape`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1]) || offsets[1] < offsets[0]) {
    throw fail(`${what} has invalid data_offsets`);
  }
  const [begin, end] = offsets;
  let bytes = known.size;
  for (const d of shape) bytes *= d;
  if (bytes !== end - begin) {
    throw fail(`${what} of shape [${shape.join(', ')}] needs ${bytes} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype: known.dtype, shape: shape.slice(), begin, end };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
