// Frame-level rows (CAV-MAE Sync) in a real SQLite file: one row per window holding its frames'
// vectors with their mask; search structures see one entry per frame (label windowId·16 + frame), in
// the exact scan and in the HNSW graph alike, also after a re-index changes a window's frames; readers
// that want windows see the frames pooled; the clip score and its vector form agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFile } from '../../db/files.ts';
import { ensureModel } from '../../db/models.ts';
import { startRun } from '../../db/runs.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { countEmbeddings, countVectors, embeddingsOfFrameLabels, getEmbedding, putEmbeddings, readAllEmbeddings } from '../../db/embeddings.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { frameLabel, framesMask, labelFrame, labelWindow, momentFrames } from '../../base/window-plan.ts';
import { ModalityEngine } from '../../core/search/engine.ts';
import { clipScore } from '../../core/search/clips.ts';
import { clipVector } from '../../core/evaluation/library-pairs.ts';
import { frameSpan } from '../../core/search/moments.ts';
import { windowClipFrames } from '../../core/embedding/window-inputs.ts';
import { latentVectors, row, tempDatabase } from '../db/helpers.ts';

const D = 24;

function setup() {
  const { db } = tempDatabase();
  const model = ensureModel(db, { name: 'sync', dim: D, checkpointSha256: 'cd'.repeat(32), precision: 'fp32', converterVersion: '1', frameLevel: true });
  const run = startRun(db, { modelId: model.id, provider: 'cpu', threads: 1, frames: 4 });
  return { db, model, run };
}

test('moment frames: every 16th/8th/4th/2nd/all, centred in their share; a short window keeps its early frames', () => {
  assert.deepEqual(momentFrames(1), [8]);
  assert.deepEqual(momentFrames(4), [2, 6, 10, 14]);
  assert.deepEqual(momentFrames(8), [1, 3, 5, 7, 9, 11, 13, 15]);
  assert.deepEqual(momentFrames(16), Array.from({ length: 16 }, (_, k) => k));
  assert.throws(() => momentFrames(3), /one of 1, 2, 4, 8, 16/);
  assert.deepEqual(windowClipFrames({ index: 0, start: 20, end: 30, middle: 25 }, 4), [2, 6, 10, 14]);
  // 3 s left: frames at +1.28 s (2) only; +3.84 s (6) is past the end.
  assert.deepEqual(windowClipFrames({ index: 2, start: 20, end: 23, middle: 21.5 }, 4), [2]);
  assert.deepEqual(windowClipFrames({ index: 2, start: 20, end: 23, middle: 21.5 }, 16), [0, 1, 2, 3, 4]);
  // 1 s left: no moment of 4 inside; the clip frame nearest its middle (0.64 s in) stands for it.
  assert.deepEqual(windowClipFrames({ index: 2, start: 20, end: 21, middle: 20.5 }, 4), [1]);
  assert.deepEqual(windowClipFrames({ index: 0, start: 0, end: 0.3, middle: 0.15 }, 4), [0]);
  assert.equal(labelWindow(frameLabel(123_456_789, 15)), 123_456_789);
  assert.equal(labelFrame(frameLabel(123_456_789, 15)), 15);
  // A frame hit stands for its share of the window around its picture: ±1.28 s with 4 moments.
  const s = frameSpan(20, 30, 6, 4);
  assert.ok(Math.abs(s.at - 23.84) < 1e-9 && Math.abs(s.start - 22.56) < 1e-9 && Math.abs(s.end - 25.12) < 1e-9);
  assert.deepEqual(frameSpan(20, 30, 0, 16), { start: 20, end: 20.32, at: 20 });
});

