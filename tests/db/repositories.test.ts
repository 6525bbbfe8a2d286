// Repositories against real SQLite files: cascades, the per-file commit, vectors, labels, jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FoleyError } from '../../base/errors.ts';
import { countEmbeddings, embeddingBatches, getEmbedding, putEmbeddings, readAllEmbeddings } from '../../db/embeddings.ts';
import { addFile, deleteFile, findFilesByFingerprint, getFile, listFiles, moveFile, updateFile } from '../../db/files.ts';
import { createJob, listJobs, nextQueuedJob, requeueInterruptedJobs, setJobProgress, setJobStatus } from '../../db/jobs.ts';
import { addLabel, labelNames, listLabels } from '../../db/labels.ts';
import { ensureModel, removeModel } from '../../db/models.ts';
import { addRoot, removeRoot } from '../../db/roots.ts';
import { finishRun, getRun, listRuns, startRun } from '../../db/runs.ts';
import { decodeVector, encodeVector, f16BitsToF32, f32ToF16Bits } from '../../db/vector-codec.ts';
import { listWindows, momentsForWindows, replaceFileWindows } from '../../db/windows.ts';
import { latentVectors, row, seedLibrary, tempDatabase, testModel } from './helpers.ts';

const count = (db: ReturnType<typeof tempDatabase>['db'], table: string): number =>
  db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n;

test('deleting a file removes its windows, embeddings and labels; deleting a root its files', () => {
  const { db } = tempDatabase();
  const { run } = testModel(db, 16);
  const root = addRoot(db, '/media');
  const next = latentVectors(16);
  const a = addFile(db, { rootId: root.id, path: '/media/a.mp4', size: 1, mtimeMs: 1 });
  const b = addFile(db, { rootId: root.id, path: '/media/b.mp4', size: 1, mtimeMs: 1 });
  for (const f of [a, b]) {
    const v = next(3);
    replaceFileWindows(db, f.id, run.id, [0, 1, 2].map((i) => ({ startS: i * 10, endS: i * 10 + 10, hasAudio: true, hasVisual: true, embeddings: { audio: row(v, 16, i), visual: row(v, 16, i) } })));
    addLabel(db, { name: 'dog', fileId: f.id, startS: 0, endS: 10, polarity: 'positive' });
  }
  assert.deepEqual([count(db, 'windows'), count(db, 'embeddings'), count(db, 'labels')], [6, 12, 2]);
  deleteFile(db, a.id);
  assert.deepEqual([count(db, 'windows'), count(db, 'embeddings'), count(db, 'labels')], [3, 6, 1]);
  removeRoot(db, root.id);
  assert.deepEqual([count(db, 'files'), count(db, 'windows'), count(db, 'embeddings'), count(db, 'labels')], [0, 0, 0, 0]);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});

test('replaceFileWindows swaps a file\'s windows atomically: a throw half-way changes nothing', () => {
  const { db } = tempDatabase();
  const { model, run } = testModel(db, 8);
  const next = latentVectors(8);
  const [first] = seedLibrary(db, run.id, next, 8, 1, 4);
  const file = getFile(db, 1)!;
  const before = listWindows(db, file.id);
  const good = next(1);
  const bad = [
    { startS: 0, endS: 10, hasAudio: true, hasVisual: false, embeddings: { audio: good } },
    { startS: 10, endS: 20, hasAudio: true, hasVisual: false, embeddings: { audio: new Float32Array(5) } }, // wrong length
  ];
  assert.throws(() => replaceFileWindows(db, file.id, run.id, bad), FoleyError);
  assert.deepEqual(listWindows(db, file.id), before);
  assert.equal(countEmbeddings(db, model.id, 'audio'), 4);
  assert.ok(getEmbedding(db, first!, model.id, 'audio') !== undefined);
  // A window that breaks a CHECK (end before start) after some rows went in: also all or nothing.
  assert.throws(() => replaceFileWindows(db, file.id, run.id, [bad[0]!, { startS: 30, endS: 20, hasAudio: true, hasVisual: false }]));
  assert.deepEqual(listWindows(db, file.id), before);

  const ids = replaceFileWindows(db, file.id, run.id, [bad[0]!]);
  assert.equal(listWindows(db, file.id).length, 1);
  assert.ok(ids[0]! > first! + 3, 'window ids are never reused');
  assert.equal(getFile(db, file.id)!.status, 'indexed');
  assert.equal(countEmbeddings(db, model.id, 'audio'), 1);
  db.close();
});

