// The exact/HNSW engine on synthetic structured vectors (no model, no media): exact top-k, HNSW with
// exact re-ranking, filtered over-fetch, catching up with new vectors, and the top-k kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ModalityEngine } from '../../core/search/engine.ts';
import { searchEmbeddings } from '../../core/search/search.ts';
import { topK } from '../../core/search/vectors.ts';
import { latentVectors, seedLibrary, tempDatabase, testModel } from '../db/helpers.ts';

const D = 64;

test('topK returns the k best indices in order, skipping rejected and NaN', () => {
  const s = [0.1, 0.9, Number.NaN, 0.5, 0.9, -1, 0.7];
  assert.deepEqual(topK(s, 3), [1, 4, 6]);
  assert.deepEqual(topK(s, 10), [1, 4, 6, 3, 0, 5]);
  assert.deepEqual(topK(s, 2, (i) => i !== 1), [4, 6]);
  assert.deepEqual(topK(s, 0), []);
});

test('HNSW + exact re-ranking matches exact search; filters fill the page; new vectors are found', () => {
  const { db, dir } = tempDatabase();
  try {
    const { model, run } = testModel(db, D);
    const gen = latentVectors(D, 3);
    seedLibrary(db, run.id, gen, D, 30, 100); // 3,000 windows, 30 files
    const exact = new ModalityEngine(model.id, 'audio', D);
    exact.refresh(db, { method: 'exact' });
    const hnsw = new ModalityEngine(model.id, 'audio', D);
    hnsw.refresh(db, { method: 'hnsw' });
    assert.deepEqual([exact.method, hnsw.method, exact.size, hnsw.size], ['exact', 'hnsw', 3000, 3000]);
    const queries = gen(20);
    let hits = 0;
    for (let i = 0; i < 20; i++) {
      const q = queries.subarray(i * D, (i + 1) * D);
      const a = exact.search(db, q, 10);
      const b = hnsw.search(db, q, 10);
      hits += b.ids.filter((id) => a.ids.includes(id)).length;
      // Re-ranked scores are the exact ones.
      b.ids.forEach((id, j) => {
        const k = a.ids.indexOf(id);
        if (k >= 0) assert.ok(Math.abs(a.scores[k]! - b.scores[j]!) < 1e-6);
      });
      // A filter allowing 1 window in 100 still fills 10 results from HNSW.
      const accept = (id: number): boolean => id % 100 === 7;
      const fa = exact.search(db, q, 10, { accept });
      const fb = hnsw.search(db, q, 10, { accept });
      assert.equal(fb.ids.length, 10);
      assert.deepEqual(fb.ids, fa.ids);
    }
    assert.ok(hits / 200 >= 0.95, `recall@10 ${hits / 200}`);

    // Through the service: same results either way, exact scores.
    const q = Array.from(queries.subarray(0, D));
    const req = { query: { kind: 'embedding' as const, audio: q }, in: 'audio' as const, top: 10 };
    const embedding = { audio: Float32Array.from(q), cached: false };
    const r1 = searchEmbeddings(db, model, embedding, { ...req, method: 'exact' });
    const r2 = searchEmbeddings(db, model, embedding, { ...req, method: 'hnsw' });
    assert.deepEqual(r2.results, r1.results);

    // New windows are picked up before the next query, by both methods.
    const target = Float32Array.from(q);
    seedLibrary(db, run.id, () => target, D, 1, 1, 1000);
    for (const e of [exact, hnsw]) {
      e.refresh(db);
      assert.equal(e.size, 3001);
      const top = e.search(db, target, 1);
      assert.ok(top.scores[0]! > 0.999);
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a projected graph (PCA) behind the engine re-ranks its candidates to the exact top-10', () => {
  const { db, dir } = tempDatabase();
  try {
    const dim = 192; // > PROJECT_DIMS (128), so the graph is projected
    const { model, run } = testModel(db, dim);
    const gen = latentVectors(dim, 5, 24);
    seedLibrary(db, run.id, gen, dim, 20, 100); // 2,000 windows
    const exact = new ModalityEngine(model.id, 'audio', dim);
    exact.refresh(db, { method: 'exact' });
    const projected = new ModalityEngine(model.id, 'audio', dim);
    projected.refresh(db, { method: 'hnsw', projectFrom: 1 });
    const queries = gen(20);
    let hits = 0;
    for (let i = 0; i < 20; i++) {
      const q = queries.subarray(i * dim, (i + 1) * dim);
      const a = exact.search(db, q, 10);
      const b = projected.search(db, q, 10);
      hits += b.ids.filter((id) => a.ids.includes(id)).length;
      b.ids.forEach((id, j) => {
        const k = a.ids.indexOf(id);
        if (k >= 0) assert.ok(Math.abs(a.scores[k]! - b.scores[j]!) < 1e-6);
      });
      const accept = (id: number): boolean => id % 50 === 7;
      assert.deepEqual(projected.search(db, q, 10, { accept }).ids, exact.search(db, q, 10, { accept }).ids);
    }
    assert.ok(hits / 200 >= 0.98, `recall@10 ${hits / 200}`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
