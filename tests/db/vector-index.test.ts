// HNSW graphs persisted in SQLite: reload, corruption, tombstones, compaction, catching up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../../db/connection.ts';
import { countEmbeddings, getEmbedding, putEmbeddings } from '../../db/embeddings.ts';
import { deleteFile, findFilesByFingerprint } from '../../db/files.ts';
import { readIndexMeta } from '../../db/graph-chunks.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import type { SearchResult } from '../../db/vector-index.ts';
import { latentVectors, row, seedLibrary, tempDatabase, testModel } from './helpers.ts';

const DIM = 32;
// Small chunks so a few-hundred-vector graph spans several rows.
const OPTIONS = { chunkBytes: 8 << 10 };

function library(files = 40, perFile = 10): { db: Database; modelId: number; runId: number; ids: number[]; next: (n: number) => Float32Array; queries: Float32Array } {
  const { db } = tempDatabase();
  const { model, run } = testModel(db, DIM);
  const next = latentVectors(DIM, 11);
  const ids = seedLibrary(db, run.id, next, DIM, files, perFile);
  return { db, modelId: model.id, runId: run.id, ids, next, queries: next(20) };
}

function searchAll(index: VectorIndex, queries: Float32Array, k = 10): SearchResult[] {
  return Array.from({ length: queries.length / DIM }, (_, q) => index.search(row(queries, DIM, q), k));
}

test('a persisted graph reloads from SQLite chunks and answers exactly as before', () => {
  const { db, modelId, queries } = library();
  const built = new VectorIndex({ modelId, modality: 'audio' }, DIM, OPTIONS);
  assert.deepEqual(built.load(db), { source: 'rebuilt', reason: 'missing' });
  const meta = readIndexMeta(db, built.key)!;
  assert.equal(meta.generation, 1);
  assert.equal(meta.vectorCount, 400);
  assert.ok(meta.chunkCount > 3, `${meta.chunkCount} chunks`);

  const loaded = new VectorIndex({ modelId, modality: 'audio' }, DIM, OPTIONS);
  assert.deepEqual(loaded.load(db), { source: 'stored', caughtUp: 0 });
  assert.equal(loaded.size, 400);
  const expected = searchAll(built, queries);
  assert.deepEqual(searchAll(loaded, queries), expected);
  // Labels are window ids and scores are inner products: a stored vector finds its own window first.
  const [first] = expected[0]!.ids;
  const stored = getEmbedding(db, first!, modelId, 'audio')!;
  const self = loaded.search(stored, 3);
  assert.equal(self.ids[0], first);
  assert.ok(Math.abs(self.scores[0]! - 1) < 1e-5, `self score ${self.scores[0]}`);
  let dot = 0;
  for (let i = 0; i < DIM; i++) dot += stored[i]! * row(queries, DIM, 0)[i]!;
  assert.ok(Math.abs(expected[0]!.scores[0]! - dot) < 1e-3, `score ${expected[0]!.scores[0]} vs dot ${dot}`);
  db.close();
});

test('overwritten or missing chunks are detected and the graph is rebuilt with the same results', () => {
  const { db, modelId, queries } = library();
  const key = { modelId, modality: 'audio' } as const;
  const original = new VectorIndex(key, DIM, OPTIONS);
  original.load(db);
  const expected = searchAll(original, queries);

  db.prepare('UPDATE vector_index_chunks SET bytes = randomblob(length(bytes)) WHERE idx = 1').run();
  const afterOverwrite = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(afterOverwrite.load(db), { source: 'rebuilt', reason: 'corrupt: checksum mismatch' });
  assert.deepEqual(searchAll(afterOverwrite, queries), expected);

  db.prepare('DELETE FROM vector_index_chunks WHERE idx = 2').run();
  const afterDelete = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(afterDelete.load(db), { source: 'rebuilt', reason: 'corrupt: chunk 2 is missing' });
  assert.deepEqual(searchAll(afterDelete, queries), expected);

  const last = readIndexMeta(db, key)!.chunkCount - 1;
  db.prepare('DELETE FROM vector_index_chunks WHERE idx = ?').run(last);
  const afterTail = new VectorIndex(key, DIM, OPTIONS);
  assert.match((afterTail.load(db) as { reason: string }).reason, /corrupt: 1 of \d+ chunks are missing/);

  // Each rebuild was stored again: the next start loads it.
  const next = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(next.load(db), { source: 'stored', caughtUp: 0 });
  assert.deepEqual(searchAll(next, queries), expected);
  db.close();
});

test('a graph stored with other HNSW parameters (an older default) is rebuilt with the current ones and stored again', () => {
  const { db, modelId, queries } = library();
  const key = { modelId, modality: 'audio' } as const;
  const old = new VectorIndex(key, DIM, { ...OPTIONS, m: 8, efConstruction: 40 });
  assert.deepEqual(old.load(db), { source: 'rebuilt', reason: 'missing' });
  assert.equal(readIndexMeta(db, key)!.m, 8);

  const current = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(current.load(db), { source: 'rebuilt', reason: 'other parameters' });
  const meta = readIndexMeta(db, key)!;
  assert.deepEqual([meta.m, meta.efConstruction, meta.vectorCount], [current.params.m, current.params.efConstruction, 400]);
  // The rebuilt graph is the one a fresh build with the current parameters gives, and it is what loads next.
  const fresh = new VectorIndex(key, DIM, OPTIONS);
  fresh.rebuild(db);
  const next = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(next.load(db), { source: 'stored', caughtUp: 0 });
  assert.deepEqual(searchAll(next, queries), searchAll(fresh, queries));
  db.close();
});