test('a moved file keeps its windows, embeddings and labels', () => {
  const { db } = tempDatabase();
  const { model, run } = testModel(db, 8);
  const [w] = seedLibrary(db, run.id, latentVectors(8), 8, 2, 2);
  const file = findFilesByFingerprint(db, 'fp-0')[0]!;
  addLabel(db, { name: 'rain', fileId: file.id, polarity: 'negative' });
  const moved = moveFile(db, file.id, '/media/renamed/clip.mp4');
  assert.equal(moved.id, file.id);
  assert.deepEqual(momentsForWindows(db, [w!]), [{ windowId: w, fileId: file.id, path: '/media/renamed/clip.mp4', startS: 0, endS: 10 }]);
  assert.ok(getEmbedding(db, w!, model.id, 'audio') !== undefined);
  assert.equal(listLabels(db, { fileId: file.id }).length, 1);
  assert.throws(() => moveFile(db, file.id, '/media/clip-1.mp4'), /already has this path/);
  db.close();
});

test('file fields update; streams round-trip as JSON; CHECKs refuse unknown states', () => {
  const { db } = tempDatabase();
  const f = addFile(db, { path: '/x.mkv', size: 10, mtimeMs: 5.4 });
  const u = updateFile(db, f.id, { durationS: 12.5, streams: { audio: 1, video: { codec: 'h264' } }, status: 'failed', lastError: 'bad data' });
  assert.deepEqual([u.durationS, u.streams, u.status, u.lastError, u.mtimeMs], [12.5, { audio: 1, video: { codec: 'h264' } }, 'failed', 'bad data', 5]);
  assert.deepEqual(listFiles(db, { status: 'failed' }).map((x) => x.id), [f.id]);
  assert.throws(() => db.prepare("UPDATE files SET status = 'weird' WHERE id = ?").run(f.id), /CHECK constraint/);
  db.close();
});

test('vectors round-trip through float16 within 1e-3 and bulk reads return one contiguous array', () => {
  const { db } = tempDatabase();
  const dim = 64;
  const { model, run } = testModel(db, dim);
  const next = latentVectors(dim, 7);
  const ids = seedLibrary(db, run.id, next, dim, 30, 10);
  const all = readAllEmbeddings(db, model.id, 'audio');
  assert.equal(all.dim, dim);
  assert.equal(all.vectors.length, 300 * dim);
  assert.deepEqual(Array.from(all.ids), ids);
  let batches = 0;
  for (const b of embeddingBatches(db, model.id, 'audio', { batchSize: 64 })) {
    batches++;
    assert.deepEqual(b.vectors, all.vectors.subarray(all.ids.indexOf(b.ids[0]!) * dim, (all.ids.indexOf(b.ids[0]!) + b.ids.length) * dim));
  }
  assert.equal(batches, 5);

  const v = next(1);
  putEmbeddings(db, run.id, [{ windowId: ids[0]!, modality: 'visual', vector: v }]);
  const back = getEmbedding(db, ids[0]!, model.id, 'visual')!;
  let dot = 0;
  for (let i = 0; i < dim; i++) {
    assert.ok(Math.abs(back[i]! - v[i]!) < 1e-3);
    dot += back[i]! * v[i]!;
  }
  assert.ok(dot > 0.99999, `cosine ${dot}`);
  db.close();
});

test('the float16 codec matches Float16Array bit for bit, including subnormals, rounding and infinities', () => {
  const samples = [0, -0, 1, -1, 0.1, 1 / 3, 65504, 65520, 1e6, 6.1e-5, 5.96e-8, 2.98e-8, 1e-9, 0.000123, -0.0371, NaN, Infinity, 1.0009765625, 1.00048828125, 1.00146484375];
  const r = latentVectors(16, 3)(64);
  const values = new Float32Array([...samples, ...r]);
  const native = decodeVector(encodeVector(values));
  for (let i = 0; i < values.length; i++) {
    const soft = f16BitsToF32(f32ToF16Bits(values[i]!));
    assert.ok(Object.is(soft, native[i]) || (Number.isNaN(soft) && Number.isNaN(native[i])), `${values[i]}: ${soft} vs ${native[i]}`);
  }
});

