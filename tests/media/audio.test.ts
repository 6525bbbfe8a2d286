import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaError } from '../../base/errors.ts';
import { decodeAudio, streamAudio } from '../../media/audio.ts';
import { probeMedia } from '../../media/probe.ts';
import { ffmpeg, makeTempDir, rms } from './helpers.ts';

const { dir, cleanup } = makeTempDir();
const wavLeft = join(dir, 'left.wav'); // 44.1 kHz stereo: channel 0 a 440 Hz sine, channel 1 silent
const wavRight = join(dir, 'right.wav'); // the opposite
const mp4 = join(dir, 'sine.mp4'); // h264 + AAC 48 kHz mono 440 Hz sine, 4 s
const faststart = join(dir, 'faststart.mp4');

before(() => {
  ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.5*sin(2*PI*440*t)|0:s=44100:d=2', '-c:a', 'pcm_s16le', wavLeft);
  ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0|0.5*sin(2*PI*440*t):s=44100:d=2', '-c:a', 'pcm_s16le', wavRight);
  ffmpeg(
    '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=4',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', mp4,
  );
  ffmpeg('-i', mp4, '-c', 'copy', '-movflags', '+faststart', faststart);
});
after(cleanup);

/** Largest deviation from amp·sin(2π·440·(n/16000 + t0)) over the middle of the signal. */
function sineError(x: Float32Array, amp: number, t0: number): number {
  let m = 0;
  for (let n = 800; n < x.length - 800; n++) m = Math.max(m, Math.abs(x[n]! - amp * Math.sin(2 * Math.PI * 440 * (n / 16000 + t0))));
  return m;
}

void test('wav 44.1 kHz stereo → 16 kHz, channel 0 only (not a down-mix)', async () => {
  const left = await decodeAudio(wavLeft);
  assert.equal(left.length, 32000);
  // A mix would halve the level (rms 0.177); channel 0 keeps 0.5/√2.
  assert.ok(Math.abs(rms(left, 1000, 31000) - 0.5 / Math.SQRT2) < 0.005, `rms ${rms(left)}`);
  assert.ok(sineError(left, 0.5, 0) < 0.01);
  const right = await decodeAudio(wavRight);
  assert.ok(rms(right) < 1e-6, 'channel 1 must not leak into the result');
});

void test('start/duration give exactly round(duration·16000) samples, phase-aligned', async () => {
  const x = await decodeAudio(wavLeft, { start: 0.25, duration: 1.5 });
  assert.equal(x.length, 24000);
  assert.ok(sineError(x, 0.5, 0.25) < 0.01, `sine error ${sineError(x, 0.5, 0.25)}`);
  // Asking past the end returns what the media has.
  const tail = await decodeAudio(wavLeft, { start: 1.5, duration: 2 });
  assert.ok(Math.abs(tail.length - 8000) <= 2, `tail ${tail.length}`);
});

void test('AAC in MP4: priming dropped at the start, padding cut by duration', async () => {
  const all = await decodeAudio(mp4);
  // 4 s at 48 kHz = 187.5 AAC frames: the decoder emits 188 (≈171 extra samples at 16 kHz, all at the end).
  assert.ok(all.length >= 64000 && all.length <= 64000 + 342, `full decode ${all.length}`);
  assert.ok(sineError(all.subarray(0, 64000), 0.125, 0) < 0.01, 'start is aligned: no priming samples');
  const exact = await decodeAudio(mp4, { duration: 4 });
  assert.equal(exact.length, 64000);
  const mid = await decodeAudio(mp4, { start: 1, duration: 2 });
  assert.equal(mid.length, 32000);
  assert.ok(sineError(mid, 0.125, 1) < 0.01, `seeked sine error ${sineError(mid, 0.125, 1)}`);
});

void test('streamAudio delivers the same samples in fixed chunks', async () => {
  const whole = await decodeAudio(wavLeft);
  const chunks: Float32Array[] = [];
  const offsets: number[] = [];
  const total = await streamAudio(
    wavLeft,
    async (c, offset) => {
      chunks.push(c);
      offsets.push(offset);
      await new Promise((r) => setTimeout(r, 1)); // a slow consumer: decoding must wait
    },
    { chunkSamples: 7000 },
  );
  assert.equal(total, whole.length);
  assert.deepEqual(chunks.map((c) => c.length), [7000, 7000, 7000, 7000, 4000]);
  assert.deepEqual(offsets, [0, 7000, 14000, 21000, 28000]);
  const joined = new Float32Array(total);
  chunks.forEach((c, i) => joined.set(c, offsets[i]));
  assert.deepEqual(joined, whole);
  const limited = await streamAudio(wavLeft, () => undefined, { duration: 1.1, chunkSamples: 5000 });
  assert.equal(limited, 17600);
});

void test('zero-byte and non-media files give a MediaError naming the file', async () => {
  const empty = join(dir, 'empty.mp4');
  writeFileSync(empty, '');
  await assert.rejects(decodeAudio(empty), (e: unknown) => e instanceof MediaError && e.file === empty && /empty/.test(e.message));
  const text = join(dir, 'notes.mp4');
  writeFileSync(text, 'this is not a video\n'.repeat(50));
  await assert.rejects(decodeAudio(text), (e: unknown) => e instanceof MediaError && e.message.startsWith(text) && /Invalid data/i.test(e.message));
  const missing = join(dir, 'missing.mp4');
  await assert.rejects(decodeAudio(missing), (e: unknown) => e instanceof MediaError && /not found/.test(e.message));
});

void test('a video without audio says so', async () => {
  const silent = join(dir, 'noaudio.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5:duration=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', silent);
  await assert.rejects(decodeAudio(silent), (e: unknown) => e instanceof MediaError && /no audio stream/.test(e.message));
});

void test('truncated MP4: damaged data is an error unless allowDamaged', async () => {
  // Index (moov) at the front: ffmpeg decodes part of it and still exits 0.
  const cut = join(dir, 'cut-faststart.mp4');
  const bytes = readFileSync(faststart);
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  await assert.rejects(decodeAudio(cut), (e: unknown) => e instanceof MediaError && /damaged or truncated/.test(e.message));
  const partial = await decodeAudio(cut, { allowDamaged: true });
  assert.ok(partial.length > 0 && partial.length < 64000, `partial ${partial.length}`);
  // Index at the end: nothing is readable.
  const cut2 = join(dir, 'cut-moov-last.mp4');
  copyFileSync(mp4, cut2);
  writeFileSync(cut2, readFileSync(mp4).subarray(0, 20000));
  await assert.rejects(decodeAudio(cut2), (e: unknown) => e instanceof MediaError && e.file === cut2);
  await assert.rejects(probeMedia(cut2), (e: unknown) => e instanceof MediaError && e.file === cut2 && /cut short or was never finished/.test(e.message));
});

void test('timeouts kill ffmpeg and say so', async () => {
  await assert.rejects(
    decodeAudio(mp4, { timeoutMs: 1 }),
    (e: unknown) => e instanceof MediaError && /timed out after 0\.001 s/.test(e.message) && e.file === mp4,
  );
});

void test('invalid ranges are rejected before spawning', async () => {
  await assert.rejects(decodeAudio(mp4, { start: -1 }), MediaError);
  await assert.rejects(decodeAudio(mp4, { duration: 0 }), MediaError);
});
