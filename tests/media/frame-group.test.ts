// Several windows' frames from one ffmpeg (media/frame-group.ts): byte-identical to one process per
// frame, a frame the group cannot give is decoded alone with its own error, and nothing rejects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeFrameGroup, frameGroupSize } from '../../media/frame-group.ts';
import { decodeFrameRgb } from '../../media/image.ts';

let dir: string;
let clip: string;
let rotated: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'foley-frame-group-'));
  clip = path.join(dir, 'clip.mp4');
  rotated = path.join(dir, 'rotated.mp4');
  const run = (args: string[]): void => {
    const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
    assert.equal(r.status, 0, r.stderr.toString());
  };
  run(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=12', '-c:v', 'libx264', '-g', '50', '-pix_fmt', 'yuv420p', clip]);
  run(['-i', clip, '-c', 'copy', '-metadata:s:v', 'rotate=90', rotated]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('frames from one process equal one process per frame, byte for byte (rotation included)', async () => {
  for (const file of [clip, rotated]) {
    const times = [0.5, 3.02, 5, 9.98, 11.9];
    const group = await decodeFrameGroup(file, times);
    assert.equal(group.length, times.length);
    for (const [i, t] of times.entries()) {
      const alone = await decodeFrameRgb(file, t);
      const g = group[i]!;
      assert.ok('frame' in g, `${path.basename(file)} at ${t}: ${'error' in g ? g.error.message : ''}`);
      assert.deepEqual([g.frame.width, g.frame.height], [alone.width, alone.height]);
      assert.ok(Buffer.from(g.frame.data).equals(Buffer.from(alone.data)), `${path.basename(file)} at ${t}`);
    }
    if (file === rotated) assert.deepEqual([(group[0] as { frame: { width: number } }).frame.width], [64]);
  }
});

test('a time past the end gets its own error; its neighbours still get their frames', async () => {
  const group = await decodeFrameGroup(clip, [1, 30, 2]);
  assert.ok('frame' in group[0]! && 'frame' in group[2]!);
  const bad = group[1]!;
  assert.ok('error' in bad);
  assert.match(bad.error.message, /no video frame at 30\.000000 s/);
  assert.ok(bad.error.message.includes(clip), 'the error names the file');
});

test('a file that is not media fails every frame with a message naming it, without rejecting', async () => {
  const junk = path.join(dir, 'junk.mp4');
  writeFileSync(junk, Buffer.alloc(4096, 7));
  const group = await decodeFrameGroup(junk, [1, 2, 3]);
  assert.equal(group.length, 3);
  for (const g of group) {
    assert.ok('error' in g);
    assert.ok(g.error.message.includes(junk));
  }
});

test('group size keeps about 48 MB of pictures in flight, 2 to 16 frames', () => {
  assert.equal(frameGroupSize(640, 360), 16);
  assert.equal(frameGroupSize(1920, 1080), 8);
  assert.equal(frameGroupSize(7680, 4320), 2);
});
