// Golden test: CAV-MAE's imageInput against PIL 9.4 + torchvision 0.14 (Resize(224, BILINEAR), CenterCrop,
// ToTensor, Normalize). The resampler reproduces Pillow's fixed-point arithmetic, so the expected
// result is bit-exact; the tolerance below (1/255 de-normalised ≈ 0.0175) is the contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { imageInput } from '../../native-models/cavmae/preprocess.ts';
import { resizedSize } from '../../native-models/preprocess/image.ts';
import { IMAGE_DIR, readF32, readJson } from './fixtures.ts';
import { readPngRgb } from './png.ts';

const manifest = readJson(join(IMAGE_DIR, 'manifest.json')) as { images: { name: string; width: number; height: number }[] };
const STD = [0.229, 0.224, 0.225];
const PLANE = 224 * 224;

for (const img of manifest.images) {
  const rgb = readPngRgb(join(IMAGE_DIR, `${img.name}.png`));
  const expected = readF32(join(IMAGE_DIR, `${img.name}.f32`));
  const actual = imageInput(rgb);
  let max = 0;
  let sum = 0;
  let over = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    max = Math.max(max, d);
    sum += d;
    // De-normalised difference in 8-bit steps.
    if (d * STD[Math.floor(i / PLANE)]! * 255 > 1.0001) over++;
  }
  const label = `max ${max.toExponential(2)}, mean ${(sum / actual.length).toExponential(2)}, >1/255: ${over}`;
  void test(`image ${img.name} matches PIL/torchvision (${label})`, () => {
    assert.equal(rgb.width, img.width);
    assert.equal(rgb.height, img.height);
    assert.equal(actual.length, 3 * PLANE);
    assert.equal(over, 0, 'pixels off by more than 1/255');
    assert.ok(max <= 0.0175, `max error ${max}`);
  });
}

void test('red-left/blue-right image keeps colours on their side, channel order R,G,B', () => {
  const t = imageInput(readPngRgb(join(IMAGE_DIR, 'red_blue_640x360.png')));
  const at = (c: number, y: number, x: number): number => t[c * PLANE + y * 224 + x]!;
  for (const y of [0, 112, 223]) {
    assert.ok(at(0, y, 5) > 1.5 && at(2, y, 5) < -1.5, 'left column: R high, B low');
    assert.ok(at(0, y, 218) < -1.5 && at(2, y, 218) > 1.5, 'right column: R low, B high');
  }
});

void test('resize keeps the short side at 224 and truncates the long side', () => {
  assert.deepEqual(resizedSize(640, 360, 224), { width: 398, height: 224 });
  assert.deepEqual(resizedSize(360, 640, 224), { width: 224, height: 398 });
  assert.deepEqual(resizedSize(100, 80, 224), { width: 280, height: 224 });
  assert.deepEqual(resizedSize(1920, 1080, 224), { width: 398, height: 224 });
});

void test('rejects RGB data of the wrong length', () => {
  assert.throws(() => imageInput({ width: 10, height: 10, data: new Uint8Array(299) }), RangeError);
});

void test('image preprocessing speed (1920x1080 frame)', () => {
  const w = 1920;
  const h = 1080;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  imageInput({ width: w, height: h, data });
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) imageInput({ width: w, height: h, data });
  console.log(`imageInput 1920x1080: ${((performance.now() - t0) / 5).toFixed(1)} ms`);
});