test('models, runs and the provider each run used; deleting a model removes its vectors', () => {
  const { db } = tempDatabase();
  const { model, run } = testModel(db, 8);
  assert.equal(testModel(db, 8).model.id, model.id, 'ensureModel is idempotent');
  const other = ensureModel(db, { name: 'test', dim: 8, checkpointSha256: 'ab'.repeat(32), precision: 'int8', converterVersion: '1' });
  assert.notEqual(other.id, model.id);
  const gpu = startRun(db, { modelId: model.id, provider: 'cuda' });
  finishRun(db, gpu.id);
  assert.deepEqual(listRuns(db, model.id).map((r) => r.provider), ['cpu', 'cpu', 'cuda']);
  assert.ok(getRun(db, gpu.id)!.finishedAt !== null);
  assert.throws(() => db.prepare("INSERT INTO embedding_runs (model_id, provider, started_at) VALUES (?, 'tpu', 0)").run(model.id), /CHECK/);
  const otherRun = startRun(db, { modelId: other.id, provider: 'cpu' });
  seedLibrary(db, run.id, latentVectors(8), 8, 1, 2);
  // A row naming a run of another model is refused by the (run, model) foreign key.
  assert.throws(() => db.prepare("INSERT INTO embeddings (window_id, model_id, modality, run_id, vector) VALUES (1, ?, 'visual', ?, x'0000')").run(model.id, otherRun.id), /FOREIGN KEY/);
  removeModel(db, model.id);
  assert.equal(count(db, 'embeddings'), 0);
  assert.equal(count(db, 'windows'), 2, 'windows belong to files, not models');
  db.close();
});

test('labels on moments and whole files, counted by name', () => {
  const { db } = tempDatabase();
  const f = addFile(db, { path: '/a.mp4', size: 1, mtimeMs: 1 });
  addLabel(db, { name: 'dog', fileId: f.id, startS: 5, endS: 7.5, polarity: 'positive' });
  addLabel(db, { name: 'dog', fileId: f.id, polarity: 'negative' });
  addLabel(db, { name: 'car', fileId: f.id, startS: 0, endS: 1, polarity: 'positive' });
  assert.deepEqual(labelNames(db), [
    { name: 'car', positives: 1, negatives: 0 },
    { name: 'dog', positives: 1, negatives: 1 },
  ]);
  assert.deepEqual(listLabels(db, { name: 'dog' }).map((l) => l.startS), [null, 5], 'whole-file labels first');
  assert.throws(() => addLabel(db, { name: 'x', fileId: f.id, startS: 3, endS: null, polarity: 'positive' }), /CHECK/);
  assert.throws(() => addLabel(db, { name: 'x', fileId: f.id + 1, polarity: 'positive' }), /FOREIGN KEY/);
  db.close();
});

test('jobs move only through allowed states and interrupted ones are requeued', () => {
  const { db } = tempDatabase();
  const a = createJob(db, 'index', { roots: ['/media'], force: false });
  const b = createJob(db, 'index');
  assert.equal(nextQueuedJob(db)!.id, a.id);
  const running = setJobStatus(db, a.id, 'running');
  assert.ok(running.startedAt !== null && running.finishedAt === null);
  setJobProgress(db, a.id, 3, 10);
  setJobStatus(db, a.id, 'paused');
  setJobStatus(db, a.id, 'running');
  const failed = setJobStatus(db, a.id, 'failed', 'disk full');
  assert.deepEqual([failed.status, failed.error, failed.progressDone, failed.progressTotal, failed.params], ['failed', 'disk full', 3, 10, { roots: ['/media'], force: false }]);
  assert.ok(failed.finishedAt !== null);
  assert.throws(() => setJobStatus(db, a.id, 'running'), /cannot become running/);
  setJobStatus(db, b.id, 'running');
  assert.equal(requeueInterruptedJobs(db), 1);
  assert.deepEqual(listJobs(db, { status: 'queued' }).map((j) => j.id), [b.id]);
  db.close();
});
