import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_WINDOW_SECONDS, SAMPLE_RATE, planWindows, toSamples, windowMiddle } from '../../base/window-plan.ts';

const bounds = (d: number, o?: Parameters<typeof planWindows>[1]): [number, number][] => planWindows(d, o).map((w) => [w.start, w.end]);

void test('defaults: 10-s windows, the tail kept from 1 s', () => {
  assert.equal(DEFAULT_WINDOW_SECONDS, 10);
  assert.deepEqual(bounds(25), [[0, 10], [10, 20], [20, 25]]);
  assert.deepEqual(bounds(30), [[0, 10], [10, 20], [20, 30]]);
  assert.deepEqual(bounds(20.999), [[0, 10], [10, 20]]);
  assert.deepEqual(bounds(21), [[0, 10], [10, 20], [20, 21]], 'exactly minLast is kept');
  assert.deepEqual(bounds(10), [[0, 10]]);
  assert.deepEqual(bounds(10.5), [[0, 10]]);
});

void test('index and middle: the middle of a full window is start + W/2 (the official ≈5-s frame)', () => {
  const p = planWindows(25);
  assert.deepEqual(p.map((w) => w.index), [0, 1, 2]);
  assert.deepEqual(p.map((w) => w.middle), [5, 15, 22.5]);
  assert.equal(p[1]!.middle, windowMiddle(p[1]!.start));
});

void test('a file shorter than minLast still gets one window; nothing for no duration', () => {
  assert.deepEqual(bounds(0.5), [[0, 0.5]]);
  assert.deepEqual(planWindows(0.5)[0]!.middle, 0.25);
  assert.deepEqual(bounds(0), []);
  assert.deepEqual(bounds(-3), []);
  assert.deepEqual(bounds(Number.NaN), []);
  assert.deepEqual(bounds(1e-6), [], 'less than one sample');
});

void test('boundaries are whole samples and do not drift in floating point', () => {
  // 0.1-s windows over 1000 s: k·0.1 accumulated in floating point would drift; sample arithmetic is exact.
  const p = planWindows(1000, { window: 0.1 });
  assert.equal(p.length, 10000);
  for (const w of p) {
    assert.equal(toSamples(w.start), w.index * 1600);
    assert.ok(Math.abs(w.start * SAMPLE_RATE - w.index * 1600) < 1e-6, 'start·16000 is a whole sample up to float rounding');
    assert.equal(w.start, (w.index * 1600) / SAMPLE_RATE, 'the nearest double to the exact boundary, not an accumulated sum');
    assert.equal(toSamples(w.end) - toSamples(w.start), 1600);
  }
  assert.equal(p[9999]!.end, 1000);
  // Float noise in the duration does not create or lose a window.
  assert.deepEqual(bounds(30.000000000001), [[0, 10], [10, 20], [20, 30]]);
  assert.deepEqual(bounds(0.1 + 0.2, { window: 0.1 }).length, 3);
  assert.deepEqual(bounds(3 * 1.1, { window: 1.1, minLast: 0 }), [[0, 1.1], [1.1, 2.2], [2.2, 3.3]]);
});

void test('hop < window overlaps; windows stop once one reaches the end', () => {
  assert.deepEqual(bounds(25, { hop: 5 }), [[0, 10], [5, 15], [10, 20], [15, 25]]);
  assert.deepEqual(bounds(27, { hop: 5 }), [[0, 10], [5, 15], [10, 20], [15, 25], [20, 27]]);
  assert.deepEqual(bounds(8, { hop: 5 }), [[0, 8]], 'a single window covers a short file; no window inside another');
  assert.deepEqual(bounds(12, { window: 4, hop: 3, minLast: 0 }), [[0, 4], [3, 7], [6, 10], [9, 12]]);
  assert.deepEqual(bounds(2.5, { window: 1, hop: 0.25 }).length, 7);
});

void test('hop > window samples the file; custom window and minLast', () => {
  assert.deepEqual(bounds(35, { window: 5, hop: 10 }), [[0, 5], [10, 15], [20, 25], [30, 35]]);
  assert.deepEqual(bounds(31.5, { window: 5, hop: 10 }), [[0, 5], [10, 15], [20, 25], [30, 31.5]]);
  assert.deepEqual(bounds(12, { window: 5 }), [[0, 5], [5, 10], [10, 12]]);
  assert.deepEqual(bounds(12, { window: 5, minLast: 2.5 }), [[0, 5], [5, 10]]);
  assert.deepEqual(bounds(10.2, { minLast: 0 }), [[0, 10], [10, 10.2]]);
});

void test('invalid options are RangeErrors', () => {
  assert.throws(() => planWindows(10, { window: 0 }), RangeError);
  assert.throws(() => planWindows(10, { window: Number.POSITIVE_INFINITY }), RangeError);
  assert.throws(() => planWindows(10, { hop: -1 }), RangeError);
  assert.throws(() => planWindows(10, { minLast: -1 }), RangeError);
  assert.throws(() => planWindows(10, { window: 1e-6 }), RangeError);
});
