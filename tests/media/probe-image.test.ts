import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaError } from '../../base/errors.ts';
import { decodeFrameRgb, decodeImageRgb } from '../../media/image.ts';
import { probeMedia } from '../../media/probe.ts';
import { readPngRgb } from '../preprocess/png.ts';
import { ffmpeg, makeTempDir } from './helpers.ts';

const { dir, cleanup } = makeTempDir();
const mp4 = join(dir, 'av.mp4');
const redBlue = join(dir, 'redblue.mp4'); // 320x90: red left half, blue right half, 3 s
const rotated = join(dir, 'rotated.mp4'); // same, tagged rotate=90
const coverArt = join(dir, 'cover.m4a');
const wav = join(dir, 'stereo.wav');
const png = join(dir, 'still.png');

before(() => {
  ffmpeg(
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=2',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', mp4,
  );
  ffmpeg('-f', 'lavfi', '-i', 'color=red:s=160x90:r=10:d=3,pad=320:90:0:0:blue', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', redBlue);
  ffmpeg('-i', redBlue, '-c', 'copy', '-metadata:s:v', 'rotate=90', rotated);
  ffmpeg(
    '-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=1', '-f', 'lavfi', '-i', 'color=green:s=64x64:d=1',
    '-map', '0', '-map', '1', '-c:a', 'aac', '-c:v', 'mjpeg', '-frames:v', '1', '-disposition:v:0', 'attached_pic', coverArt,
  );
  ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.5*sin(2*PI*440*t)|0:s=44100:d=1', wav);
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=1:duration=1', '-frames:v', '1', png);
});
after(cleanup);

void test('probe: h264/aac mp4 fields', async () => {
  const info = await probeMedia(mp4);
  assert.ok(info.duration !== undefined && Math.abs(info.duration - 2) < 0.1);
  assert.equal(info.audio.length, 1);
  assert.deepEqual([info.audio[0]!.codec, info.audio[0]!.sampleRate, info.audio[0]!.channels], ['aac', 48000, 1]);
  assert.equal(info.video.length, 1);
  const v = info.video[0]!;
  assert.deepEqual([v.codec, v.width, v.height, v.fps, v.rotation], ['h264', 320, 240, 25, 0]);
  assert.equal(info.attachedPictures, 0);
});

void test('probe: wav stereo, cover art is not video', async () => {
  const w = await probeMedia(wav);
  assert.deepEqual([w.audio[0]!.sampleRate, w.audio[0]!.channels, w.video.length], [44100, 2, 0]);
  const c = await probeMedia(coverArt);
  assert.equal(c.video.length, 0);
  assert.equal(c.attachedPictures, 1);
});

void test('rotated phone-style video: probe reports it, decoded frames come out upright', async () => {
  const info = await probeMedia(rotated);
  const v = info.video[0]!;
  // ffmpeg 5.1 writes `rotate=90` as a display matrix it then undoes by turning 90° counter-clockwise,
  // i.e. 270° clockwise; probe reports what ffmpeg's autorotation actually does.
  assert.equal(v.rotation, 270);
  assert.deepEqual([v.width, v.height, v.displayWidth, v.displayHeight], [320, 90, 90, 320]);
  const f = await decodeFrameRgb(rotated, 1);
  assert.deepEqual([f.width, f.height], [v.displayWidth, v.displayHeight]);
  const px = (x: number, y: number): number[] => Array.from(f.data.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3));
  // Turning the red-left/blue-right picture 270° clockwise puts the left (red) half at the bottom.
  assert.ok(px(45, 300)[0]! > 200 && px(45, 300)[2]! < 60, `bottom ${px(45, 300)}`);
  assert.ok(px(45, 20)[2]! > 200 && px(45, 20)[0]! < 60, `top ${px(45, 20)}`);
  const plain = await decodeFrameRgb(redBlue, 1.5);
  assert.deepEqual([plain.width, plain.height], [320, 90]);
  assert.ok(plain.data[(45 * 320 + 20) * 3]! > 200, 'unrotated: red on the left');
});

void test('decodeFrameRgb past the end is a MediaError', async () => {
  await assert.rejects(decodeFrameRgb(mp4, 30), (e: unknown) => e instanceof MediaError && e.file === mp4 && /no video frame/.test(e.message));
});

void test('decodeImageRgb returns exact full-resolution RGB for a PNG', async () => {
  const img = await decodeImageRgb(png);
  const ref = readPngRgb(png);
  assert.deepEqual([img.width, img.height], [96, 64]);
  assert.deepEqual(img.data, ref.data);
});

void test('zero-byte, text-as-mp4 and missing files are MediaErrors naming the file', async () => {
  const empty = join(dir, 'empty.mp4');
  writeFileSync(empty, '');
  const text = join(dir, 'text.mp4');
  writeFileSync(text, 'hello, not a movie\n'.repeat(100));
  for (const call of [probeMedia, decodeImageRgb, (f: string) => decodeFrameRgb(f, 0)]) {
    await assert.rejects(call(empty), (e: unknown) => e instanceof MediaError && e.file === empty && /empty \(0 bytes\)/.test(e.message));
    await assert.rejects(call(text), (e: unknown) => e instanceof MediaError && e.file === text && e.message.includes(text));
  }
  await assert.rejects(probeMedia(join(dir, 'nope.mp4')), (e: unknown) => e instanceof MediaError && /file not found/.test(e.message));
});
