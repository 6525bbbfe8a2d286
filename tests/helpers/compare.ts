// Numeric comparison helpers for golden tests: one number that says how far apart, so a failure
// message tells by how much a tolerance was missed.
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Cosine similarity of row r of two [rows, d] matrices. */
export function rowCosine(a: Float32Array, b: Float32Array, d: number, r: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = r * d; i < (r + 1) * d; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