test('deleted windows become tombstones, never come back in results, and many of them trigger compaction', () => {
  const { db, modelId, ids } = library();
  const key = { modelId, modality: 'audio' } as const;
  const index = new VectorIndex(key, DIM, OPTIONS);
  index.load(db);
  const query = new Float32Array(DIM).fill(1);

  const file0 = findFilesByFingerprint(db, 'fp-0')[0]!;
  deleteFile(db, file0.id); // cascade: 10 windows, 10 embeddings, logged by the trigger
  assert.equal(index.sync(db), 10);
  assert.equal(index.size, 390);
  assert.equal(index.deletedCount, 10);
  assert.equal(index.needsCompaction, false);
  const gone = new Set(ids.slice(0, 10));
  const everything = index.search(query, 400);
  assert.equal(everything.ids.length, 390);
  assert.ok(everything.ids.every((id) => !gone.has(id)));

  // Tombstones survive persist + load.
  index.persist(db);
  const reloaded = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(reloaded.load(db), { source: 'stored', caughtUp: 0 });
  assert.equal(reloaded.deletedCount, 10);
  assert.deepEqual(reloaded.search(query, 400), everything);

  for (let f = 1; f <= 10; f++) deleteFile(db, findFilesByFingerprint(db, `fp-${f}`)[0]!.id);
  reloaded.sync(db);
  assert.equal(reloaded.deletedCount, 110);
  assert.equal(reloaded.needsCompaction, true);
  reloaded.compact(db);
  assert.equal(reloaded.deletedCount, 0);
  assert.equal(reloaded.size, countEmbeddings(db, modelId, 'audio'));
  assert.equal(reloaded.size, 290);

  // A graph stored with too many tombstones is compacted on load.
  for (let f = 11; f <= 25; f++) deleteFile(db, findFilesByFingerprint(db, `fp-${f}`)[0]!.id);
  assert.deepEqual(new VectorIndex(key, DIM, OPTIONS).load(db), { source: 'rebuilt', reason: 'compacted' });
  assert.equal(readIndexMeta(db, key)!.tombstones.length, 0);
  db.close();
});

test('a stale graph (embeddings added or changed after persist) is caught up on load', () => {
  const { db, modelId, runId, next, queries } = library(20, 10);
  const key = { modelId, modality: 'audio' } as const;
  new VectorIndex(key, DIM, OPTIONS).load(db);
  const seq = readIndexMeta(db, key)!.seq;

  const added = seedLibrary(db, runId, next, DIM, 5, 10, 100);
  const changed = next(1);
  putEmbeddings(db, runId, [{ windowId: added[0]! - 1, modality: 'audio', vector: changed }]);
  const stale = new VectorIndex(key, DIM, OPTIONS);
  assert.deepEqual(stale.load(db), { source: 'stored', caughtUp: 51 });
  assert.equal(stale.size, 250);
  assert.equal(stale.search(changed, 1).ids[0], added[0]! - 1);
  assert.ok(readIndexMeta(db, key)!.seq > seq, 'the caught-up graph was stored');
  assert.equal(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM vector_changes').get()!.n, 0, 'covered log entries are trimmed');

  // Caught up or rebuilt from scratch, the graph holds the same vectors: self-queries agree.
  const fresh = new VectorIndex(key, DIM, OPTIONS);
  fresh.rebuild(db);
  const a = searchAll(stale, queries, 1).map((r) => r.ids[0]);
  const b = searchAll(fresh, queries, 1).map((r) => r.ids[0]);
  assert.deepEqual(a, b);
  db.close();
});

test('a second process\'s newer generation is noticed by sync, and adds made directly are not applied twice', () => {
  const { db, modelId, runId, next } = library(10, 10);
  const key = { modelId, modality: 'audio' } as const;
  const mine = new VectorIndex(key, DIM, OPTIONS);
  mine.load(db);
  const theirs = new VectorIndex(key, DIM, OPTIONS);
  theirs.load(db);

  const ids = seedLibrary(db, runId, next, DIM, 2, 10, 50);
  theirs.sync(db);
  theirs.persist(db); // trims the log entries `mine` has not seen
  assert.equal(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM vector_changes').get()!.n, 0);
  mine.sync(db);
  assert.equal(mine.size, 120);
  assert.equal(mine.generation, theirs.generation);

  const more = seedLibrary(db, runId, next, DIM, 1, 10, 60);
  const vecs = new Float32Array(more.length * DIM);
  more.forEach((id, i) => vecs.set(getEmbedding(db, id, modelId, 'audio')!, i * DIM));
  mine.add(more, vecs); // the indexer may add what it just stored; the log then skips those windows
  assert.equal(mine.sync(db), 0);
  assert.equal(mine.size, 130);
  assert.ok(ids.every((id) => mine.has(id)));
  db.close();
});

test('temporary graph files of dead processes are swept on load, those of live ones kept', () => {
  const { db, modelId } = library(2, 5);
  const dir = path.dirname(db.name);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale = path.join(dir, `.hnsw-${dead}-deadbeef.tmp`);
  const live = path.join(dir, `.hnsw-${process.ppid}-0badf00d.tmp`);
  writeFileSync(stale, 'x');
  writeFileSync(live, 'x');
  new VectorIndex({ modelId, modality: 'audio' }, DIM, OPTIONS).load(db);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [path.basename(live)]);
  db.close();
});
