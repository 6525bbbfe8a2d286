// kill -9 in the middle of `foley index`, then run it again: no finished file is lost, no window is
// duplicated, and the vectors equal those of a clean, uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, databasePath } from '../../db/connection.ts';
import { decodeVector } from '../../db/vector-codec.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { BIN, foley } from '../helpers/cli.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from './helpers.ts';

interface Row {
  path: string;
  start_s: number;
  modality: string;
  vector: Buffer;
}

function snapshot(dataDir: string, root: string): { windows: Map<string, number>; vectors: Map<string, Float32Array> } {
  const db = openDatabase(databasePath(dataDir));
  try {
    const windows = new Map(
      db
        .prepare<[], { path: string; n: number }>('SELECT f.path, count(w.id) AS n FROM files f LEFT JOIN windows w ON w.file_id = f.id GROUP BY f.id')
        .all()
        .map((r) => [path.relative(root, r.path), r.n] as const),
    );
    const rows = db
      .prepare<[], Row>('SELECT f.path, w.start_s, e.modality, e.vector FROM embeddings e JOIN windows w ON w.id = e.window_id JOIN files f ON f.id = w.file_id')
      .all();
    const vectors = new Map(rows.map((r) => [`${path.relative(root, r.path)}@${r.start_s}/${r.modality}`, decodeVector(r.vector)] as const));
    return { windows, vectors };
  } finally {
    db.close();
  }
}

function countIndexed(dataDir: string): number {
  try {
    const db = openDatabase(databasePath(dataDir));
    try {
      return db.prepare<[], { n: number }>("SELECT count(*) AS n FROM files WHERE status = 'indexed'").get()!.n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

test('SIGKILL mid-run, then resume: exactly the windows and vectors of a clean run', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-crash-'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    for (let i = 0; i < 8; i++) await makeClip(path.join(root, `clip${i}.mp4`), 6 + 3 * i, 200 + 150 * i);
    const ckpt = path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth');
    const clean = path.join(base, 'clean');
    const crashed = path.join(base, 'crashed');
    for (const d of [clean, crashed]) {
      const r = await foley(['model', 'import', ckpt, '--heads', '1', '--name', 'tiny', '--data-dir', d]);
      assert.equal(r.code, 0, r.stderr);
    }
    const ok = await foley(['index', root, '--data-dir', clean, '--threads', '1']);
    assert.equal(ok.code, 0, ok.stderr);

    // Kill the second run as soon as it has committed a couple of files, i.e. mid-run.
    const child = spawn(process.execPath, [BIN, 'index', root, '--data-dir', crashed, '--threads', '1'], {
      env: { ...process.env, FOLEY_PROVIDER: 'cpu' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? -9 : _code)));
    const deadline = Date.now() + 60_000;
    while (countIndexed(crashed) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    assert.equal(await exited, -9, 'the run finished before it could be killed');
    const partial = countIndexed(crashed);
    assert.ok(partial >= 2 && partial < 8, `killed after ${partial} files`);

    const resumed = await foley(['index', '--data-dir', crashed, '--threads', '1', '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout) as { indexed: number; skipped: number };
    assert.equal(summary.indexed + summary.skipped, 8);
    assert.ok(summary.indexed <= 8 - partial, 'finished files were indexed again');

    const a = snapshot(clean, root);
    const b = snapshot(crashed, root);
    assert.deepEqual([...b.windows].sort(), [...a.windows].sort(), 'window counts per file differ (duplicates or losses)');
    assert.equal(b.vectors.size, a.vectors.size);
    for (const [key, v] of a.vectors) {
      const w = b.vectors.get(key);
      assert.ok(w, `missing vector ${key}`);
      let max = 0;
      for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]! - w[i]!));
      assert.ok(max < 2e-3, `${key} differs by ${max}`);
    }

    // The persisted graphs agree with the table after the resume.
    const db = openDatabase(databasePath(crashed));
    try {
      for (const modality of ['audio', 'visual'] as const) {
        const vi = new VectorIndex({ modelId: 1, modality }, 32);
        vi.load(db, { persist: false });
        assert.equal(vi.size, [...b.vectors.keys()].filter((k) => k.endsWith(`/${modality}`)).length);
      }
    } finally {
      db.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a deleted or corrupted graph in the database is rebuilt from the embeddings', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-graph-'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    for (let i = 0; i < 3; i++) await makeClip(path.join(root, `c${i}.mp4`), 15, 300 + 200 * i);
    const dataDir = path.join(base, 'data');
    await foley(['model', 'import', path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), '--heads', '1', '--data-dir', dataDir]);
    assert.equal((await foley(['index', root, '--data-dir', dataDir])).code, 0);
    const db = openDatabase(databasePath(dataDir));
    try {
      const query = new Float32Array(32).fill(0.1);
      const fresh = new VectorIndex({ modelId: 1, modality: 'audio' }, 32);
      assert.equal(fresh.load(db, { persist: false }).source, 'stored');
      const expected = fresh.search(query, 3);
      db.prepare("UPDATE vector_index_chunks SET bytes = zeroblob(length(bytes)) WHERE modality = 'audio'").run();
      const corrupt = new VectorIndex({ modelId: 1, modality: 'audio' }, 32);
      const outcome = corrupt.load(db);
      assert.equal(outcome.source, 'rebuilt');
      assert.deepEqual(corrupt.search(query, 3).ids, expected.ids);
      db.prepare("DELETE FROM vector_index_chunks WHERE modality = 'audio'").run();
      const gone = new VectorIndex({ modelId: 1, modality: 'audio' }, 32);
      assert.equal(gone.load(db).source, 'rebuilt');
      assert.deepEqual(gone.search(query, 3).ids, expected.ids);
    } finally {
      db.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
