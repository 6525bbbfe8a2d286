// Turning stored bytes into the converter's one layout: float32, row-major, contiguous. Narrow and wide float
// formats are widened/rounded here, and strided views are gathered into fresh arrays.
import type { StorageDType } from './pickle-values.ts';

export type FloatDType = 'float32' | 'float16' | 'bfloat16' | 'float64';

export const ITEM_SIZE: Readonly<Record<StorageDType, number>> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export function isFloatDType(d: StorageDType): d is FloatDType {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

// Every platform Node ships for is little-endian, but a wrong guess would silently scramble weights.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads `count` little-endian elements of `dtype` through `fill` and returns them as float32. */
export async function readFloats(
  dtype: FloatDType,
  count: number,
  fill: (target: Uint8Array) => Promise<void>,
): Promise<Float32Array> {
  const out = new Float32Array(count);
  if (dtype === 'float32' && LITTLE_ENDIAN) {
    await fill(new Uint8Array(out.buffer));
    return out;
  }
  const raw = new Uint8Array(count * ITEM_SIZE[dtype]);
  await fill(raw);
  const view = new DataView(raw.buffer);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'float16': {
      const table = halfTable();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)]!;
      break;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32, so widening is a shift of the bit pattern.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
  }
  return out;
}

let halfToFloat: Float32Array | undefined;

// All 65536 half values, exact in float32 (subnormals, infinities and NaN payloads included).
function halfTable(): Float32Array {
  if (halfToFloat !== undefined) return halfToFloat;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mant << 13);
    } else if (exp !== 0) {
      bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    } else {
      table[h] = (sign !== 0 ? -1 : 1) * mant * 2 ** -24;
    }
  }
  halfToFloat = table;
  return table;
}

export interface ViewSpan {
  /** Elements in the view. */
  readonly numel: number;
  /** First storage element the view touches. */
  readonly first: number;
  /** Storage elements from `first` through the last one touched (0 for an empty view). */
  readonly count: number;
  /** True when the span, read as is, already is the row-major view. */
  readonly contiguous: boolean;
}

/** Where a view lies in its storage, or an error message when it does not fit. */
export function viewSpan(
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
  storageNumel: number,
  maxNumel: number,
): ViewSpan | string {
  let numel = 1;
  for (const d of shape) {
    numel *= d;
    if (numel > maxNumel) return `has more elements than its storage can back (${shapeText(shape)})`;
  }
  if (numel === 0) return { numel: 0, first: offset, count: 0, contiguous: true };
  let last = offset;
  let expected = 1;
  let contiguous = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    const size = shape[i]!;
    const step = stride[i]!;
    last += (size - 1) * step;
    if (size > 1 && step !== expected) contiguous = false;
    expected *= size;
  }
  if (!Number.isSafeInteger(last) || last >= storageNumel) {
    return `view ${shapeText(shape)} with stride ${shapeText(stride)} at offset ${offset} reaches element ${last} ` +
      `of a storage of ${storageNumel}`;
  }
  const count = last - offset + 1;
  return { numel, first: offset, count, contiguous: contiguous && count === numel };
}

/** Row-major copy of a strided view; `src[0]` is the view's first storage element. */
export function gather(src: Float32Array, shape: readonly number[], stride: readonly number[], numel: number): Float32Array {
  const out = new Float32Array(numel);
  const ndim = shape.length;
  if (ndim === 0) {
    out[0] = src[0]!;
    return out;
  }
  const index = new Array<number>(ndim).fill(0);
  const inner = shape[ndim - 1]!;
  const innerStride = stride[ndim - 1]!;
  let base = 0;
  for (let o = 0; o < numel; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = src[base + j * innerStride]!;
    // Odometer over the outer dimensions, keeping `base` in step.
    for (let d = ndim - 2; d >= 0; d--) {
      index[d]!++;
      base += stride[d]!;
      if (index[d]! < shape[d]!) break;
      base -= index[d]! * stride[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}
