// The map math on hand-made tokens: raw cosines per grid cell, row-major, zero tokens give 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosineMap } from '../../core/localisation/maps.ts';

test('cosineMap gives the raw cosine per token, row-major, and 0 for a zero token', () => {
  const embedding = new Float32Array([2, 0]);
  // 1×3 grid: along, opposite-ish, zero.
  const tokens = new Float32Array([5, 0, -1, 1, 0, 0]);
  const map = cosineMap(embedding, tokens, [1, 3]);
  assert.deepEqual(map.shape, [1, 3]);
  assert.ok(Math.abs(map.data[0]! - 1) < 1e-6);
  assert.ok(Math.abs(map.data[1]! + Math.SQRT1_2) < 1e-6);
  assert.equal(map.data[2], 0);
});

test('cosineMap refuses tokens that do not fit the grid', () => {
  assert.throws(() => cosineMap(new Float32Array(2), new Float32Array(5), [1, 3]), /expected 3×2/);
});
