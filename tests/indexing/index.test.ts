// Indexing a generated library with the tiny model: real ffmpeg, real ONNX sessions, a real SQLite file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, utimesSync, mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import type { IndexOptions } from '../../core/indexing/indexer.ts';
import type { IndexProgress } from '../../core/indexing/progress.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { modelRecord } from '../../core/library/handle.ts';
import { libraryStatus } from '../../core/status.ts';
import { getFileByPath } from '../../db/files.ts';
import { listWindows } from '../../db/windows.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { makeClip, makeLibrary } from './helpers.ts';
import type { TestLibrary } from './helpers.ts';

let lib: TestLibrary;
let library: Library;

before(async () => {
  lib = await makeLibrary();
  library = openLibrary(lib.dataDir);
});
after(async () => {
  library.close();
  await releaseEncoders();
  rmSync(path.dirname(lib.root), { recursive: true, force: true });
});

const index = (extra: Partial<IndexOptions> = {}): ReturnType<typeof runIndex> =>
  runIndex({ library, model: lib.model, roots: [lib.root], provider: 'cpu', threads: 1, ...extra });

test('first run indexes every good file into the windows its duration implies and records failures', async () => {
  const progress: IndexProgress[] = [];
  const s = await index({ onProgress: (p) => progress.push(p) });
  const good = lib.cases.filter((c) => c.expect !== undefined);
  const damaged = lib.cases.filter((c) => c.damagedWindows !== undefined);
  const bad = lib.cases.filter((c) => c.expect === undefined && c.damagedWindows === undefined);
  assert.ok(lib.cases.length >= 20, `corpus has ${lib.cases.length} files`);
  assert.equal(s.status, 'done');
  assert.equal(s.indexed, good.length + damaged.length);
  assert.deepEqual(s.failed.map((f) => path.basename(f.path)).sort(), bad.map((c) => c.name).sort());
  assert.deepEqual(s.damaged.map((f) => path.basename(f.path)).sort(), damaged.map((c) => c.name).sort());
  for (const c of bad) {
    const f = getFileByPath(library.db, c.file)!;
    assert.equal(f.status, 'failed');
    assert.match(f.lastError ?? '', c.error ?? /./, `${c.name}: ${f.lastError}`);
  }
  // A cut file is indexed up to the cut and says so.
  for (const c of damaged) {
    const f = getFileByPath(library.db, c.file)!;
    assert.equal(f.status, 'indexed');
    assert.match(f.lastError ?? '', c.error!, `${c.name}: ${f.lastError}`);
    assert.equal(listWindows(library.db, f.id).length, c.damagedWindows, c.name);
  }
  for (const c of good) {
    const f = getFileByPath(library.db, c.file);
    assert.ok(f, `${c.name} not in the library`);
    const windows = listWindows(library.db, f.id).map((w) => [w.startS, w.endS]);
    assert.equal(windows.length, c.expect!.windows.length, `${c.name}: ${JSON.stringify(windows)}`);
    windows.forEach(([start, end], i) => {
      const [es, ee] = c.expect!.windows[i]!;
      assert.ok(Math.abs(start! - es) < 1e-6 && Math.abs(end! - ee) < (c.expect!.durationTolerance ?? 0.2) + 1e-6, `${c.name} window ${i}: ${start}-${end} vs ${es}-${ee}`);
    });
  }
  const status = libraryStatus(library);
  const total = good.reduce((n, c) => n + c.expect!.windows.length, 0) + damaged.reduce((n, c) => n + c.damagedWindows!, 0);
  assert.equal(status.windows, total);
  assert.deepEqual(status.models[0]!.providers, ['cpu']);
  // Live progress: files and windows counted up, with a rate and an ETA while indexing.
  const last = progress.at(-1)!;
  assert.equal(last.phase, 'done');
  assert.equal(last.windowsDone, total);
  assert.ok(progress.some((p) => p.phase === 'indexing' && p.etaSeconds !== null && p.windowsPerSecond > 0));
  assert.ok(progress.some((p) => p.currentFile !== null));
  // The graphs were persisted and hold every vector.
  const m = modelRecord(library, lib.model);
  for (const modality of ['audio', 'visual'] as const) {
    const vi = new VectorIndex({ modelId: m.id, modality }, 32);
    assert.equal(vi.load(library.db, { persist: false }).source, 'stored');
    assert.equal(vi.size, modality === 'audio' ? status.models[0]!.audioVectors : status.models[0]!.visualVectors);
  }
});

