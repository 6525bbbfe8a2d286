// How embeddings are stored: float16, little-endian, one BLOB per vector.
//
// Why not float32: the vectors are L2-normalised (components ~ ±0.04 for D=768), where float16 keeps
// 11 significant bits. Measured by bench/store.bench.ts on 5,000 structured 768-d vectors ("latent32",
// low intrinsic dimension like real embeddings): cosine(original, decoded) ≥ 0.99999997, the largest
// change of any query·vector score 3.6e-5 (20 queries × 5,000 vectors), and exact top-10 lists
// identical for 20 of 20 queries — while the embeddings table takes 2,097 instead of 4,149 bytes per
// vector (a 3 KiB row also wastes most of a 4 KiB page). The HNSW graph still holds float32.
//
// Float16Array is built into Node 24 and Electron 45 (V8 13.6) but not into TypeScript's ES2024 lib, so
// it is looked up at run time, with a bit-exact software fallback for older runtimes.

interface Float16ArrayCtor {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayLike<number>;
  new (length: number): ArrayLike<number> & { set(values: ArrayLike<number>): void; readonly buffer: ArrayBuffer };
}

const NativeFloat16 = (globalThis as { Float16Array?: Float16ArrayCtor }).Float16Array;

export const VECTOR_FORMAT = 'f16le';

export function encodeVector(v: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(v.length * 2);
  if (NativeFloat16 !== undefined && out.byteOffset % 2 === 0) {
    const h = new NativeFloat16(out.buffer, out.byteOffset, v.length) as unknown as { set(values: ArrayLike<number>): void };
    h.set(v);
    if (!isLittleEndian) out.swap16();
    return out;
  }
  for (let i = 0; i < v.length; i++) out.writeUInt16LE(f32ToF16Bits(v[i]!), i * 2);
  return out;
}

/** Decodes into `out` at `offset` (for bulk reads into one big array) or into a new Float32Array. */
export function decodeVector(blob: Uint8Array, out?: Float32Array, offset = 0): Float32Array {
  if (blob.byteLength % 2 !== 0) throw new Error(`vector BLOB of ${blob.byteLength} bytes is not float16`);
  const n = blob.byteLength / 2;
  const target = out ?? new Float32Array(n);
  if (NativeFloat16 !== undefined && isLittleEndian) {
    // A typed-array view needs 2-byte alignment; SQLite's buffers usually have it, copy when not.
    const aligned = blob.byteOffset % 2 === 0 ? blob : Uint8Array.prototype.slice.call(blob);
    target.set(new NativeFloat16(aligned.buffer, aligned.byteOffset, n), offset);
    return target;
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < n; i++) target[offset + i] = f16BitsToF32(view.getUint16(i * 2, true));
  return target;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 → binary16 bits, round to nearest even (what Float16Array does). */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
