// The pictures `foley localize --png` and the spectrogram route draw: orientation (lowest band at the
// bottom, picture rows from the top), the centre square the visual map covers, padding marked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { turbo } from '../../base/colormap.ts';
import { pictureWithMap, spectrogramImage, spectrogramWithMap } from '../../core/localisation/render.ts';
import type { RgbFrame } from '../../media/image.ts';

function px(img: RgbFrame, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

function near(a: readonly number[], b: readonly number[], tol = 2): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) <= tol);
}

test('spectrogram: time across, lowest bin at the bottom, padding hatched dark', () => {
  const frames = 64;
  const bins = 8;
  const input = new Float32Array(frames * bins).fill(-1);
  for (let f = 0; f < 40; f++) input[f * bins + 0] = 3; // loud lowest bin for the 40 real frames
  const img = spectrogramImage(input, frames, bins, 40);
  assert.deepEqual([img.width, img.height], [32, 8]);
  assert.equal(px(img, 5, 7)[0], 255, 'bin 0 is the bottom row, brightest');
  assert.equal(px(img, 5, 0)[0], 0, 'a quiet bin is dark');
  for (let y = 0; y < 8; y++) assert.ok(px(img, 25, y)[0] <= 48, 'columns past the real frames are padding');
});

test('spectrogram with map: map row 0 (the lowest band) is drawn at the bottom', () => {
  const grey: RgbFrame = { width: 32, height: 8, data: new Uint8Array(32 * 8 * 3).fill(128) };
  const data = new Array(2 * 4).fill(0);
  for (let c = 0; c < 4; c++) data[c] = 1; // row 0 high
  const img = spectrogramWithMap(grey, { shape: [2, 4], data });
  const blend = (rgb: readonly number[]): number[] => rgb.map((v) => Math.round(128 * 0.45 + v * 0.55));
  assert.ok(near(px(img, 16, 7), blend(turbo(1))), `bottom ${px(img, 16, 7)}`);
  assert.ok(near(px(img, 16, 0), blend(turbo(0))), `top ${px(img, 16, 0)}`);
});

test('picture with map: the map covers the centre square, row 0 at the top; the sides are dimmed', () => {
  const frame: RgbFrame = { width: 200, height: 100, data: new Uint8Array(200 * 100 * 3).fill(200) };
  const data = new Array(4).fill(0);
  data[0] = 1; // top-left cell of a 2×2 map
  const img = pictureWithMap(frame, { shape: [2, 2], data }, 200);
  assert.deepEqual(px(img, 10, 50), [80, 80, 80], 'left of the centre square: dimmed');
  assert.deepEqual(px(img, 190, 50), [80, 80, 80], 'right of it too');
  const blend = (rgb: readonly number[]): number[] => rgb.map((v) => Math.round(200 * 0.45 + v * 0.55));
  assert.ok(near(px(img, 51, 1), blend(turbo(1))), `top-left of the square is the high cell: ${px(img, 51, 1)}`);
  assert.ok(near(px(img, 148, 98), blend(turbo(0))), `bottom-right is low: ${px(img, 148, 98)}`);
});
