// A linear projection of D-dim unit vectors onto d < D dims that preserves inner products as far as a
// rank-d map can: the top-d eigenvectors of the uncentred second-moment matrix Σ x xᵀ of a sample (PCA
// without removing the mean — the mean is part of every inner product). The HNSW graph is built on the
// projected rows (distances cost d instead of D multiplies, so build and search are cheaper) and proposes
// candidates that the engine re-ranks exactly on the stored D-dim vectors (bench/search-scale.bench.ts).
// Serialised as a trailer after the hnswlib file so graph and projection are stored, checksummed and
// rebuilt together (db/vector-index.ts).

export interface Projection {
  /** Source dimension. */
  readonly dim: number;
  /** Target dimension. */
  readonly d: number;
  /** d rows of dim numbers, orthonormal. */
  readonly basis: Float32Array;
  /** Share of the sample's squared norm the projection keeps (1 = lossless on the sample). */
  readonly energy: number;
}

/** Subspace-iteration rounds: enough for the leading d eigenvectors of embedding spectra to settle. */
const ITERATIONS = 12;

/** Fits a projection to `sample` (rows of dim numbers, assumed unit length). Deterministic. */
export function fitProjection(sample: Float32Array, dim: number, d: number): Projection {
  const n = sample.length / dim;
  if (!Number.isInteger(n) || n === 0) throw new Error(`sample of ${sample.length} numbers is not whole rows of ${dim}`);
  if (d <= 0 || d >= dim) throw new Error(`cannot project ${dim} numbers onto ${d}`);
  const c = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    for (let i = 0; i < dim; i++) {
      const xi = sample[o + i]!;
      if (xi === 0) continue;
      const ci = i * dim;
      for (let j = i; j < dim; j++) c[ci + j]! += xi * sample[o + j]!;
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) c[i * dim + j] = c[j * dim + i]!;
  // Fixed pseudo-random start (LCG) so the same sample gives the same basis.
  let q = new Float64Array(d * dim);
  let s = 12345;
  for (let i = 0; i < q.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    q[i] = s / 4294967296 - 0.5;
  }
  for (let it = 0; it < ITERATIONS; it++) {
    const y = new Float64Array(d * dim);
    for (let k = 0; k < d; k++) {
      const qk = k * dim;
      for (let i = 0; i < dim; i++) {
        const a = q[qk + i]!;
        const ci = i * dim;
        for (let j = 0; j < dim; j++) y[qk + j]! += a * c[ci + j]!;
      }
    }
    orthonormalise(y, d, dim);
    q = y;
  }
  const basis = Float32Array.from(q);
  let kept = 0;
  let total = 0;
  const p = new Float32Array(d);
  for (let r = 0; r < n; r++) {
    const x = sample.subarray(r * dim, (r + 1) * dim);
    projectInto({ dim, d, basis, energy: 1 }, x, p);
    for (let k = 0; k < d; k++) kept += p[k]! * p[k]!;
    for (let j = 0; j < dim; j++) total += x[j]! * x[j]!;
  }
  return { dim, d, basis, energy: total > 0 ? kept / total : 1 };
}

/** Modified Gram-Schmidt on the d rows of y; a row that collapses is replaced by zeros. */
function orthonormalise(y: Float64Array, d: number, dim: number): void {
  for (let k = 0; k < d; k++) {
    const ok = k * dim;
    for (let m = 0; m < k; m++) {
      const om = m * dim;
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += y[ok + j]! * y[om + j]!;
      for (let j = 0; j < dim; j++) y[ok + j]! -= dot * y[om + j]!;
    }
    let nn = 0;
    for (let j = 0; j < dim; j++) nn += y[ok + j]! * y[ok + j]!;
    const inv = nn > 1e-30 ? 1 / Math.sqrt(nn) : 0;
    for (let j = 0; j < dim; j++) y[ok + j]! *= inv;
  }
}

/** out = basis · x. */
export function projectInto(p: Projection, x: ArrayLike<number>, out: Float32Array | number[]): void {
  const { dim, d, basis } = p;
  for (let k = 0; k < d; k++) {
    const o = k * dim;
    let s0 = 0;
    let s1 = 0;
    let j = 0;
    for (; j + 1 < dim; j += 2) {
      s0 += basis[o + j]! * x[j]!;
      s1 += basis[o + j + 1]! * x[j + 1]!;
    }
    for (; j < dim; j++) s0 += basis[o + j]! * x[j]!;
    out[k] = s0 + s1;
  }
}

const MAGIC = Buffer.from('FOLEYPRJ', 'latin1');
const HEADER = MAGIC.length + 16; // magic, dim u32, requested d u32, d u32 (0: none used), energy f32

/**
 * Bytes appended after the hnswlib file: basis (d·dim f32 LE), then magic, dim, requested d, used d,
 * energy. `p` undefined records that a projection was asked for but not used (it kept too little).
 */
export function encodeProjection(requested: number, p: Projection | undefined, dim: number): Buffer {
  const basis = p?.basis ?? new Float32Array(0);
  const out = Buffer.alloc(basis.byteLength + HEADER);
  Buffer.from(basis.buffer, basis.byteOffset, basis.byteLength).copy(out, 0);
  let o = basis.byteLength;
  MAGIC.copy(out, o);
  o += MAGIC.length;
  out.writeUInt32LE(dim, o);
  out.writeUInt32LE(requested, o + 4);
  out.writeUInt32LE(p?.d ?? 0, o + 8);
  out.writeFloatLE(p?.energy ?? 0, o + 12);
  return out;
}

/** The trailer's header, read from a file's last bytes; undefined when it has none. `bytes`: trailer size. */
export function projectionTrailer(tail: Buffer): { dim: number; requested: number; d: number; energy: number; bytes: number } | undefined {
  if (tail.length < HEADER) return undefined;
  const h = tail.subarray(tail.length - HEADER);
  if (!h.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const o = MAGIC.length;
  const dim = h.readUInt32LE(o);
  const d = h.readUInt32LE(o + 8);
  return { dim, requested: h.readUInt32LE(o + 4), d, energy: h.readFloatLE(o + 12), bytes: d * dim * 4 + HEADER };
}

export const PROJECTION_HEADER_BYTES = HEADER;
