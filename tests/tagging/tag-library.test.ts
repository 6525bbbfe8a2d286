// The tagging run itself (core/tagging/tag-library.ts) on a real clip with the tiny 527-class model:
// a cancelled run keeps what it stored and the next one tags only the rest (untagged windows are
// found by query, as after a crash); tagging holds back while interactive work (a search) runs;
// one file on demand tags that file alone and records no run cost; a run pauses, resumes and cancels
// from this process or through its job row (`foley jobs`).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { interactive } from '../../base/interactive.ts';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import { modelRecord, openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { tagLibrary } from '../../core/tagging/tag-library.ts';
import { pausedTagJob, runningTagJob } from '../../core/tagging/job.ts';
import { JobControl } from '../../core/indexing/control.ts';
import { controlJob } from '../../core/jobs.ts';
import { getJob } from '../../db/jobs.ts';
import { classLogitsCoverage, lastTaggingMsPerWindow } from '../../db/class-logits.ts';
import { getFileByPath } from '../../db/files.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

const session = { provider: 'cpu', threads: 1 } as const;
let base: string;
let root: string;
let library: Library;
let model: InstalledModel;

before(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-tag-library-'));
  root = path.join(base, 'videos');
  mkdirSync(root);
  await makeClip(path.join(root, 'long.mp4'), 60, 440);
  await makeClip(path.join(root, 'short.mp4'), 15, 880);
  library = openLibrary(path.join(base, 'data'));
  model = (await importModel(library.dataDir, path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), { name: 'as', heads: 1 })).model;
  await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1 });
});

after(async () => {
  library.close();
  await releaseEncoders();
  rmSync(base, { recursive: true, force: true });
});

const coverage = (m: InstalledModel): { tagged: number; windows: number } => classLogitsCoverage(library.db, modelRecord(library, m).id);
const renamed = (name: string): InstalledModel => ({ ...model, manifest: { ...model.manifest, name } });

test('one file on demand: that file only, no run cost recorded', async () => {
  const m = renamed('one-file');
  const short = getFileByPath(library.db, path.join(root, 'short.mp4'))!;
  const s = await tagLibrary(library, m, { session, fileId: short.id });
  assert.deepEqual([s.tagged, coverage(m)], [2, { tagged: 2, windows: 8 }]);
  assert.equal(lastTaggingMsPerWindow(library.db, modelRecord(library, m).id), null);
});

test('a cancelled run keeps what it stored; the next run tags only the rest', async () => {
  const m = renamed('cancel');
  const abort = new AbortController();
  const first = await tagLibrary(library, m, {
    session,
    signal: abort.signal,
    onProgress: (p) => {
      if (p.done >= 2) abort.abort();
    },
  });
  assert.equal(first.status, 'cancelled');
  const kept = coverage(m).tagged;
  assert.ok(kept >= 2 && kept < 8, `kept ${kept}`);
  assert.equal(first.tagged, kept);
  const second = await tagLibrary(library, m, { session });
  assert.deepEqual([second.status, second.tagged, coverage(m)], ['done', 8 - kept, { tagged: 8, windows: 8 }]);
  assert.ok(lastTaggingMsPerWindow(library.db, modelRecord(library, m).id)! > 0);
});

test('tagging holds back while a search runs', async () => {
  const m = renamed('interactive');
  let release!: () => void;
  const search = interactive(() => new Promise<void>((resolve) => (release = resolve)));
  let firstTaggedAt: number | undefined;
  const run = tagLibrary(library, m, {
    session,
    onProgress: (p) => {
      if (p.done > 0) firstTaggedAt ??= performance.now();
    },
  });
  await new Promise((r) => setTimeout(r, 1500));
  const releasedAt = performance.now();
  assert.equal(firstTaggedAt, undefined, 'nothing tagged while the search ran');
  release();
  await search;
  const s = await run;
  assert.equal(s.tagged, 8);
  assert.ok(firstTaggedAt! >= releasedAt);
  // Time spent holding back is not counted in the cost per window.
  assert.ok(s.msPerWindow! < (s.seconds * 1000) / 8, `${s.msPerWindow} ms vs ${(s.seconds * 1000) / 8}`);
});

test('a paused run holds after the window in hand, shows as paused, and goes on when resumed through its job row', async () => {
  const m = renamed('pause');
  const modelId = modelRecord(library, m).id;
  const control = new JobControl();
  let pausedAt: number | undefined;
  const run = tagLibrary(library, m, {
    session,
    control,
    onProgress: (p) => {
      if (p.done >= 2 && pausedAt === undefined) {
        pausedAt = p.done;
        control.pause();
      }
    },
  });
  // Paused: nothing more is stored, and the job row (what other processes and the app read) says so.
  const deadline = Date.now() + 20_000;
  while (pausedTagJob(library.db, modelId) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const job = pausedTagJob(library.db, modelId);
  assert.ok(job !== undefined, 'the job row says paused');
  const held = coverage(m).tagged;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(coverage(m).tagged, held, 'nothing tagged while paused');
  assert.ok(held < 8);
  // Resumed from elsewhere (`foley jobs resume ID` writes the row): the run picks it up and finishes.
  controlJob(library, job.id, 'resume');
  const s = await run;
  assert.deepEqual([s.status, s.tagged, coverage(m)], ['done', 8, { tagged: 8, windows: 8 }]);
  assert.equal(getJob(library.db, job.id)?.status, 'done');
  // Time paused is not counted in the cost per window.
  assert.ok(s.msPerWindow! < (s.seconds * 1000 - 1500) / 8 + 1, `${s.msPerWindow} ms vs ${s.seconds} s`);
});

test('a run cancelled through its job row stops, keeping what it stored', async () => {
  const m = renamed('row-cancel');
  const modelId = modelRecord(library, m).id;
  let cancelled = false;
  const s = await tagLibrary(library, m, {
    session,
    onProgress: (p) => {
      if (p.done >= 2 && !cancelled) {
        cancelled = true;
        const job = runningTagJob(library.db, modelId)!;
        controlJob(library, job.id, 'cancel');
      }
    },
  });
  assert.equal(s.status, 'cancelled');
  assert.ok(s.tagged >= 2 && s.tagged < 8, `${s.tagged}`);
  assert.equal(coverage(m).tagged, s.tagged);
});
