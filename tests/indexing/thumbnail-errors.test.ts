// A full disk while thumbnails are written: said once, in words, with no Node process warning; and the
// error mapping on a real failing write (/dev/full answers every write with ENOSPC).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storageProblem } from '../../base/storage-errors.ts';
import { thumbPath, thumbnailWriter } from '../../core/indexing/thumbnails.ts';

const devFull = existsSync('/dev/full');

test('a real write to a full disk maps to "the disk is full"; other errors do not map', { skip: !devFull && 'no /dev/full here' }, () => {
  let caught: unknown;
  try {
    writeFileSync('/dev/full', Buffer.alloc(1024));
  } catch (e) {
    caught = e;
  }
  assert.deepEqual(storageProblem(caught), { code: 'ENOSPC', words: 'the disk is full', stopsWriting: true });
  assert.equal(storageProblem(new Error('plain')), undefined);
  assert.equal(storageProblem(null), undefined);
});

test('thumbnails on a full disk: one notice in words, no process warning, later writes not tried', { skip: !devFull && 'no /dev/full here' }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-thumb-full-'));
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    const file = { id: 1, path: '/videos/clip.mp4', fingerprint: 'ab'.repeat(16) };
    // Each thumbnail's temporary file is a link to /dev/full: the real write fails with ENOSPC.
    for (const start of [0, 10, 20]) {
      const out = thumbPath(dataDir, file, start);
      mkdirSync(path.dirname(out), { recursive: true });
      symlinkSync('/dev/full', `${out}.${process.pid}.tmp`);
    }
    const notices: string[] = [];
    const write = thumbnailWriter(dataDir, (m) => notices.push(m));
    const frame = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 3).fill(128) };
    for (const start of [0, 10, 20]) await write(file, { index: start / 10, start, end: start + 10, middle: start + 5 }, frame);
    await new Promise((r) => setImmediate(r));
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(notices[0]!, /^Thumbnails are not being written for the rest of this run: the disk is full \(/);
    assert.doesNotMatch(notices[0]!, /ENOSPC|at .*\.ts:/, 'no code or stack in the words');
    assert.equal(warnings.length, 0, warnings.map((w) => w.message).join('\n'));
    for (const start of [0, 10, 20]) assert.equal(existsSync(thumbPath(dataDir, file, start)), false);
  } finally {
    process.off('warning', onWarning);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a thumbnail problem that is not the disk is said once per kind, and the run goes on writing', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-thumb-other-'));
  try {
    const blocked = { id: 2, path: '/videos/blocked.mp4', fingerprint: 'cd'.repeat(16) };
    const fine = { id: 3, path: '/videos/fine.mp4', fingerprint: 'ef'.repeat(16) };
    // A plain file where the first video's thumbnail folder should be: its writes fail (not a disk problem).
    mkdirSync(path.dirname(path.dirname(thumbPath(dataDir, blocked, 0))), { recursive: true });
    writeFileSync(path.dirname(thumbPath(dataDir, blocked, 0)), 'not a folder');
    const notices: string[] = [];
    const write = thumbnailWriter(dataDir, (m) => notices.push(m));
    const frame = { width: 4, height: 2, data: new Uint8Array(24).fill(7) };
    await write(blocked, { index: 0, start: 0, end: 10, middle: 5 }, frame);
    await write(blocked, { index: 1, start: 10, end: 20, middle: 15 }, frame);
    await write(fine, { index: 0, start: 0, end: 10, middle: 5 }, frame);
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(notices[0]!, /^Thumbnail for \/videos\/blocked\.mp4 at 0 s not written: /);
    assert.equal(existsSync(thumbPath(dataDir, fine, 0)), true, "the other file's thumbnail is still written");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
