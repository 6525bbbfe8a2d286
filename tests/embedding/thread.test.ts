// The inference thread (native-models/runtime/session-host.ts via Encoder's `thread` option) and the
// runtime measurement (core/embedding/tune.ts), on a small CAV-MAE checkpoint in the official layout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { batchCandidates, chooseSetting, laneCandidates, runtimeTuning } from '../../core/embedding/tune.ts';
import type { TunedSetting } from '../../core/embedding/tune.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import { calibrationInputs } from '../../native-models/precision/calibrate.ts';
import { MODALITIES } from '../../base/types.ts';
import { writeSmallCheckpoint } from '../helpers/precision-checkpoints.ts';

let work: string;
let model: InstalledModel;
before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'foley-thread-'));
  model = (await importModel(path.join(work, 'data'), writeSmallCheckpoint(work, 'plain'), { name: 'small' })).model;
});
after(() => rmSync(work, { recursive: true, force: true }));

test('an encoder on the inference thread gives the same embeddings as one on this thread, and leaves the input usable', async () => {
  const here = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1 });
  const there = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true });
  try {
    const inputs = calibrationInputs(here.family, here.config);
    for (const m of MODALITIES) {
      const batch = inputs[m].slice(0, 6 * here.inputSize(m));
      const a = await here.encode(m, batch);
      const b = await there.encode(m, batch, ['pooled']);
      assert.deepEqual(b.embeddings, a.embeddings, `${m}: same graph, same provider, same threads`);
      assert.equal(b.pooled?.length, 6 * here.config.embedDim);
      assert.equal(batch.length, 6 * here.inputSize(m), 'the caller keeps its array (a copy was transferred)');
      assert.ok(b.runMs > 0 && a.runMs > 0);
    }
    assert.equal(await there.provider('audio'), 'cpu');
    await assert.rejects(there.encode('audio', new Float32Array(5)), /not a multiple/);
  } finally {
    await here.release();
    await there.release();
  }
});

test('while the inference thread computes, this thread keeps running (timers fire)', async () => {
  const there = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true });
  try {
    const m = 'audio';
    const batch = new Float32Array(64 * there.inputSize(m));
    await there.encode(m, batch.subarray(0, there.inputSize(m)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const { runMs } = await there.encode(m, batch);
    const waited = performance.now() - started;
    clearInterval(timer);
    // A 64-item batch runs for tens of ms; on this thread ORT would have held it throughout (no tick).
    assert.ok(ticks >= Math.min(3, Math.floor(runMs / 4)), `${ticks} ticks during a ${runMs.toFixed(1)} ms run (${waited.toFixed(1)} ms waited)`);
  } finally {
    await there.release();
  }
});

test('a failing graph rejects with its message, and the thread serves the next call', async () => {
  const there = new Encoder(model.dir, { ...model.manifest.config }, { provider: 'cpu', threads: 1, thread: true });
  const broken = new Encoder(path.join(work, 'missing'), model.manifest.config, { provider: 'cpu', threads: 1, thread: true });
  try {
    await assert.rejects(broken.encode('visual', new Float32Array(broken.inputSize('visual'))), /missing|No such file|doesn't exist|failed/i);
    const ok = await there.encode('visual', new Float32Array(there.inputSize('visual')));
    assert.equal(ok.embeddings.length, there.config.embedDim);
  } finally {
    await there.release();
    await broken.release();
  }
});

test('lanes: calls spread over several inference threads, each with its own sessions, with the same embeddings', async () => {
  const one = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true });
  const two = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true, lanes: 2 });
  try {
    assert.deepEqual([one.lanes, two.lanes], [1, 2]);
    assert.throws(() => new Encoder(model.dir, model.manifest.config, { thread: true, lanes: 0 }), /lanes must be a positive integer/);
    const inputs = calibrationInputs(one.family, one.config);
    const size = one.inputSize('audio');
    const batches = [0, 1, 2, 3].map((i) => inputs.audio.slice(i * 4 * size, (i + 1) * 4 * size));
    const a = await Promise.all(batches.map((b) => one.encode('audio', b)));
    const b = await Promise.all(batches.map((x) => two.encode('audio', x)));
    b.forEach((r, i) => assert.deepEqual(r.embeddings, a[i]!.embeddings, `batch ${i}`));
    // Each lane holds its own session: both opened one (the worker threads run side by side).
    assert.equal(await two.provider('visual'), 'cpu');
  } finally {
    await one.release();
    await two.release();
  }
});

test('chooseSetting: the fastest layout, and a bigger batch only when it is 5 % faster', () => {
  const s = (lanes: number, threads: number, batchSize: number, pairsPerSecond: number): TunedSetting => ({ lanes, threads, batchSize, pairsPerSecond });
  const measured = [s(1, 2, 1, 5.4), s(1, 1, 1, 3.3), s(2, 1, 1, 5.8), s(2, 1, 2, 6.27), s(2, 1, 4, 6.31)];
  assert.deepEqual(chooseSetting(measured), s(2, 1, 2, 6.27));
  assert.deepEqual(chooseSetting([...measured.slice(0, 4), s(2, 1, 4, 6.6)]), s(2, 1, 4, 6.6));
  assert.deepEqual(chooseSetting([s(1, 2, 1, 5.4), s(1, 2, 4, 5.6)]), s(1, 2, 1, 5.4));
  assert.deepEqual(laneCandidates(2), [{ lanes: 1, threads: 2 }, { lanes: 1, threads: 1 }, { lanes: 2, threads: 1 }]);
  assert.deepEqual(laneCandidates(1), [{ lanes: 1, threads: 1 }]);
});

test('lanes, threads and batch size are measured once per model, provider and core count, and remembered', async () => {
  const file = path.join(model.dir, 'runtime-tuning.json');
  const cpus = os.availableParallelism();
  // A tuning remembered before lanes existed is measured again.
  writeFileSync(file, JSON.stringify([{ provider: 'cpu', cpus, threads: 1, batchSize: 4, measured: [] }]));
  let measured = false;
  const tuning = await runtimeTuning(model, 'cpu', () => (measured = true));
  assert.equal(measured, true);
  assert.equal(tuning.cpus, cpus);
  assert.ok(laneCandidates(cpus).some((l) => l.lanes === tuning.lanes && l.threads === tuning.threads));
  assert.ok(batchCandidates('cpu').includes(tuning.batchSize));
  // Every layout at the first batch size, then the other batch sizes with the fastest layout.
  assert.equal(tuning.measured.length, laneCandidates(cpus).length + batchCandidates('cpu').length - 1);
  assert.ok(tuning.measured.every((s) => s.pairsPerSecond > 0));
  assert.deepEqual(tuning, { ...tuning, ...pick(chooseSetting(tuning.measured)) });
  assert.ok(existsSync(file));
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), [tuning]);
  let measuredAgain = false;
  assert.deepEqual(await runtimeTuning(model, 'cpu', () => (measuredAgain = true)), tuning);
  assert.equal(measuredAgain, false);
});

function pick(s: TunedSetting): { lanes: number; threads: number; batchSize: number } {
  return { lanes: s.lanes, threads: s.threads, batchSize: s.batchSize };
}
