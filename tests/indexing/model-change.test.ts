// Indexing with a second model adds its vectors to the same windows (no re-windowing), while the
// first model's vectors stay searchable; and `foley index --watch` picks up a new file by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import { modelRecord, openLibrary } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { countEmbeddings } from '../../db/embeddings.ts';
import { openDatabase, databasePath } from '../../db/connection.ts';
import { BIN } from '../helpers/cli.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from './helpers.ts';

test('a second model embeds the existing windows and leaves the first model\'s vectors in place', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-models-'));
  const library = openLibrary(path.join(base, 'data'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    await makeClip(path.join(root, 'a.mp4'), 14, 440);
    await makeClip(path.join(root, 'b.mp4'), 6, 880);
    const first = (await importModel(library.dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'one', heads: 1 })).model;
    const second = (await importModel(library.dataDir, path.join(cavmaeDir('pre-d32-strided'), 'checkpoint.pth'), { name: 'two', heads: 1 })).model;
    const s1 = await runIndex({ library, model: first, roots: [root], provider: 'cpu', threads: 1 });
    assert.equal(s1.windows, 3);
    const windowIds = library.db.prepare<[], { id: number }>('SELECT id FROM windows ORDER BY id').all().map((r) => r.id);
    const s2 = await runIndex({ library, model: second, roots: [root], provider: 'cpu', threads: 1 });
    assert.equal(s2.indexed, 2, 'both files embedded for the new model');
    assert.deepEqual(library.db.prepare<[], { id: number }>('SELECT id FROM windows ORDER BY id').all().map((r) => r.id), windowIds, 'windows kept');
    for (const m of [first, second]) {
      const row = modelRecord(library, m);
      assert.equal(countEmbeddings(library.db, row.id, 'audio'), 3);
      assert.equal(countEmbeddings(library.db, row.id, 'visual'), 3);
    }
    const again = await runIndex({ library, model: second, roots: [root], provider: 'cpu', threads: 1 });
    assert.equal(again.indexed, 0);
  } finally {
    library.close();
    await releaseEncoders();
    rmSync(base, { recursive: true, force: true });
  }
});

test('index --watch indexes a file added while it runs', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-watch-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  await makeClip(path.join(root, 'first.mp4'), 4, 440);
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  const child = spawn(process.execPath, [BIN, 'index', root, '--watch', '--data-dir', dataDir, '--json'], {
    env: { ...process.env, FOLEY_PROVIDER: 'cpu' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const summaries = (): Array<{ indexed: number }> =>
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { indexed: number });
  const waitFor = async (cond: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 45_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await waitFor(() => summaries().length >= 1, 'the first run');
    assert.equal(summaries()[0]!.indexed, 1);
    // Written elsewhere, then moved in: the watcher sees one complete file appear.
    await makeClip(path.join(base, 'second.mp4'), 4, 880);
    const { renameSync } = await import('node:fs');
    renameSync(path.join(base, 'second.mp4'), path.join(root, 'second.mp4'));
    await waitFor(() => summaries().some((s, i) => i > 0 && s.indexed === 1), 'the watcher to index the new file');
    const db = openDatabase(databasePath(dataDir));
    try {
      assert.equal(db.prepare<[], { n: number }>("SELECT count(*) AS n FROM files WHERE status = 'indexed'").get()!.n, 2);
    } finally {
      db.close();
    }
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(base, { recursive: true, force: true });
  }
});
