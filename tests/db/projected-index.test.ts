// A graph built on a PCA projection of the vectors (db/projection.ts, VectorIndex `project`): its candidates,
// re-ranked exactly, give an exact scan's top-10; the projection is stored with the graph, a graph stored with
// another projection (or none) is rebuilt, and a rebuild from SQLite answers exactly as the stored graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../db/connection.ts';
import { readAllEmbeddings } from '../../db/embeddings.ts';
import { readIndexMeta } from '../../db/graph-chunks.ts';
import { fitProjection } from '../../db/projection.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { normaliseInPlace, scoreAll, topK } from '../../core/search/vectors.ts';
import { latentVectors, rng, row, seedLibrary, tempDatabase, testModel } from './helpers.ts';

const DIM = 96;
const LATENT = 16;
const PROJECT = 32;
const OPTIONS = { chunkBytes: 64 << 10, project: PROJECT, ef: 400 };

function library(): { db: Database; modelId: number; queries: Float32Array } {
  const { db } = tempDatabase();
  const { model, run } = testModel(db, DIM);
  const next = latentVectors(DIM, 11, LATENT);
  seedLibrary(db, run.id, next, DIM, 100, 20);
  return { db, modelId: model.id, queries: next(20) };
}

/** Candidates re-ranked exactly on the stored vectors: what core/search/engine.ts does. */
function top10(index: VectorIndex, stored: { ids: Float64Array; vectors: Float32Array }, q: Float32Array): number[] {
  const rowOf = new Map(Array.from(stored.ids, (id, i) => [id, i]));
  const cands = index.search(q, index.candidates(10)).ids;
  const scores = cands.map((id) => {
    const v = row(stored.vectors, DIM, rowOf.get(id)!);
    let s = 0;
    for (let j = 0; j < DIM; j++) s += v[j]! * q[j]!;
    return s;
  });
  return topK(scores, 10).map((i) => cands[i]!);
}

test('a projection fitted to low-rank vectors keeps their energy and is orthonormal; on isotropic noise it keeps little', () => {
  const sample = latentVectors(DIM, 3, LATENT)(2000);
  const p = fitProjection(sample, DIM, PROJECT);
  assert.ok(p.energy > 0.99, `energy ${p.energy}`);
  for (let a = 0; a < PROJECT; a++) {
    for (let b = 0; b <= a; b++) {
      let dot = 0;
      for (let j = 0; j < DIM; j++) dot += p.basis[a * DIM + j]! * p.basis[b * DIM + j]!;
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-4, `basis ${a}·${b} = ${dot}`);
    }
  }
  const r = rng(5);
  const noise = normaliseInPlace(Float32Array.from({ length: 2000 * DIM }, () => r.normal()), DIM);
  const q = fitProjection(noise, DIM, PROJECT);
  assert.ok(q.energy < 0.5, `energy on noise ${q.energy}`);
});

test('projected candidates re-ranked exactly give the exact top-10 (recall ≥ 0.98), on a graph of the projected dims', () => {
  const { db, modelId, queries } = library();
  const index = new VectorIndex({ modelId, modality: 'audio' }, DIM, OPTIONS);
  assert.deepEqual(index.load(db), { source: 'rebuilt', reason: 'missing' });
  assert.equal(index.projection?.d, PROJECT);
  assert.equal(index.candidates(10), 200);
  const stored = readAllEmbeddings(db, modelId, 'audio');
  normaliseInPlace(stored.vectors, DIM);
  let hits = 0;
  let graphOnly = 0;
  for (let i = 0; i < 20; i++) {
    const q = row(queries, DIM, i);
    const truth = new Set(topK(scoreAll(stored.vectors, q), 10).map((r) => stored.ids[r]!));
    hits += top10(index, stored, q).filter((id) => truth.has(id)).length;
    graphOnly += index.search(q, 10).ids.filter((id) => truth.has(id)).length;
  }
  assert.ok(hits / 200 >= 0.98, `recall@10 ${hits / 200}`);
  // The re-rank is doing work: the projected graph's own top-10 is only approximate.
  assert.ok(graphOnly <= hits, `graph alone ${graphOnly}, re-ranked ${hits}`);
  db.close();
});

test('a graph stored with another projection, or none, is rebuilt; one that kept too little energy stays full-dim', () => {
  const { db, modelId } = library();
  const key = { modelId, modality: 'audio' } as const;
  const plain = new VectorIndex(key, DIM, { chunkBytes: OPTIONS.chunkBytes });
  plain.load(db);
  const projected = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(projected.load(db), { source: 'rebuilt', reason: 'other parameters' });
  const other = new VectorIndex(key, DIM, { ...OPTIONS, project: 16 });
  assert.deepEqual(other.load(db), { source: 'rebuilt', reason: 'other parameters' });
  assert.equal(other.projection?.d, 16);
  const back = new VectorIndex(key, DIM, { chunkBytes: OPTIONS.chunkBytes });
  assert.deepEqual(back.load(db), { source: 'rebuilt', reason: 'other parameters' });
  assert.equal(back.projection, undefined);
  // 4 dims of a rank-16 library keep < 90 % of its energy: the graph is full-dim, and that choice is stored.
  const tooFew = new VectorIndex(key, DIM, { ...OPTIONS, project: 4 });
  assert.deepEqual(tooFew.load(db), { source: 'rebuilt', reason: 'other parameters' });
  assert.equal(tooFew.projection, undefined);
  const again = new VectorIndex(key, DIM, { ...OPTIONS, project: 4 });
  assert.deepEqual(again.load(db), { source: 'stored', caughtUp: 0 });
  assert.equal(again.candidates(10), 10);
  db.close();
});

test('the stored projected graph and a rebuild from SQLite answer the same', () => {
  const { db, modelId, queries } = library();
  const key = { modelId, modality: 'audio' } as const;
  const built = new VectorIndex(key, DIM, OPTIONS);
  built.load(db);
  assert.ok(readIndexMeta(db, key)!.chunkCount > 1);
  const loaded = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(loaded.load(db), { source: 'stored', caughtUp: 0 });
  assert.deepEqual(Array.from(loaded.projection!.basis), Array.from(built.projection!.basis));
  const rebuilt = new VectorIndex(key, DIM, OPTIONS);
  rebuilt.rebuild(db);
  const stored = readAllEmbeddings(db, modelId, 'audio');
  normaliseInPlace(stored.vectors, DIM);
  for (let i = 0; i < 20; i++) {
    const q = row(queries, DIM, i);
    const expected = built.search(q, 50);
    assert.deepEqual(loaded.search(q, 50), expected);
    assert.deepEqual(rebuilt.search(q, 50), expected);
    assert.deepEqual(top10(rebuilt, stored, q), top10(loaded, stored, q));
  }
  db.close();
});
