// The scan's re-rank stops reading once the remaining candidates cannot reach the top k, by the error
// bound learnt from its calibration searches (core/search/scan-rerank.ts). Plain arrays: the reads are a
// function here, so the test counts exactly which candidates were read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALIBRATION, rerankScanned, ScanErrorBound } from '../../core/search/scan-rerank.ts';
import { topK } from '../../core/search/vectors.ts';

const N = 100;
/** Candidates in decreasing approximation: 1.000, 0.998, … 0.802. */
const approx = Float32Array.from({ length: N }, (_, i) => 1 - i * 0.002);
const ids = Array.from({ length: N }, (_, i) => 1000 + i);

function calibrated(err: number): ScanErrorBound {
  const bound = new ScanErrorBound();
  // Exact cosines off by ±err: the bound learns err (and allows 1.5 × err).
  const exact = Float32Array.from(approx, (a, i) => a + (i % 2 === 0 ? err : -err));
  for (let s = 0; s < CALIBRATION; s++) {
    assert.equal(bound.ready, false);
    const r = rerankScanned(ids, approx, 10, bound, (part) => Float32Array.from(part, (id) => exact[id - 1000]!));
    assert.equal(r.read, N);
  }
  assert.equal(bound.ready, true);
  return bound;
}

test('reads stop where the approximation plus the learnt error falls under the 10th best exact cosine', () => {
  const exact = approx.slice();
  const read = (part: readonly number[]): Float32Array => Float32Array.from(part, (id) => exact[id - 1000]!);
  // err 0.02 → allowance 0.03: the 10th best is 0.982, candidate 50's 0.900 + 0.03 is under it: 50 reads.
  const tight = rerankScanned(ids, approx, 10, calibrated(0.02), read);
  assert.equal(tight.read, 50);
  assert.deepEqual(topK(tight.exact, 10), topK(exact, 10));
  assert.ok(tight.exact.subarray(50).every((v) => Number.isNaN(v)));
  // err 0.1 → allowance 0.15: 0.982 − 0.15 = 0.832 is reached only at candidate 85, after the last block.
  assert.equal(rerankScanned(ids, approx, 10, calibrated(0.1), read).read, N);
});

test('a candidate in a later block whose approximation errs within the allowance is read and ranked', () => {
  // Learnt error 0.05. Every exact cosine is 0.05 under its approximation but candidate 60's (approx
  // 0.880), which is really 0.935: off by 0.055, inside the 0.075 allowance, and into the top 10. Read in
  // the second block, it widens the allowance to 0.0825; with the 10th best at 0.934, reading stops once an
  // approximation is under 0.8515: after candidate 74.
  const bound = calibrated(0.05);
  const exact = Float32Array.from(approx, (a) => a - 0.05);
  exact[60] = 0.935;
  const r = rerankScanned(ids, approx, 10, bound, (part) => Float32Array.from(part, (id) => exact[id - 1000]!));
  assert.equal(r.read, 75);
  assert.deepEqual(topK(r.exact, 10), topK(exact, 10));
  assert.ok(topK(r.exact, 10).includes(60));
});
