// Several frames of a window (media/frames.ts): one ffmpeg per window with a select filter gives the
// very frames K input seeks give (each the first frame at or after its time), including when two times
// fall between the same two frames (it falls back to seeks); window frame times are the centres of K parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { windowFrameTimes } from '../../base/window-plan.ts';
import { decodeFramesRgb } from '../../media/frames.ts';
import { frameDecodeThreads } from '../../media/image.ts';

const frameTimes = (start: number, end: number, k: number): number[] => windowFrameTimes({ index: 0, start, end, middle: (start + end) / 2 }, k);
import { makeClip } from '../indexing/helpers.ts';

test('frameTimes: the centres of K equal parts; K = 1 is the middle', () => {
  assert.deepEqual(frameTimes(10, 20, 1), [15]);
  assert.deepEqual(frameTimes(0, 10, 4), [1.25, 3.75, 6.25, 8.75]);
  assert.throws(() => frameTimes(0, 10, 0), RangeError);
});

test('filter per window and seek per frame give the same frames', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-frames-media-'));
  try {
    const file = path.join(dir, 'clip.mp4');
    await makeClip(file, 12, 440); // 5 fps: a frame every 0.2 s
    const cases: Array<[number, number, number]> = [
      [0, 10, 4],
      [0, 10, 10],
      [2, 12, 3],
      // 16 times in 1 s at 5 fps: several between the same two frames, so the filter gives fewer
      // frames than asked and the seeks take over.
      [4, 5, 16],
    ];
    for (const [start, end, k] of cases) {
      const times = frameTimes(start, end, k);
      const bySeek = await decodeFramesRgb(file, start, times, { strategy: 'seek-per-frame' });
      const byFilter = await decodeFramesRgb(file, start, times, { strategy: 'filter-per-window' });
      assert.equal(byFilter.length, k);
      assert.deepEqual(byFilter, bySeek, `[${start}, ${end}) K=${k}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one decoder thread (the default) gives the frames ffmpeg auto threading gives', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-frames-threads-'));
  const saved = process.env.FOLEY_FRAME_THREADS;
  try {
    const file = path.join(dir, 'clip.mp4');
    await makeClip(file, 12, 440);
    const times = frameTimes(0, 10, 4);
    delete process.env.FOLEY_FRAME_THREADS;
    assert.deepEqual(frameDecodeThreads(), ['-threads', '1']);
    const one = [await decodeFramesRgb(file, 0, [5]), await decodeFramesRgb(file, 0, times)];
    process.env.FOLEY_FRAME_THREADS = 'auto';
    assert.deepEqual(frameDecodeThreads(), []);
    const auto = [await decodeFramesRgb(file, 0, [5]), await decodeFramesRgb(file, 0, times)];
    assert.deepEqual(one, auto);
    process.env.FOLEY_FRAME_THREADS = 'lots';
    assert.deepEqual(frameDecodeThreads(), ['-threads', '1'], 'a malformed value falls back to one thread');
  } finally {
    if (saved === undefined) delete process.env.FOLEY_FRAME_THREADS;
    else process.env.FOLEY_FRAME_THREADS = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
