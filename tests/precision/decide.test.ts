// The pure decision of --precision auto: figures computed by hand on tiny embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreement, agrees, choose, nearestNeighbours, neighbourOverlap, rowCosines, THRESHOLDS } from '../../native-models/precision/decide.ts';

test('row cosines are per item and scale-free', () => {
  const a = Float32Array.of(1, 0, 0, 1);
  const b = Float32Array.of(2, 0, 1, 1);
  const c = rowCosines(a, b, 2, 2);
  assert.equal(c[0], 1);
  assert.ok(Math.abs(c[1]! - Math.SQRT1_2) < 1e-12);
});

test('nearest neighbours exclude the item itself and break ties by the lower index', () => {
  // Items on a circle at 0°, 10°, 20°, 180°: 1's neighbours are 0 and 2 (a tie, 0 first), then 3.
  const deg = [0, 10, 20, 180].map((d) => (d * Math.PI) / 180);
  const e = Float32Array.from(deg.flatMap((r) => [Math.cos(r), Math.sin(r)]));
  assert.deepEqual(nearestNeighbours(e, 4, 2, 3)[1], [0, 2, 3]);
  assert.deepEqual(nearestNeighbours(e, 4, 2, 1)[3], [2]);
});

test('neighbour overlap counts shared neighbours over k, averaged over items', () => {
  const deg = [0, 10, 20, 30, 100];
  const ref = Float32Array.from(deg.flatMap((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)]));
  assert.equal(neighbourOverlap(ref, ref, 5, 2, 2), 1);
  // Move item 4 from 100° to 5°: every item's 2 neighbours change in a known way.
  const moved = ref.slice();
  moved[8] = Math.cos((5 * Math.PI) / 180);
  moved[9] = Math.sin((5 * Math.PI) / 180);
  // ref: 0→{1,2} 1→{0,2} 2→{1,3} 3→{2,1} 4→{3,2}; moved: 0→{4,1} 1→{4,0} 2→{1,3} 3→{2,1} 4→{0,1}.
  const expected = (1 / 2 + 1 / 2 + 1 + 1 + 0) / 5;
  assert.ok(Math.abs(neighbourOverlap(ref, moved, 5, 2, 2) - expected) < 1e-12);
  // k larger than the other items shrinks to n − 1: everything overlaps.
  assert.equal(neighbourOverlap(ref, moved, 5, 2, 10), 1);
});

test('agreement reports min and mean cosine, samples and overlap', () => {
  const ref = Float32Array.of(1, 0, 0, 1, 1, 1);
  const cand = Float32Array.of(1, 0.01, 0, 1, 1, 1);
  const a = agreement(ref, cand, 3, 2, 1);
  assert.equal(a.samples, 3);
  assert.ok(Math.abs(a.minCosine - 1 / Math.sqrt(1.0001)) < 1e-9);
  assert.ok(a.meanCosine > a.minCosine && a.meanCosine < 1);
  assert.throws(() => agreement(ref, cand, 4, 2, 1), /4×2/);
});

test('both thresholds must pass on every modality; the first agreeing candidate wins, else fp32', () => {
  const good = { samples: 32, minCosine: 0.9995, meanCosine: 0.9999, overlap: 0.99 };
  const lowCos = { ...good, minCosine: 0.9989 };
  const lowOverlap = { ...good, overlap: 0.975 };
  assert.equal(THRESHOLDS.minCosine, 0.999);
  assert.equal(THRESHOLDS.overlap, 0.98);
  assert.equal(agrees([good, good]), true);
  assert.equal(agrees([good, { ...good, minCosine: 0.999, overlap: 0.98 }]), true);
  assert.equal(agrees([good, lowCos]), false);
  assert.equal(agrees([lowOverlap, good]), false);
  assert.equal(agrees([]), false);
  assert.equal(choose([{ precision: 'int8', figures: [good, lowCos] }, { precision: 'int8-mixed', figures: [good, good] }]), 'int8-mixed');
  assert.equal(choose([{ precision: 'int8', figures: [good, good] }, { precision: 'int8-mixed', figures: [good, good] }]), 'int8');
  assert.equal(choose([{ precision: 'int8', figures: [lowOverlap, good] }]), 'fp32');
  assert.equal(choose([]), 'fp32');
});