test('frame rows: stored with their mask, counted per frame, read as frame labels or pooled windows', () => {
  const { db, model, run } = setup();
  const next = latentVectors(D, 7);
  const file = addFile(db, { path: '/m/a.mp4', size: 1, mtimeMs: 1, fingerprint: 'a' });
  const four = next(4);
  const one = next(1);
  const ids = replaceFileWindows(db, file.id, run.id, [
    { startS: 0, endS: 10, hasAudio: true, hasVisual: false, embeddings: { audio: four }, frames: framesMask([2, 6, 10, 14]) },
    { startS: 10, endS: 13, hasAudio: true, hasVisual: false, embeddings: { audio: one }, frames: framesMask([2]) },
  ]);
  assert.equal(countEmbeddings(db, model.id, 'audio'), 2);
  assert.equal(countVectors(db, model.id, 'audio'), 5);
  const all = readAllEmbeddings(db, model.id, 'audio');
  assert.deepEqual(Array.from(all.ids), [frameLabel(ids[0]!, 2), frameLabel(ids[0]!, 6), frameLabel(ids[0]!, 10), frameLabel(ids[0]!, 14), frameLabel(ids[1]!, 2)]);
  // Float16 storage: each frame comes back within 1e-3 of what was written.
  for (let i = 0; i < 4; i++) for (let d = 0; d < D; d++) assert.ok(Math.abs(all.vectors[i * D + d]! - four[i * D + d]!) < 1e-3);
  // Per window: the frames' mean, normalised.
  const pooled = readAllEmbeddings(db, model.id, 'audio', { perWindow: true });
  assert.deepEqual(Array.from(pooled.ids), ids);
  const mean = new Float32Array(D);
  for (let i = 0; i < 4; i++) for (let d = 0; d < D; d++) mean[d]! += four[i * D + d]!;
  const norm = Math.hypot(...mean);
  for (let d = 0; d < D; d++) assert.ok(Math.abs(pooled.vectors[d]! - mean[d]! / norm) < 2e-3);
  assert.ok(Math.abs(getEmbedding(db, ids[0]!, model.id, 'audio')![0]! - mean[0]! / norm) < 2e-3);
  const picked = embeddingsOfFrameLabels(db, model.id, 'audio', [frameLabel(ids[0]!, 10), frameLabel(ids[0]!, 3), frameLabel(ids[1]!, 2)], D);
  assert.deepEqual(picked.found, [true, false, true]);
  assert.ok(Math.abs(picked.vectors[0]! - four[2 * D]!) < 1e-3);
  // A vector whose length disagrees with its mask is refused, naming the window.
  assert.throws(() => putEmbeddings(db, run.id, [{ windowId: ids[0]!, modality: 'visual', vector: next(2), frames: framesMask([2, 6, 10]) }]), /window \d+ has 48 numbers, 3 vectors/);
  db.close();
});

