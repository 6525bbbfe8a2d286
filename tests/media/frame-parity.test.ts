// Video-frame parity: decodeFrameRgb + imageInput against an independent reference made by
// scripts/goldens/make_frame_goldens.py — ffmpeg extracts the same frame to PNG, then PIL 9.4 +
// torchvision 0.14 (Resize(224, BILINEAR), CenterCrop, ToTensor, Normalize). Contract: no value off by
// more than one 8-bit step (1/255 de-normalised, ≤ 0.0175 normalised); with the same ffmpeg build the
// decoded RGB is byte-identical and the tensors agree exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFrameRgb } from '../../media/image.ts';
import { imageInput } from '../../native-models/cavmae/preprocess.ts';
import { readF32, readJson } from '../preprocess/fixtures.ts';

const FRAME_DIR = fileURLToPath(new URL('../fixtures/frames/', import.meta.url));
interface FrameGolden { name: string; video: string; time: number; width: number; height: number; rgbSha256: string }
const manifest = readJson(join(FRAME_DIR, 'manifest.json')) as { ffmpeg: string; frames: FrameGolden[] };
const STD = [0.229, 0.224, 0.225];
const PLANE = 224 * 224;
const TOLERANCE = 0.0175;

for (const g of manifest.frames) {
  void test(`frame ${g.name} (${g.video} @ ${g.time} s) matches PIL/torchvision within ${TOLERANCE}`, async () => {
    const frame = await decodeFrameRgb(join(FRAME_DIR, g.video), g.time);
    assert.deepEqual([frame.width, frame.height], [g.width, g.height]);
    const sameRgb = createHash('sha256').update(frame.data).digest('hex') === g.rgbSha256;
    const actual = imageInput(frame);
    const expected = readF32(join(FRAME_DIR, `${g.name}.f32`));
    assert.equal(actual.length, expected.length);
    let max = 0;
    let over = 0;
    for (let i = 0; i < actual.length; i++) {
      const d = Math.abs(actual[i]! - expected[i]!);
      max = Math.max(max, d);
      if (d * STD[Math.floor(i / PLANE)]! * 255 > 1.0001) over++;
    }
    console.log(`${g.name}: decoded RGB ${sameRgb ? 'identical to' : 'differs from'} the golden's (${manifest.ffmpeg.split(' ').slice(0, 3).join(' ')}), tensor max |diff| ${max.toExponential(2)}`);
    assert.equal(over, 0, 'values off by more than one 8-bit step');
    assert.ok(max <= TOLERANCE, `max |diff| ${max}`);
  });
}

void test('red-left/blue-right video frame: channel order R,G,B and left/right kept', async () => {
  const t = imageInput(await decodeFrameRgb(join(FRAME_DIR, 'redblue_400x240.mp4'), 1));
  const at = (c: number, y: number, x: number): number => t[c * PLANE + y * 224 + x]!;
  for (const y of [0, 112, 223]) {
    assert.ok(at(0, y, 5) > 1.5 && at(2, y, 5) < -1.5, `left: R high, B low (${at(0, y, 5)}, ${at(2, y, 5)})`);
    assert.ok(at(0, y, 218) < -1.5 && at(2, y, 218) > 1.5, `right: R low, B high (${at(0, y, 218)}, ${at(2, y, 218)})`);
    assert.ok(at(1, y, 5) < -1.5 && at(1, y, 218) < -1.5, 'no green');
  }
});

void test('the frame at 0.55 s is the one at 0.6 s (first frame at or after the time), not 0.5 s', async () => {
  const file = join(FRAME_DIR, 'testsrc2_320x240.mp4');
  const [a, b, c] = await Promise.all([0.55, 0.6, 0.5].map((s) => decodeFrameRgb(file, s)));
  assert.deepEqual(a!.data, b!.data);
  assert.notDeepEqual(a!.data, c!.data);
});
