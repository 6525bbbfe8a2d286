// The map math on hand-made tokens: raw cosines per grid cell, row-major, zero tokens give 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosineMap, peakSeconds } from '../../core/localisation/maps.ts';

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

test('peakSeconds: the loudest time column, at its centre, clamped to the window', () => {
  const data = new Float32Array(2 * 64);
  data[0 * 64 + 10] = 1; // band 0, column 10
  data[1 * 64 + 10] = 1;
  data[1 * 64 + 3] = 1.5; // a higher single cell, but a lower column mean
  const map = { shape: [2, 64] as const, data };
  // Column 10 covers frames [160, 176): centre 168 → 1.68 s.
  assert.ok(Math.abs(peakSeconds(map, 1024, 10) - 1.68) < 1e-9);
  // A 1.5-s window has 148 frames: whole columns 0..8; column 10 holds padding and does not compete.
  assert.ok(Math.abs(peakSeconds(map, 1024, 1.5) - 0.56) < 1e-9);
  assert.equal(peakSeconds(map, 1024, 0.02), 0.02);
  // 10 s = 998 frames: column 62 (frames 992–1007) is partly padding, so even a high value there loses.
  const padded = new Float32Array(2 * 64);
  padded[62] = 5;
  padded[63] = 5;
  padded[64 + 61] = 0.1;
  assert.ok(Math.abs(peakSeconds({ shape: [2, 64], data: padded }, 1024, 10) - 9.84) < 1e-9);
});
