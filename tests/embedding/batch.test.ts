// BatchEmbedder against a fake encoder: batch sizes, per-item vectors, the in-flight bound, failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchEmbedder, MAX_IN_FLIGHT } from '../../core/embedding/batch.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import type { Modality } from '../../base/types.ts';

const D = 2;

/** Each item's "embedding" is [its first input value, batch number]; batches resolve when released. */
function fakeEncoder(failOnBatch?: number) {
  const calls: { modality: Modality; count: number }[] = [];
  const pending: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const encoder = {
    config: { embedDim: D },
    lanes: 1,
    encode(modality: Modality, batch: Float32Array): Promise<{ embeddings: Float32Array }> {
      const n = calls.push({ modality, count: batch.length / 3 }) - 1;
      running++;
      peak = Math.max(peak, running);
      return new Promise((resolve, reject) => {
        pending.push(() => {
          running--;
          if (n === failOnBatch) return reject(new Error(`batch ${n} failed`));
          const out = new Float32Array((batch.length / 3) * D);
          for (let i = 0; i < batch.length / 3; i++) out.set([batch[i * 3]!, n], i * D);
          resolve({ embeddings: out });
        });
      });
    },
  };
  const releaseAll = (): void => {
    for (const r of pending.splice(0)) r();
  };
  return { encoder: encoder as unknown as Encoder, calls, releaseAll, peak: () => peak };
}

const input = (x: number): Float32Array => new Float32Array([x, 0, 0]);

test('inputs go out in batches of N per modality and each item gets its own vector back', async () => {
  const fake = fakeEncoder();
  const embedder = new BatchEmbedder(fake.encoder, { batchSize: 2 });
  const got = new Map<string, number[]>();
  for (let i = 0; i < 5; i++) {
    for (const m of ['audio', 'visual'] as const) await embedder.add(m, input(i), (v) => got.set(`${m}${i}`, Array.from(v)));
    fake.releaseAll();
  }
  const done = embedder.finish();
  fake.releaseAll();
  await done;
  assert.deepEqual(fake.calls.map((c) => `${c.modality}:${c.count}`), ['audio:2', 'visual:2', 'audio:2', 'visual:2', 'audio:1', 'visual:1']);
  assert.equal(got.size, 10);
  assert.deepEqual(got.get('audio3'), [3, 2]);
  assert.deepEqual(got.get('visual4'), [4, 5]);
});

test('add waits once too many batches run, and the first failure is rethrown', async () => {
  const fake = fakeEncoder(0);
  const embedder = new BatchEmbedder(fake.encoder, { batchSize: 1 });
  let settled = false;
  for (let i = 0; i < MAX_IN_FLIGHT * 2; i++) await embedder.add('audio', input(i), () => {});
  const blocked = embedder.add('audio', input(9), () => {}).finally(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the producer waits while the batches run');
  assert.equal(fake.peak(), MAX_IN_FLIGHT * 2 + 1);
  fake.releaseAll();
  await blocked;
  assert.throws(() => embedder.throwIfFailed(), /batch 0 failed/);
  await assert.rejects(embedder.add('audio', input(10), () => {}), /batch 0 failed/);
  await assert.rejects(embedder.finish(), /batch 0 failed/);
});
