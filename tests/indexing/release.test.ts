// A finished index run leaves no encoder behind: its inference thread and ONNX Runtime sessions are
// released, so a long-running server (foley serve) does not keep them resident after indexing (issue
// 15: a server that had indexed sat ~85 MiB above one that had not, and climbed under searches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedEncoderCount, releaseEncoders } from '../../core/embedding/encoders.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import { openLibrary } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from './helpers.ts';

test('an index run releases its encoder when it ends; the next run builds one again', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-release-'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    await makeClip(path.join(root, 'a.mp4'), 3, 440);
    const { model } = await importModel(path.join(base, 'data'), path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
    const library = openLibrary(path.join(base, 'data'));
    try {
      await releaseEncoders();
      const first = await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1, batchSize: 4 });
      assert.equal(first.indexed, 1);
      assert.equal(cachedEncoderCount(), 0, 'the run left its encoder in the cache');
      await makeClip(path.join(root, 'b.mp4'), 2, 660);
      const second = await runIndex({ library, model, provider: 'cpu', threads: 1, batchSize: 4 });
      assert.equal(second.indexed, 1, 'a later run embeds again with a fresh encoder');
      assert.equal(cachedEncoderCount(), 0);
    } finally {
      library.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
