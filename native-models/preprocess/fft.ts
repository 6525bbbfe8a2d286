// Power spectrum of a real frame of length N (a power of two) via one complex FFT of length N/2.
// The fbank calls this ~1000 times per 10-s window, so every table (bit reversal, twiddles, the
// real-split factors) is computed once per size and the transform itself allocates nothing.

export interface RealPowerSpectrum {
  readonly size: number;
  /**
   * |X[k]|² for k = 0..N/2 of the real signal `input` (length N) written into `out` (length N/2+1).
   * `input` is left untouched.
   */
  power(input: Float64Array, out: Float64Array): void;
}

export function createRealPowerSpectrum(n: number): RealPowerSpectrum {
  if (n < 4 || (n & (n - 1)) !== 0) throw new RangeError(`FFT size must be a power of two ≥ 4, got ${n}`);
  const h = n >> 1; // complex transform length
  const bitrev = new Uint32Array(h);
  const bits = Math.log2(h);
  for (let i = 0; i < h; i++) {
    let r = 0;
    for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
    bitrev[i] = r;
  }
  // Twiddles for the length-h transform: exp(-2πi k/h), k < h/2.
  const cosH = new Float64Array(h >> 1);
  const sinH = new Float64Array(h >> 1);
  for (let k = 0; k < h >> 1; k++) {
    cosH[k] = Math.cos((2 * Math.PI * k) / h);
    sinH[k] = -Math.sin((2 * Math.PI * k) / h);
  }
  // Split factors exp(-2πi k/n) used to separate the even/odd packed halves, k ≤ h.
  const cosN = new Float64Array(h + 1);
  const sinN = new Float64Array(h + 1);
  for (let k = 0; k <= h; k++) {
    cosN[k] = Math.cos((2 * Math.PI * k) / n);
    sinN[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const re = new Float64Array(h);
  const im = new Float64Array(h);

  function power(input: Float64Array, out: Float64Array): void {
    // Pack even samples into the real part and odd samples into the imaginary part, bit-reversed.
    for (let i = 0; i < h; i++) {
      const j = bitrev[i]!;
      re[j] = input[2 * i]!;
      im[j] = input[2 * i + 1]!;
    }
    // Iterative radix-2 decimation in time.
    for (let size = 2; size <= h; size <<= 1) {
      const half = size >> 1;
      const step = h / size;
      for (let start = 0; start < h; start += size) {
        for (let k = 0, t = 0; k < half; k++, t += step) {
          const a = start + k;
          const b = a + half;
          const wr = cosH[t]!;
          const wi = sinH[t]!;
          const br = re[b]!;
          const bi = im[b]!;
          const tr = br * wr - bi * wi;
          const ti = br * wi + bi * wr;
          const ar = re[a]!;
          const ai = im[a]!;
          re[a] = ar + tr;
          im[a] = ai + ti;
          re[b] = ar - tr;
          im[b] = ai - ti;
        }
      }
    }
    // X[k] = E[k] + W^k O[k], with E = (Z[k] + conj Z[h-k]) / 2 and O = (Z[k] - conj Z[h-k]) / 2i.
    for (let k = 0; k <= h; k++) {
      const k1 = k === h ? 0 : k;
      const k2 = k === 0 ? 0 : h - k;
      const zr = re[k1]!;
      const zi = im[k1]!;
      const cr = re[k2]!;
      const ci = -im[k2]!;
      const er = 0.5 * (zr + cr);
      const ei = 0.5 * (zi + ci);
      // (z - c) / 2i = (dr + i di) / 2i = (di - i dr) / 2
      const or = 0.5 * (zi - ci);
      const oi = -0.5 * (zr - cr);
      const wr = cosN[k]!;
      const wi = sinN[k]!;
      const xr = er + or * wr - oi * wi;
      const xi = ei + or * wi + oi * wr;
      out[k] = xr * xr + xi * xi;
    }
  }

  return { size: n, power };
}
