// Training jobs in the worker: pause/resume (by message and from another connection), cancel, stop,
// a crash mid-training and the restart from the last finished epoch, rollback, and debouncing.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { addLabelTo } from '../../core/learning/labels.ts';
import { startTraining } from '../../core/learning/training/job.ts';
import type { StartTrainingOptions } from '../../core/learning/training/job.ts';
import { TrainingScheduler } from '../../core/learning/training/scheduler.ts';
import { rollback, trainedVersions } from '../../core/learning/training/versions.ts';
import type { TrainOptions } from '../../core/learning/training/trainer.ts';
import { openDatabase } from '../../db/connection.ts';
import { getJob, setJobStatus } from '../../db/jobs.ts';
import { activateVersion, activeVersion, countPredictions, getCheckpoint, listVersions } from '../../db/learning.ts';
import { makeSyntheticLibrary } from './synthetic.ts';

/** Slow enough (≈1–2 s) to pause and kill in the middle, fast enough for the suite. */
const SLOW: TrainOptions = { head: { epochs: 40, minSteps: 3000 }, adapter: { epochs: 4 } };

function library(seed = 42): { library: Library; modelId: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-jobs-'));
  const lib = makeSyntheticLibrary(path.join(dir, 'foley.db'), { seed, files: 30 });
  const modelId = lib.modelId;
  lib.db.close();
  return { library: openLibrary(dir), modelId };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('pause and resume by message, then from another connection; progress has an ETA', async () => {
  const { library: lib, modelId } = library();
  let paused = 0;
  let resumed = 0;
  let eta = false;
  const o: StartTrainingOptions = {
    modelId, options: SLOW, pollMs: 50,
    onMessage: (m) => {
      if (m.type === 'paused') paused++;
      if (m.type === 'resumed') resumed++;
      if (m.type === 'progress' && m.progress.etaSeconds !== null && m.progress.done > 0) eta = true;
    },
  };
  const h = startTraining(lib, o);
  await until('head training', () => (h.progress?.done ?? 0) > 1);
  h.pause();
  await until('paused', () => paused === 1);
  assert.equal(getJob(lib.db, h.jobId)!.status, 'paused');
  const at = h.progress!.done;
  await sleep(300);
  assert.equal(h.progress!.done, at, 'no progress while paused');
  h.resume();
  await until('resumed', () => resumed === 1);
  // Another process pauses through the job row (like `foley jobs pause ID`).
  const other = openDatabase(path.join(lib.dataDir, 'foley.db'));
  setJobStatus(other, h.jobId, 'paused');
  await until('paused from the row', () => paused === 2);
  setJobStatus(other, h.jobId, 'running');
  other.close();
  const out = await h.done;
  assert.equal(out.status, 'done');
  assert.equal(getJob(lib.db, h.jobId)!.status, 'done');
  assert.ok(eta, 'progress carried an ETA');
  lib.close();
});

test('cancel ends the job for good; stop keeps it resumable', async () => {
  const { library: lib, modelId } = library();
  const h = startTraining(lib, { modelId, options: SLOW });
  await until('head training', () => (h.progress?.done ?? 0) > 1);
  h.cancel();
  const out = await h.done;
  assert.equal(out.status, 'cancelled');
  assert.equal(getJob(lib.db, h.jobId)!.status, 'cancelled');
  assert.equal(getCheckpoint(lib.db, h.jobId, 'head'), undefined, 'checkpoints dropped');
  assert.equal(listVersions(lib.db).length, 0);

  const s = startTraining(lib, { modelId, options: SLOW });
  assert.notEqual(s.jobId, h.jobId);
  await until('a finished epoch', () => getCheckpoint(lib.db, s.jobId, 'head') !== undefined);
  s.stop();
  assert.equal((await s.done).status, 'paused');
  assert.equal(getJob(lib.db, s.jobId)!.status, 'paused');
  const again = startTraining(lib, { modelId, options: SLOW });
  assert.equal(again.jobId, s.jobId, 'the paused job is continued');
  const out2 = await again.done;
  assert.equal(out2.status, 'done');
  if (out2.status === 'done') assert.ok(out2.summary.resumedFromEpoch.head !== null && out2.summary.resumedFromEpoch.head >= 0);
  lib.close();
});

test('a crash mid-training restarts from the last finished epoch and ends where an uninterrupted run does', async () => {
  const { library: ref, modelId: refModel } = library(7);
  const clean = await startTraining(ref, { modelId: refModel, options: SLOW }).done;
  assert.equal(clean.status, 'done');

  const { library: lib, modelId } = library(7);
  const h = startTraining(lib, { modelId, options: SLOW });
  await until('epoch 5 checkpoint', () => (getCheckpoint(lib.db, h.jobId, 'head')?.epoch ?? -1) >= 5);
  const crashed = h.done.then(() => 'finished', (e: Error) => e.message);
  await h.kill();
  assert.match(await crashed, /ended .* before finishing/);
  assert.equal(getJob(lib.db, h.jobId)!.status, 'running', 'a crash leaves the row running');
  const saved = getCheckpoint(lib.db, h.jobId, 'head')!.epoch;
  assert.throws(() => startTraining(lib, { modelId, options: SLOW }), /already running/, 'a fresh heartbeat means a live job');
  const restarted = startTraining(lib, { modelId, options: SLOW, staleMs: 0 });
  assert.equal(restarted.jobId, h.jobId);
  const out = await restarted.done;
  assert.equal(out.status, 'done');
  if (out.status !== 'done' || clean.status !== 'done') return;
  assert.ok(out.summary.resumedFromEpoch.head! >= saved, `resumed from ${out.summary.resumedFromEpoch.head}, saved ${saved}`);
  assert.deepEqual(out.summary.head!.metrics, clean.summary.head!.metrics, 'same result as the uninterrupted run');
  assert.deepEqual(out.summary.adapter!.metrics, clean.summary.adapter!.metrics);
  ref.close();
  lib.close();
});

test('rollback: the previous kept version becomes active again, with its predictions', async () => {
  const { library: lib, modelId } = library();
  const first = await startTraining(lib, { modelId, options: { adapter: false } }).done;
  assert.equal(first.status, 'done');
  // More labels, another round.
  const w = lib.db.prepare<[], { file_id: number; start_s: number }>('SELECT file_id, start_s FROM windows ORDER BY id DESC LIMIT 1').get()!;
  addLabelTo(lib, { name: 'dog', file: w.file_id, startS: w.start_s, polarity: 'negative' });
  const second = await startTraining(lib, { modelId, options: { adapter: false } }).done;
  assert.equal(second.status, 'done');
  if (first.status !== 'done' || second.status !== 'done') return;
  const v1 = first.summary.head!.versionId;
  const v2 = second.summary.head!.versionId;
  assert.equal(activeVersion(lib.db, modelId, 'head')!.id, v2);
  assert.equal(countPredictions(lib.db, v1), 0, 'inactive predictions are dropped');
  const back = rollback(lib, modelId, 'head');
  assert.equal(back!.id, v1);
  assert.equal(activeVersion(lib.db, modelId, 'head')!.id, v1);
  assert.ok(countPredictions(lib.db, v1) > 0, 'predictions recomputed for the restored version');
  assert.equal(rollback(lib, modelId, 'head'), null, 'past the first: back to the baseline');
  assert.equal(activeVersion(lib.db, modelId, 'head'), undefined);
  assert.equal(rollback(lib, modelId, 'head', v2)!.id, v2, 'roll forward to a given version');
  assert.equal(trainedVersions(lib, modelId, 'head').length, 2);
  lib.close();
});

test('a version that did not beat the baseline cannot be activated', () => {
  const { library: lib } = library();
  const db = lib.db;
  const id = Number(db.prepare("INSERT INTO trained_versions (model_id, kind, label_set, labels_hash, params, metrics, train_size, heldout_size, kept, seconds, created_at) VALUES (1, 'head', '[]', 'x', x'00000000', '{}', 0, 0, 0, 0, 0)").run().lastInsertRowid);
  assert.throws(() => activateVersion(db, id), /did not beat/);
  assert.throws(() => db.prepare('UPDATE trained_versions SET active = 1 WHERE id = ?').run(id), /CHECK/);
  lib.close();
});

test('debouncing: a burst of label changes starts one run, after the quiet time; unchanged labels start none', async () => {
  const { library: lib, modelId } = library();
  const starts: number[] = [];
  const finished: string[] = [];
  const scheduler = new TrainingScheduler(lib, {
    modelId, debounceMs: 200, options: { adapter: false },
    onStart: () => starts.push(Date.now()),
    onFinish: (o) => finished.push(o.status),
  });
  const w = lib.db.prepare<[], { file_id: number; start_s: number }>('SELECT file_id, start_s FROM windows ORDER BY id').all();
  let last = 0;
  for (let i = 0; i < 4; i++) {
    addLabelTo(lib, { name: 'burst', file: w[i]!.file_id, startS: w[i]!.start_s });
    last = Date.now();
    await sleep(60);
  }
  assert.equal(starts.length, 0, 'nothing starts during the burst');
  await until('one run', () => finished.length === 1);
  assert.equal(starts.length, 1);
  assert.ok(starts[0]! - last >= 190, `started ${starts[0]! - last} ms after the last change`);
  assert.equal(finished[0], 'done');
  // Nothing changed since: the debounced path skips; trainNow forces a run.
  scheduler.labelsChanged();
  await sleep(350);
  assert.equal(starts.length, 1);
  const forced = await scheduler.trainNow();
  assert.equal(forced?.status, 'done');
  assert.equal(scheduler.runs, 2);
  await scheduler.close();
  lib.close();
});
