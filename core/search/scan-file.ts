// The int8 scan's stored form (core/search/projected-scan.ts), kept as the pair's chunks in SQLite
// (db/graph-chunks.ts, meta m = 0), so a process starts searching a large collection from its stored codes
// instead of fitting the projection and coding every row again (at 1M rows: two passes over 1.5 GB).
// Layout, little-endian: magic "FOLEYSC2", u32 dim, u32 d, u32 rows, u32 fitCount, f32 energy, f32 error
// (the re-rank's learnt bound, scan-rerank.ts; NaN when none), then the basis (d × dim f32), the steps
// (d f32), the labels (rows f64) and the codes (rows × d u8). "FOLEYSC1" (stop 26) is the same without
// the error, and still read.
import type { Projection } from '../../db/projection.ts';

export interface ScanSnapshot {
  readonly projection: Projection;
  /** Each projected dimension's int8 step. */
  readonly steps: Float32Array;
  /** Vectors stored when the projection was fitted (a collection that outgrew it is fitted again). */
  readonly fitCount: number;
  /** Label of each row (live rows only). */
  readonly labels: Float64Array;
  /** rows × d codes (value + 128). */
  readonly codes: Uint8Array;
  /** The largest |exact − approximate| cosine the re-rank has learnt for these codes, if any. */
  readonly error?: number;
}

const MAGIC = Buffer.from('FOLEYSC2');
const MAGIC_V1 = Buffer.from('FOLEYSC1');
const HEADER = MAGIC.length + 6 * 4;
const HEADER_V1 = MAGIC_V1.length + 5 * 4;

export function encodeScan(s: ScanSnapshot): Buffer {
  const { dim, d, basis, energy } = s.projection;
  const rows = s.labels.length;
  const parts = [basis, s.steps, s.labels, s.codes].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head, 0);
  let o = MAGIC.length;
  for (const v of [dim, d, rows, s.fitCount]) {
    head.writeUInt32LE(v, o);
    o += 4;
  }
  head.writeFloatLE(energy, o);
  head.writeFloatLE(s.error ?? Number.NaN, o + 4);
  return Buffer.concat([head, ...parts]);
}

/** The snapshot in `bytes`, or what is wrong with them (then the caller builds the scan afresh). */
export function decodeScan(bytes: Buffer, dim: number, d: number): ScanSnapshot | string {
  const magic = bytes.subarray(0, MAGIC.length);
  const v1 = magic.equals(MAGIC_V1);
  const header = v1 ? HEADER_V1 : HEADER;
  if (bytes.length < header || !(v1 || magic.equals(MAGIC))) return 'not an int8 scan';
  let o = MAGIC.length;
  const [storedDim, storedD, rows, fitCount] = [0, 1, 2, 3].map((i) => bytes.readUInt32LE(o + 4 * i)) as [number, number, number, number];
  o += 16;
  const energy = bytes.readFloatLE(o);
  const stored = v1 ? Number.NaN : bytes.readFloatLE(o + 4);
  o = header;
  if (storedDim !== dim || storedD !== d) return `stored for ${storedDim} → ${storedD} dims, not ${dim} → ${d}`;
  const size = header + 4 * d * dim + 4 * d + 8 * rows + rows * d;
  if (bytes.length !== size) return `${bytes.length} bytes, expected ${size} for ${rows} rows`;
  // Copies: the typed arrays need aligned, owned buffers.
  const take = (n: number): ArrayBuffer => {
    const b = bytes.buffer.slice(bytes.byteOffset + o, bytes.byteOffset + o + n) as ArrayBuffer;
    o += n;
    return b;
  };
  const basis = new Float32Array(take(4 * d * dim));
  const steps = new Float32Array(take(4 * d));
  const labels = new Float64Array(take(8 * rows));
  const codes = new Uint8Array(take(rows * d));
  const error = Number.isFinite(stored) && stored >= 0 ? stored : undefined;
  return { projection: { dim, d, basis, energy }, steps, fitCount, labels, codes, ...(error !== undefined ? { error } : {}) };
}
