// Kernels and caches for bench/search-scale.bench.ts: cached rows and ground truth, a projection of every
// row, and the in-memory re-rank stores tried there (fp32, float16, int8 per-row scale).
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { scoreAll, topK } from '../core/search/vectors.ts';
import { latentVectors } from '../tests/db/helpers.ts';

export const D = 768;
export const K = 10;

/** Chunked reads and writes: readFileSync refuses files over 2 GiB, and 1M rows are 3.1 GB. */
const CHUNK = 1 << 28;

function readInto(file: string, out: Uint8Array): void {
  const fd = openSync(file, 'r');
  try {
    for (let o = 0; o < out.length; o += CHUNK) readSync(fd, out, o, Math.min(CHUNK, out.length - o), o);
  } finally {
    closeSync(fd);
  }
}

function writeAll(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    for (let o = 0; o < bytes.length; o += CHUNK) writeSync(fd, bytes, o, Math.min(CHUNK, bytes.length - o));
  } finally {
    closeSync(fd);
  }
}

/** Rows cached as raw float32 in /tmp: generating 1M latent128 rows costs minutes of JS. */
export function cachedRows(latent: number, n: number, seed: number): Float32Array {
  const file = `/tmp/foley-scale-latent${latent}-s${seed}-${n}.f32`;
  const rows = new Float32Array(n * D);
  if (existsSync(file) && statSync(file).size === n * D * 4) {
    readInto(file, new Uint8Array(rows.buffer));
    return rows;
  }
  rows.set(latentVectors(D, seed, latent)(n));
  writeAll(file, new Uint8Array(rows.buffer));
  return rows;
}

/**
 * Exact top-K of each query by an fp32 scan, with the scan's latencies; cached in /tmp next to the rows
 * (1M × 100 queries is ≈2 min of scanning). A cached truth has no latencies.
 */
export function exactTruth(tag: string, rows: Float32Array, queries: Float32Array, nq: number): { truth: number[][]; latMs: number[] } {
  const n = rows.length / D;
  const file = `/tmp/foley-scale-truth-${tag}-${n}-${nq}.json`;
  if (existsSync(file)) {
    const truth = JSON.parse(new TextDecoder().decode(readBytes(file))) as number[][];
    return { truth, latMs: [] };
  }
  const scores = new Float32Array(n);
  const truth: number[][] = [];
  const latMs: number[] = [];
  for (let i = 0; i < nq; i++) {
    const t = performance.now();
    scoreAll(rows, queries.subarray(i * D, (i + 1) * D), scores);
    truth.push(topK(scores, K));
    latMs.push(performance.now() - t);
  }
  writeFileSync(file, JSON.stringify(truth));
  return { truth, latMs };
}

function readBytes(file: string): Uint8Array {
  const b = new Uint8Array(statSync(file).size);
  readInto(file, b);
  return b;
}

/** out = p·x for a d×D basis p. */
export function project(p: Float32Array, d: number, x: Float32Array, out = new Float32Array(d)): Float32Array {
  for (let k = 0; k < d; k++) {
    let s0 = 0;
    let s1 = 0;
    const o = k * D;
    for (let j = 0; j < D; j += 2) {
      s0 += p[o + j]! * x[j]!;
      s1 += p[o + j + 1]! * x[j + 1]!;
    }
    out[k] = s0 + s1;
  }
  return out;
}

/** Every row projected (n × d). */
export function projectAll(p: Float32Array, d: number, rows: Float32Array): Float32Array {
  const n = rows.length / D;
  const proj = new Float32Array(n * d);
  for (let i = 0; i < n; i++) project(p, d, rows.subarray(i * D, (i + 1) * D), proj.subarray(i * d, (i + 1) * d));
  return proj;
}

/** int8 rows with a per-row scale (max|x|/127). */
export function quantise(rows: Float32Array, dim: number): { q: Int8Array; scale: Float32Array } {
  const n = rows.length / dim;
  const q = new Int8Array(rows.length);
  const scale = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let m = 0;
    for (let j = 0; j < dim; j++) m = Math.max(m, Math.abs(rows[o + j]!));
    const s = m > 0 ? m / 127 : 1;
    scale[i] = s;
    for (let j = 0; j < dim; j++) q[o + j] = Math.round(rows[o + j]! / s);
  }
  return { q, scale };
}

export function int8Dot(q8: Int8Array, scale: Float32Array, row: number, dim: number, qq: Int8Array): number {
  const o = row * dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let j = 0; j < dim; j += 4) {
    s0 += q8[o + j]! * qq[j]!;
    s1 += q8[o + j + 1]! * qq[j + 1]!;
    s2 += q8[o + j + 2]! * qq[j + 2]!;
    s3 += q8[o + j + 3]! * qq[j + 3]!;
  }
  return (s0 + s1 + s2 + s3) * scale[row]!;
}

export function quantiseQuery(x: Float32Array): Int8Array {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  const out = new Int8Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = Math.round((x[j]! / m) * 127);
  return out;
}

/** Exact re-rank of candidate labels on fp32 rows; returns the top k labels. */
export function rerankF32(rows: Float32Array, cands: readonly number[], q: Float32Array, k: number): number[] {
  const s = new Float32Array(cands.length);
  for (let i = 0; i < cands.length; i++) {
    const o = cands[i]! * D;
    let a = 0;
    let b = 0;
    for (let j = 0; j < D; j += 2) {
      a += rows[o + j]! * q[j]!;
      b += rows[o + j + 1]! * q[j + 1]!;
    }
    s[i] = a + b;
  }
  return topK(s, k).map((i) => cands[i]!);
}

/** float16 bits → float32 for all 65,536 patterns: a table read is the fastest decode in JS. */
let f16Table: Float32Array | undefined;

/** The rows as float16 bits (what SQLite stores, half of fp32 in memory). */
export function toF16(rows: Float32Array): Uint16Array {
  const h = new Float16Array(rows);
  return new Uint16Array(h.buffer, h.byteOffset, h.length);
}

export function rerankF16(h: Uint16Array, cands: readonly number[], q: Float32Array, k: number): number[] {
  if (f16Table === undefined) {
    const t = new Float16Array(65536);
    new Uint16Array(t.buffer).forEach((_, i, a) => (a[i] = i));
    f16Table = Float32Array.from(t);
  }
  const tab = f16Table;
  const s = new Float32Array(cands.length);
  for (let i = 0; i < cands.length; i++) {
    const o = cands[i]! * D;
    let a = 0;
    let b = 0;
    for (let j = 0; j < D; j += 2) {
      a += tab[h[o + j]!]! * q[j]!;
      b += tab[h[o + j + 1]!]! * q[j + 1]!;
    }
    s[i] = a + b;
  }
  return topK(s, k).map((i) => cands[i]!);
}

export function rerankInt8(full8: { q: Int8Array; scale: Float32Array }, cands: readonly number[], q: Float32Array, k: number): number[] {
  const qq = quantiseQuery(q);
  const s = new Float32Array(cands.length);
  for (let j = 0; j < cands.length; j++) s[j] = int8Dot(full8.q, full8.scale, cands[j]!, D, qq);
  return topK(s, k).map((j) => cands[j]!);
}
