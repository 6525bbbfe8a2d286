// Interactive work first (base/interactive.ts): background inference threads and decode loops hold
// back while a search runs, and go on when it ends. Real worker thread, real ONNX Runtime session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { interactive, interactiveCounter, interactiveRunning, yieldToInteractive } from '../../base/interactive.ts';
import { WorkerSessions } from '../../native-models/runtime/worker-sessions.ts';
import { importModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import { writeSmallCheckpoint } from '../helpers/precision-checkpoints.ts';

let work: string;
let model: InstalledModel;
before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'foley-interactive-'));
  model = (await importModel(path.join(work, 'data'), writeSmallCheckpoint(work, 'plain'), { name: 'small' })).model;
});
after(() => rmSync(work, { recursive: true, force: true }));

test('yieldToInteractive waits for every interactive call to end, and a throw still ends one', async () => {
  const events: string[] = [];
  await yieldToInteractive();
  assert.equal(interactiveRunning(), false);
  const a = interactive(async () => {
    await sleep(60);
    events.push('a done');
  });
  const b = interactive(async () => {
    await sleep(20);
    events.push('b done');
    throw new Error('b failed');
  });
  assert.equal(interactiveRunning(), true);
  const waited = yieldToInteractive().then(() => events.push('background goes on'));
  await assert.rejects(b, /b failed/);
  await Promise.all([a, waited]);
  assert.deepEqual(events, ['b done', 'a done', 'background goes on']);
  assert.equal(interactiveRunning(), false);
});

test('a background encoder on its thread waits while interactive work runs; a foreground one does not', async () => {
  const background = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true, background: true });
  const foreground = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true });
  try {
    const input = new Float32Array(background.inputSize('visual'));
    await background.encode('visual', input);
    await foreground.encode('visual', input);
    const events: string[] = [];
    let pending: Promise<unknown> = Promise.resolve();
    await interactive(async () => {
      pending = background.encode('visual', input).then(() => events.push('background batch'));
      await foreground.encode('visual', input);
      events.push('foreground batch');
      await sleep(150);
      events.push('search done');
    });
    await pending;
    assert.deepEqual(events, ['foreground batch', 'search done', 'background batch']);
    // With nothing interactive, it runs at once.
    await background.encode('visual', input);
  } finally {
    await background.release();
    await foreground.release();
  }
});

test('right after a search, a background batch runs item by item and gives the batch results (fp32, 1e-5)', async () => {
  const background = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1, thread: true, background: true });
  const foreground = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 1 });
  try {
    for (const m of ['audio', 'visual'] as const) {
      const size = foreground.inputSize(m);
      const batch = new Float32Array(5 * size).map((_, i) => Math.sin(i * 0.37));
      const whole = await foreground.encode(m, batch, ['pooled']);
      await interactive(async () => undefined);
      const stepwise = await background.encode(m, batch, ['pooled']);
      // The same request straight to an inference thread shows the steps it took.
      const io = foreground.family.encoderIO;
      const file = path.join(model.dir, `${m}.onnx`);
      const dims = [5, ...foreground.family.inputShape(m, foreground.config)];
      const yielding = new WorkerSessions({ provider: 'cpu', threads: 1 }, interactiveCounter());
      const plain = new WorkerSessions({ provider: 'cpu', threads: 1 });
      try {
        assert.equal((await yielding.run(file, { [io.input[m]]: { data: batch.slice(), dims } }, [io.embedding])).steps, 5);
        assert.equal((await plain.run(file, { [io.input[m]]: { data: batch.slice(), dims } }, [io.embedding])).steps, 1);
      } finally {
        await yielding.close();
        await plain.close();
      }
      assert.equal(stepwise.embeddings.length, whole.embeddings.length);
      const diff = (a: Float32Array, b: Float32Array): number => a.reduce((mx, v, i) => Math.max(mx, Math.abs(v - b[i]!)), 0);
      assert.ok(diff(stepwise.embeddings, whole.embeddings) < 1e-5, `${m}: ${diff(stepwise.embeddings, whole.embeddings)}`);
      assert.ok(diff(stepwise.pooled!, whole.pooled!) < 1e-5);
    }
  } finally {
    await background.release();
    await foreground.release();
  }
});
