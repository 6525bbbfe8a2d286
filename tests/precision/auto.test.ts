// --precision auto end to end on real ONNX Runtime sessions: small random checkpoints where int8
// agrees (int8 kept), where outlier channels everywhere make it disagree (fp32 kept), and where they
// sit only in the joint block (int8-mixed kept); only the chosen graphs stay; the manifest, `foley
// model list` and its JSON carry the figures.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import { writeSmallCheckpoint } from '../helpers/precision-checkpoints.ts';
import { foley } from '../helpers/cli.ts';

let work: string;
let dataDir: string;
const ckpt = (kind: Parameters<typeof writeSmallCheckpoint>[1]): string => writeSmallCheckpoint(work, kind);

before(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'foley-precision-'));
  dataDir = path.join(work, 'data');
});
after(() => rmSync(work, { recursive: true, force: true }));

test('int8 is kept when its embeddings agree with fp32, and only its graphs stay on disk', async () => {
  const { model, reused } = await importModel(dataDir, ckpt('plain'), { name: 'plain', precision: 'auto', provider: 'cpu' });
  assert.equal(reused, false);
  const m = model.manifest;
  assert.equal(m.precision, 'int8');
  assert.equal(m.precisionRequest, 'auto');
  const c = m.calibration!;
  assert.equal(c.provider, 'cpu');
  assert.equal(c.chosen, 'int8');
  assert.deepEqual(c.candidates.map((x) => [x.precision, x.accepted]), [['int8', true]]);
  for (const f of [c.candidates[0]!.audio, c.candidates[0]!.visual]) {
    assert.equal(f.samples, 32);
    assert.ok(f.minCosine >= 0.999 && f.minCosine <= f.meanCosine && f.meanCosine <= 1 + 1e-9, JSON.stringify(f));
    assert.ok(f.overlap >= 0.98 && f.overlap <= 1);
  }
  assert.ok(c.ms > 0);
  assert.deepEqual(readdirSync(model.dir).sort(), ['audio.onnx', 'manifest.json', 'visual.onnx']);
  // Smaller than fp32 (only 2× at this size: the position tables and the patch Conv stay fp32).
  const fp32 = await importModel(dataDir, ckpt('plain'), { name: 'plain-fp32', precision: 'fp32' });
  assert.ok(model.bytes < fp32.model.bytes * 0.6, `${model.bytes} vs ${fp32.model.bytes}`);
  assert.equal(fp32.model.manifest.calibration, undefined);
  // Asking for auto again reuses the measured conversion.
  assert.equal((await importModel(dataDir, ckpt('plain'), { name: 'plain', precision: 'auto', provider: 'cpu' })).reused, true);
});

test('outlier channels in every block: int8 and int8-mixed disagree, fp32 is kept', async () => {
  const { model } = await importModel(dataDir, ckpt('outliers-everywhere'), { name: 'outliers', precision: 'auto', provider: 'cpu' });
  const c = model.manifest.calibration!;
  assert.equal(model.manifest.precision, 'fp32');
  assert.equal(c.chosen, 'fp32');
  assert.deepEqual(c.candidates.map((x) => [x.precision, x.accepted]), [['int8', false], ['int8-mixed', false]]);
  for (const x of c.candidates) assert.ok(x.visual.minCosine < 0.999 || x.visual.overlap < 0.98, JSON.stringify(x));
  assert.deepEqual(readdirSync(model.dir).sort(), ['audio.onnx', 'manifest.json', 'visual.onnx']);
});

test('outlier channels in the joint block only: int8-mixed (joint block in fp32) is kept', async () => {
  const { model } = await importModel(dataDir, ckpt('outliers-joint'), { name: 'joint', precision: 'auto', provider: 'cpu' });
  const c = model.manifest.calibration!;
  assert.equal(model.manifest.precision, 'int8-mixed');
  assert.deepEqual(c.candidates.map((x) => [x.precision, x.accepted]), [['int8', false], ['int8-mixed', true]]);
  assert.ok(c.candidates[1]!.audio.minCosine >= 0.999 && c.candidates[1]!.visual.overlap >= 0.98);
});

test('foley model list shows the chosen precision and the measured figures', async () => {
  const text = await foley(['model', 'list', '--data-dir', dataDir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /plain\s+CAV-MAE pretrained\s+D=64 int8/);
  assert.match(text.stdout, /auto on cpu: chose int8 \(32 sounds, 32 pictures, \+\d+\.\d s\)/);
  assert.match(text.stdout, /int8: audio min cos 0\.99\d+ mean 0\.99\d+ overlap (0\.9[89]\d|1\.000); visual min cos .*; agrees/);
  assert.match(text.stdout, /auto on cpu: chose fp32/);
  assert.match(text.stdout, /int8-mixed: audio .*; rejected/);
  const json = await foley(['model', 'list', '--data-dir', dataDir, '--json']);
  const list = JSON.parse(json.stdout) as { models: Array<{ name: string; precision: string; precisionRequest: string; calibration: { chosen: string } | null }> };
  const byName = new Map(list.models.map((m) => [m.name, m]));
  assert.deepEqual([byName.get('plain')!.precision, byName.get('plain')!.precisionRequest, byName.get('plain')!.calibration!.chosen], ['int8', 'auto', 'int8']);
  assert.deepEqual([byName.get('plain-fp32')!.precisionRequest, byName.get('plain-fp32')!.calibration], ['fp32', null]);
});

test('the command line imports with auto by default', async () => {
  const r = await foley(['model', 'import', ckpt('plain'), '--name', 'cli', '--data-dir', dataDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { precision: string; precisionRequest: string; calibration: { candidates: unknown[] } };
  assert.deepEqual([out.precision, out.precisionRequest, out.calibration.candidates.length], ['int8', 'auto', 1]);
  const bad = await foley(['model', 'import', ckpt('plain'), '--precision', 'int4', '--data-dir', dataDir]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--precision must be auto, fp32, int8, int8-mixed, fp16/);
});
