// fp16 graphs (weights and transformer compute in float16, float32 at the edges), checked on the CPU
// EP against fp32 on the calibration set: cosine ≥ 0.9999 per item, with batches of 20 (the batch
// axis is dynamic), for CAV-MAE and CAV-MAE Sync.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import { calibrationInputs } from '../../native-models/precision/calibrate.ts';
import { rowCosines } from '../../native-models/precision/decide.ts';
import { MODALITIES } from '../../base/types.ts';
import { writeSmallCheckpoint } from '../helpers/precision-checkpoints.ts';
import { FIXTURES } from '../helpers/fixtures.ts';

let work: string;
before(() => (work = mkdtempSync(path.join(os.tmpdir(), 'foley-fp16-'))));
after(() => rmSync(work, { recursive: true, force: true }));

const BATCH = 20;

async function compareFp16(file: string, heads: number | undefined): Promise<void> {
  const data = path.join(work, 'data');
  const name = path.basename(path.dirname(file)) + path.basename(file);
  const opts = heads !== undefined ? { heads } : {};
  const fp32 = (await importModel(data, file, { name: `${name}-32`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'), ...opts })).model;
  const fp16 = (await importModel(data, file, { name: `${name}-16`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'), precision: 'fp16', ...opts })).model;
  assert.equal(fp16.manifest.precision, 'fp16');
  // Half the bytes of the transformer weights (the patch Conv and the position tables stay fp32).
  assert.ok(fp16.bytes < fp32.bytes * 0.7, `${fp16.bytes} vs ${fp32.bytes}`);
  assert.match(readFileSync(path.join(fp16.dir, 'audio.onnx')).toString('latin1'), /to_fp16/);
  const a = new Encoder(fp32.dir, fp32.manifest.config, { provider: 'cpu', threads: 1 });
  const b = new Encoder(fp16.dir, fp16.manifest.config, { provider: 'cpu', threads: 1 });
  try {
    const inputs = calibrationInputs(a.family, a.config);
    for (const m of MODALITIES) {
      const size = a.inputSize(m);
      const batch = inputs[m].subarray(0, BATCH * size);
      const [ea, eb] = [await a.encode(m, batch), await b.encode(m, batch)];
      assert.equal(eb.embeddings.length, BATCH * a.config.embedDim);
      const cos = rowCosines(ea.embeddings, eb.embeddings, BATCH, a.config.embedDim);
      const min = Math.min(...cos);
      assert.ok(min >= 0.9999, `${m}: min cosine ${min}`);
    }
  } finally {
    await a.release();
    await b.release();
  }
}

test('fp16 CAV-MAE graphs agree with fp32 (cosine ≥ 0.9999) on a batch of 20', async () => {
  await compareFp16(writeSmallCheckpoint(work, 'plain'), undefined);
});

test('fp16 CAV-MAE Sync graphs agree with fp32 (cosine ≥ 0.9999) on a batch of 20', async () => {
  await compareFp16(path.join(FIXTURES, 'sync', 'sync-d32-h2-r4-ch', 'checkpoint.pth'), 2);
});