test('exact scan and HNSW find the same frames; a re-index with other frames replaces them in the graph', () => {
  const { db, model, run } = setup();
  const next = latentVectors(D, 11);
  const windowIds: number[] = [];
  for (let f = 0; f < 40; f++) {
    const file = addFile(db, { path: `/m/${f}.mp4`, size: f + 1, mtimeMs: 1, fingerprint: `f${f}` });
    const windows = [0, 10, 20].map((startS) => ({ startS, endS: startS + 10, hasAudio: true, hasVisual: false, embeddings: { audio: next(4) }, frames: framesMask([2, 6, 10, 14]) }));
    windowIds.push(...replaceFileWindows(db, file.id, run.id, windows));
  }
  const exact = new ModalityEngine(model.id, 'audio', D, true);
  exact.refresh(db, { method: 'exact' });
  const hnsw = new ModalityEngine(model.id, 'audio', D, true);
  hnsw.refresh(db, { method: 'hnsw' });
  assert.equal(exact.size, 480);
  assert.equal(hnsw.size, 480);
  const target = windowIds[57]!;
  const stored = readAllEmbeddings(db, model.id, 'audio');
  const at = Array.from(stored.ids).indexOf(frameLabel(target, 10));
  const q = Float32Array.from(row(stored.vectors, D, at));
  const e = exact.search(db, q, 5);
  const h = hnsw.search(db, q, 5);
  assert.equal(e.ids[0], frameLabel(target, 10));
  assert.deepEqual(h.ids, e.ids);
  for (const [i, s] of h.scores.entries()) assert.ok(Math.abs(s - e.scores[i]!) < 1e-6);
  // Filters are on windows: refusing the target's window drops all its frames.
  assert.ok(exact.search(db, q, 20, { accept: (w) => w !== target }).ids.every((l) => labelWindow(l) !== target));
  assert.ok(hnsw.search(db, q, 20, { accept: (w) => w !== target }).ids.every((l) => labelWindow(l) !== target));

  // Re-indexed with all 16 frames, with other vectors: the graph catches up from the change log.
  const again = next(16);
  putEmbeddings(db, run.id, [{ windowId: target, modality: 'audio', vector: again, frames: framesMask(momentFrames(16)) }]);
  hnsw.refresh(db);
  assert.equal(hnsw.size, 480 - 4 + 16);
  const q2 = Float32Array.from(row(again, D, 5));
  assert.equal(hnsw.search(db, q2, 1).ids[0], frameLabel(target, 5));
  // The old frame 10 vector is gone: nothing scores cosine 1 against it any more.
  assert.ok(hnsw.search(db, q, 1).scores[0]! < 0.999);
  // A fresh load of the persisted graph agrees.
  const index = new VectorIndex({ modelId: model.id, modality: 'audio' }, D, { frameLevel: true });
  index.load(db);
  assert.equal(index.size, 492);
  assert.equal(index.search(q2, 1).ids[0], frameLabel(target, 5));
  db.close();
});

test('clip score: the mean over shared frames of cos(a_k, b_k); clip vectors give it as an inner product', () => {
  const next = latentVectors(D, 3);
  const a = { frames: [2, 6, 10, 14], vectors: next(4) };
  const b = { frames: [2, 6, 10, 14], vectors: next(4) };
  let expected = 0;
  for (let i = 0; i < 4; i++) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += a.vectors[i * D + d]! * b.vectors[i * D + d]!;
    expected += dot / 4;
  }
  assert.ok(Math.abs(clipScore(a, b, D) - expected) < 1e-6);
  const ca = new Float32Array(4 * D);
  const cb = new Float32Array(4 * D);
  assert.ok(clipVector(a, D, a.frames, ca, 0));
  assert.ok(clipVector(b, D, a.frames, cb, 0));
  let dot = 0;
  for (let i = 0; i < ca.length; i++) dot += ca[i]! * cb[i]!;
  assert.ok(Math.abs(dot - expected) < 1e-6);
  assert.ok(Math.abs(Math.hypot(...ca) - 1) < 1e-6);
  // A short window holding frame 2 alone: its missing frames are zeros, its one frame unit length.
  const short = new Float32Array(4 * D);
  assert.ok(clipVector({ frames: [2], vectors: a.vectors.slice(0, D) }, D, a.frames, short, 0));
  let cos2 = 0;
  for (let d = 0; d < D; d++) cos2 += a.vectors[d]! * b.vectors[d]!;
  let dotShort = 0;
  for (let i = 0; i < short.length; i++) dotShort += short[i]! * cb[i]!;
  assert.ok(Math.abs(dotShort - cos2 / 2) < 1e-6);
  assert.equal(clipVector({ frames: [1], vectors: a.vectors.slice(0, D) }, D, a.frames, short, 0), false);
  // Only frames both hold count; none shared is no score at all.
  assert.ok(Math.abs(clipScore({ frames: [6], vectors: a.vectors.slice(D, 2 * D) }, b, D) - clipScore({ frames: [6], vectors: a.vectors.slice(D, 2 * D) }, { frames: [6], vectors: b.vectors.slice(D, 2 * D) }, D)) < 1e-9);
  assert.ok(Number.isNaN(clipScore({ frames: [1], vectors: next(1) }, b, D)));
});