test('a second run indexes nothing', async () => {
  const s = await index();
  assert.equal(s.indexed, 0);
  assert.equal(s.skipped, lib.cases.length);
  assert.equal(s.failed.length, 0, 'failed files are not retried unless asked');
});

test('touch: same content with a new mtime is not re-indexed', async () => {
  const file = path.join(lib.root, 'clips', 'a.mp4');
  const before = listWindows(library.db, getFileByPath(library.db, file)!.id).map((w) => w.id);
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const s = await index();
  assert.equal(s.indexed, 0);
  assert.deepEqual(listWindows(library.db, getFileByPath(library.db, file)!.id).map((w) => w.id), before);
});

test('changed content is re-indexed with new windows', async () => {
  const file = path.join(lib.root, 'clips', 'f.mp4');
  await makeClip(file, 15, 440, 'testsrc2');
  const s = await index();
  assert.equal(s.indexed, 1);
  assert.deepEqual(listWindows(library.db, getFileByPath(library.db, file)!.id).map((w) => [w.startS, w.endS]), [[0, 10], [10, 15]]);
});

test('rename and move keep the windows (same ids), delete removes them', async () => {
  const a = path.join(lib.root, 'clips', 'a.mp4');
  const renamed = path.join(lib.root, 'clips', 'a-renamed.mp4');
  const idsA = listWindows(library.db, getFileByPath(library.db, a)!.id).map((w) => w.id);
  renameSync(a, renamed);
  const b = path.join(lib.root, 'clips', 'b.mp4');
  mkdirSync(path.join(lib.root, 'moved'));
  const movedB = path.join(lib.root, 'moved', 'b.mp4');
  const idsB = listWindows(library.db, getFileByPath(library.db, b)!.id).map((w) => w.id);
  renameSync(b, movedB);
  const c = path.join(lib.root, 'clips', 'c.mp4');
  const idC = getFileByPath(library.db, c)!.id;
  rmSync(c);
  const s = await index();
  assert.deepEqual([s.indexed, s.moved, s.removed], [0, 2, 1]);
  assert.equal(getFileByPath(library.db, a), undefined);
  assert.deepEqual(listWindows(library.db, getFileByPath(library.db, renamed)!.id).map((w) => w.id), idsA);
  assert.deepEqual(listWindows(library.db, getFileByPath(library.db, movedB)!.id).map((w) => w.id), idsB);
  assert.equal(listWindows(library.db, idC).length, 0);
});

test('a copy of an indexed file is a new file of its own', async () => {
  copyFileSync(path.join(lib.root, 'clips', 'd.mp4'), path.join(lib.root, 'clips', 'd-copy.mp4'));
  const s = await index();
  assert.equal(s.indexed, 1);
  assert.equal(s.moved, 0);
});

test('a root that disappears (unplugged drive) marks its files offline, and they come back without re-indexing', async () => {
  const away = `${lib.root}-unplugged`;
  renameSync(lib.root, away);
  try {
    const s = await index({ roots: [] });
    assert.ok(s.offline > 0);
    assert.equal(s.removed, 0);
    const status = libraryStatus(library);
    assert.equal(status.files.offline, s.offline);
    assert.ok(status.windows > 0, 'offline files keep their windows');
    assert.equal(status.roots[0]!.online, false);
  } finally {
    renameSync(away, lib.root);
  }
  const back = await index();
  assert.equal(back.indexed, 0);
  assert.equal(libraryStatus(library).files.offline, 0);
});

test('cancel stops between files and keeps what was committed; pause waits', async () => {
  const { JobControl } = await import('../../core/indexing/control.ts');
  for (const [i, hz] of [320, 640, 960].entries()) await makeClip(path.join(lib.root, 'clips', `new${i}.mp4`), 3, hz);
  const control = new JobControl();
  let paused = false;
  const s = await index({
    control,
    onProgress: (p) => {
      if (p.phase === 'indexing' && p.filesDone === 1 && !paused) {
        paused = true;
        control.pause();
        setTimeout(() => control.cancel(), 300);
      }
    },
  });
  assert.equal(s.status, 'cancelled');
  // The file after the first may already be decoded, its vectors on their way: a stop commits it
  // too (core/indexing/indexer.ts), never the third, which the pause held back.
  assert.ok(s.indexed === 1 || s.indexed === 2, `indexed ${s.indexed}`);
  const rest = await index();
  assert.equal(rest.indexed, 3 - s.indexed);
});
