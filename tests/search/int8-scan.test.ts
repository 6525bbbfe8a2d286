// The int8 scan (native-models/int8-scan/, core/search/projected-scan.ts): its thread on its own (add, replace, remove, compaction, errors), and
// behind the engine — the exact top-10 after the re-rank, filters, catching up with added, replaced and
// deleted windows, the stored graph its stored codes replace, a later process starting from those codes,
// and the fall-back to a graph when the projection keeps too little. Real SQLite files and real ONNX
// Runtime sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ModalityEngine } from '../../core/search/engine.ts';
import { Int8Scanner } from '../../native-models/int8-scan/scanner.ts';
import { ProjectedScan } from '../../core/search/projected-scan.ts';
import { normaliseInPlace } from '../../core/search/vectors.ts';
import { openDatabase } from '../../db/connection.ts';
import { putEmbeddings } from '../../db/embeddings.ts';
import { fitProjection } from '../../db/projection.ts';
import { readIndexMeta } from '../../db/graph-chunks.ts';
import { latentVectors, rng, row, seedLibrary, tempDatabase, testModel } from '../db/helpers.ts';
import { addFile, deleteFile } from '../../db/files.ts';
import { replaceFileWindows } from '../../db/windows.ts';

const DIM = 192; // > PROJECT_DIMS (128): the scan projects
/** Scan from the first vector (the defaults would search these small collections exactly). */
const SCAN = { projectFrom: 1, exactMax: 0 } as const;

function chunkCount(db: ReturnType<typeof tempDatabase>['db'], modelId: number): number {
  return db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM vector_index_chunks WHERE model_id = ? AND modality = 'audio'").get(modelId)!.n;
}

/** The pair's stored structure: m 0 for a scan's codes, the rows it holds, log rows left. */
function scanStore(db: ReturnType<typeof tempDatabase>['db'], modelId: number): { m: number; vectorCount: number; logged: number } {
  const meta = readIndexMeta(db, { modelId, modality: 'audio' })!;
  assert.ok(chunkCount(db, modelId) > 0 && meta.chunkCount === chunkCount(db, modelId));
  const logged = db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM vector_changes WHERE model_id = ? AND modality = 'audio'").get(modelId)!.n;
  return { m: meta.m, vectorCount: meta.vectorCount, logged };
}

test('Int8Scanner: the best rows by projected inner product; replace, remove and compaction keep labels right', () => {
  const gen = latentVectors(DIM, 7, 24);
  const rows = normaliseInPlace(gen(600), DIM);
  const p = fitProjection(rows, DIM, 128);
  const scanner = new Int8Scanner();
  try {
    assert.throws(() => scanner.search(rows.subarray(0, DIM), 5), /int8 scan search: the scan was not initialised/);
    scanner.init(p.basis, DIM, 128, new Float32Array(128).fill(1 / 127 / 4), 1);
    scanner.add(Float64Array.from({ length: 600 }, (_, i) => 1000 + i), rows.slice());
    assert.equal(scanner.count, 600);
    // Each row finds itself first (its own inner product is the largest, 1).
    for (const i of [0, 17, 599]) assert.equal(scanner.search(rows.subarray(i * DIM, (i + 1) * DIM), 3).labels[0], 1000 + i);
    // Replacing a label's row moves it: label 1000 now holds row 5's vector, so both rank first for it.
    scanner.add(Float64Array.of(1000), rows.slice(5 * DIM, 6 * DIM));
    assert.equal(scanner.count, 600);
    assert.deepEqual([...scanner.search(rows.subarray(5 * DIM, 6 * DIM), 2).labels].sort(), [1000, 1005]);
    // Removing: gone from results, counted once, unknown labels ignored; past 20 % the rows are squeezed.
    assert.equal(scanner.remove(Float64Array.of(1005, 1005, 42)), 1);
    assert.deepEqual(Array.from(scanner.search(rows.subarray(5 * DIM, 6 * DIM), 1).labels), [1000]);
    const gone = Float64Array.from({ length: 200 }, (_, i) => 1100 + i);
    assert.equal(scanner.remove(gone), 200);
    assert.equal(scanner.count, 399);
    const all = scanner.search(rows.subarray(0, DIM), 1000).labels;
    assert.equal(all.length, 399);
    assert.ok(all.every((l) => l !== 1005 && (l < 1100 || l >= 1300)));
    for (const i of [17, 300, 599]) assert.equal(scanner.search(rows.subarray(i * DIM, (i + 1) * DIM), 1).labels[0], 1000 + i);
  } finally {
    scanner.close();
  }
  assert.throws(() => scanner.search(rows.subarray(0, DIM), 1), /closed/);
});

test('the scan behind the engine: the exact top-10 after the re-rank, filters fill the page, changes are caught up', () => {
  const { db, dir, file } = tempDatabase();
  try {
    const { model, run } = testModel(db, DIM);
    const gen = latentVectors(DIM, 5, 24);
    seedLibrary(db, run.id, gen, DIM, 20, 100); // 2,000 windows
    // A stored projected graph first: the scan's stored codes replace it (chunks and log).
    const graph = new ModalityEngine(model.id, 'audio', DIM);
    graph.refresh(db, { method: 'hnsw', projectFrom: 1 });
    assert.ok(chunkCount(db, model.id) > 0);
    const exact = new ModalityEngine(model.id, 'audio', DIM);
    exact.refresh(db, { method: 'exact' });
    const scan = new ModalityEngine(model.id, 'audio', DIM);
    scan.refresh(db, SCAN);
    assert.deepEqual([scan.method, scan.size], ['scan', 2000]);
    assert.deepEqual(scanStore(db, model.id), { m: 0, vectorCount: 2000, logged: 0 });
    const queries = gen(20);
    const same = (): void => {
      for (let i = 0; i < 20; i++) {
        const q = queries.subarray(i * DIM, (i + 1) * DIM);
        const a = exact.search(db, q, 10);
        const b = scan.search(db, q, 10);
        assert.deepEqual(b.ids, a.ids);
        b.scores.forEach((s, j) => assert.ok(Math.abs(s - a.scores[j]!) < 1e-6));
        const accept = (id: number): boolean => id % 97 === 3;
        assert.deepEqual(scan.search(db, q, 10, { accept }).ids, exact.search(db, q, 10, { accept }).ids);
      }
    };
    same();
    const key = { modelId: model.id, modality: 'audio' as const };
    const direct = new ProjectedScan(key, DIM, 128);
    assert.deepEqual(direct.load(db), { loaded: true, count: 2000, from: 'stored' });

    // Added windows (one is a query's exact copy), a deleted file and replaced vectors, all before the next query.
    const target = Float32Array.from(queries.subarray(0, DIM));
    const added = seedLibrary(db, run.id, () => target, DIM, 1, 1, 1000);
    deleteFile(db, 3);
    // Windows 501–600 get other vectors in place (the log says "changed", not "insert"): 501–519 become
    // queries 1–19 exactly, so a scan still holding their old vectors would not propose them.
    const r = rng(9);
    const vector = (i: number): Float32Array => (i < 19 ? queries.slice((i + 1) * DIM, (i + 2) * DIM) : Float32Array.from({ length: DIM }, () => r.normal()));
    putEmbeddings(db, run.id, Array.from({ length: 100 }, (_, i) => ({ windowId: 501 + i, modality: 'audio' as const, vector: vector(i) })));
    for (const e of [exact, scan]) e.refresh(db, e === exact ? { method: 'exact' } : SCAN);
    assert.equal(scan.method, 'scan');
    assert.equal(scan.size, exact.size);
    assert.deepEqual(scan.search(db, target, 1).ids, added);
    same();
    for (let i = 1; i < 20; i++) assert.equal(scan.search(db, queries.subarray(i * DIM, (i + 1) * DIM), 1).ids[0], 500 + i);
    // The scan itself holds exactly the stored windows: the deleted file's are gone, not just filtered by the re-rank.
    assert.equal(direct.sync(db), true);
    assert.equal(direct.size, exact.size);
    const proposed = new Set(direct.search(target, 5000));
    assert.equal(proposed.size, exact.size);
    for (let w = 201; w <= 300; w++) assert.ok(!proposed.has(w), `window ${w} of the deleted file is still proposed`);
    direct.close();

    // Another connection (another process) sees the same windows through its own scan.
    const other = openDatabase(file);
    try {
      const e2 = new ModalityEngine(model.id, 'audio', DIM);
      e2.refresh(other, SCAN);
      assert.equal(e2.method, 'scan');
      assert.deepEqual(e2.search(other, target, 1).ids, added);
    } finally {
      other.close();
    }
    // A graph stored for the pair again (a process searching it by HNSW) starts a generation: the scan
    // sees it and builds again (a graph's chunks are not codes), still right, and stores its codes.
    new ModalityEngine(model.id, 'audio', DIM).refresh(db, { method: 'hnsw', projectFrom: 1 });
    assert.ok(chunkCount(db, model.id) > 0);
    seedLibrary(db, run.id, gen, DIM, 1, 10, 2000);
    scan.refresh(db, SCAN);
    exact.refresh(db, { method: 'exact' });
    assert.equal(scan.size, exact.size);
    same();
    assert.equal(scanStore(db, model.id).m, 0);
    assert.equal(scan.size, 1911);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('calibrated when built, the re-rank reads only the candidates that can still enter the top 10 from the first search, with the same results', () => {
  const { db, dir } = tempDatabase();
  try {
    const { model, run } = testModel(db, DIM);
    const gen = latentVectors(DIM, 5, 24);
    seedLibrary(db, run.id, gen, DIM, 20, 100); // 2,000 windows
    const exact = new ModalityEngine(model.id, 'audio', DIM);
    exact.refresh(db, { method: 'exact' });
    const scan = new ModalityEngine(model.id, 'audio', DIM);
    scan.refresh(db, SCAN);
    const queries = normaliseInPlace(gen(50), DIM);
    const q = (i: number): Float32Array => queries.subarray(i * DIM, (i + 1) * DIM);
    // The scan's scores approximate cosines (the projection keeps nearly all of this data's energy).
    const direct = new ProjectedScan({ modelId: model.id, modality: 'audio' }, DIM, 128);
    direct.load(db);
    const hits = direct.searchScored(q(0), 5);
    const truth = exact.scoreIds(db, q(0), hits.labels);
    hits.labels.forEach((_, i) => assert.ok(Math.abs(hits.approx[i]! - truth[i]!) < 0.05, `approx ${hits.approx[i]} exact ${truth[i]}`));
    direct.close();
    const reads: number[] = [];
    for (let i = 0; i < 50; i++) {
      const a = exact.search(db, q(i), 10);
      const b = scan.search(db, q(i), 10);
      reads.push(scan.lastReads);
      assert.deepEqual(b.ids, a.ids);
      b.scores.forEach((s, j) => assert.ok(Math.abs(s - a.scores[j]!) < 1e-6));
    }
    // The bound was learnt when the codes were built (own and paired-modality queries): no search reads all 200.
    assert.ok(Math.max(...reads) < 200, `reads: ${reads.join(' ')}`);
    assert.ok(reads.reduce((x, y) => x + y, 0) / reads.length < 100, `reads: ${reads.join(' ')}`);
    // A later process gets the bound with the stored codes, and reads as little from its first search.
    const later = new ProjectedScan({ modelId: model.id, modality: 'audio' }, DIM, 128);
    try {
      assert.deepEqual(later.load(db), { loaded: true, count: 2000, from: 'stored' });
      const learnt = later.bound.learnt!;
      assert.ok(learnt > 0 && learnt < 0.05, `learnt ${learnt}`);
    } finally {
      later.close();
    }
    const fresh = new ModalityEngine(model.id, 'audio', DIM);
    fresh.refresh(db, SCAN);
    assert.deepEqual(fresh.search(db, q(0), 10).ids, exact.search(db, q(0), 10).ids);
    assert.ok(fresh.lastReads < 200, `first search of a later process read ${fresh.lastReads}`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bound is calibrated with the paired modality too, and cross-modal searches stay exact', () => {
  const seed = (withVisual: boolean): { db: ReturnType<typeof tempDatabase>['db']; dir: string; modelId: number; visual: Float32Array } => {
    const { db, dir } = tempDatabase();
    const { model, run } = testModel(db, DIM);
    const audio = latentVectors(DIM, 5, 24)(2000);
    // The other modality: another latent space, so its vectors ask the audio codes something new.
    const visual = latentVectors(DIM, 8, 24)(2000);
    for (let f = 0; f < 20; f++) {
      const file = addFile(db, { path: `/media/clip-${f}.mp4`, size: 1000 + f, mtimeMs: 1_700_000_000_000 + f, fingerprint: `fp-${f}` });
      const windows = Array.from({ length: 100 }, (_, w) => ({
        startS: w * 10,
        endS: w * 10 + 10,
        hasAudio: true,
        hasVisual: withVisual,
        embeddings: { audio: row(audio, DIM, f * 100 + w), ...(withVisual ? { visual: row(visual, DIM, f * 100 + w) } : {}) },
      }));
      replaceFileWindows(db, file.id, run.id, windows);
    }
    return { db, dir, modelId: model.id, visual: normaliseInPlace(visual, DIM) };
  };
  const observed: number[] = [];
  for (const withVisual of [false, true]) {
    const { db, dir, modelId, visual } = seed(withVisual);
    try {
      const scan = new ProjectedScan({ modelId, modality: 'audio' }, DIM, 128);
      assert.deepEqual(scan.load(db), { loaded: true, count: 2000, from: 'built' });
      observed.push(scan.bound.observed);
      scan.close();
      if (!withVisual) continue;
      const exact = new ModalityEngine(modelId, 'audio', DIM);
      exact.refresh(db, { method: 'exact' });
      const engine = new ModalityEngine(modelId, 'audio', DIM);
      engine.refresh(db, SCAN);
      for (const i of [3, 500, 1999]) {
        const q = visual.subarray(i * DIM, (i + 1) * DIM);
        assert.deepEqual(engine.search(db, q, 10).ids, exact.search(db, q, 10).ids);
      }
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // 16 own queries × 200 candidates; with the paired modality 16 more.
  assert.deepEqual(observed, [3200, 6400]);
});

test('stored codes: a later process starts from them and catches up; many changes store them again; a corrupt or outgrown store is built afresh', () => {
  const { db, dir, file } = tempDatabase();
  const other = openDatabase(file);
  const scans: ProjectedScan[] = [];
  const scanOf = (): ProjectedScan => {
    const s = new ProjectedScan({ modelId: 1, modality: 'audio' }, DIM, 128);
    scans.push(s);
    return s;
  };
  try {
    const { model, run } = testModel(db, DIM);
    assert.equal(model.id, 1);
    const gen = latentVectors(DIM, 5, 24);
    seedLibrary(db, run.id, gen, DIM, 10, 100); // 1,000 windows
    const first = scanOf();
    assert.deepEqual(first.load(db), { loaded: true, count: 1000, from: 'built' });
    assert.deepEqual(scanStore(db, model.id), { m: 0, vectorCount: 1000, logged: 0 });
    // A window added after the store; then another process starts from the codes and catches it up.
    const queries = normaliseInPlace(gen(10), DIM);
    const target = queries.slice(0, DIM);
    const added = seedLibrary(db, run.id, () => target, DIM, 1, 1, 1000);
    const second = scanOf();
    assert.deepEqual(second.load(other), { loaded: true, count: 1001, from: 'stored' });
    assert.deepEqual(second.search(target, 1), added);
    assert.equal(first.sync(db), true);
    for (let i = 0; i < 10; i++) {
      const q = queries.subarray(i * DIM, (i + 1) * DIM);
      assert.deepEqual(second.search(q, 20), first.search(q, 20));
    }
    // A corrupt chunk: built afresh (and stored again).
    db.prepare("UPDATE vector_index_chunks SET bytes = zeroblob(length(bytes)) WHERE model_id = 1 AND modality = 'audio' AND idx = 0").run();
    const third = scanOf();
    assert.deepEqual(third.load(db), { loaded: true, count: 1001, from: 'built' });
    assert.deepEqual(scanStore(db, model.id), { m: 0, vectorCount: 1001, logged: 0 });
    // 5,100 more windows: the catch-up stores the codes again (the log goes with it). The collection has
    // outgrown their projection (fitted at 1,001), so a new process fits and codes it again (and stores
    // that); the other holders then load those codes.
    seedLibrary(db, run.id, gen, DIM, 51, 100, 2000);
    assert.equal(third.sync(db), true);
    assert.deepEqual(scanStore(db, model.id), { m: 0, vectorCount: 6101, logged: 0 });
    assert.deepEqual(scanOf().load(other), { loaded: true, count: 6101, from: 'built' });
    assert.equal(second.sync(other), true);
    assert.equal(second.size, 6101);
    assert.deepEqual(second.search(target, 1), added);
    assert.deepEqual(scanOf().load(other), { loaded: true, count: 6101, from: 'stored' });
  } finally {
    for (const s of scans) s.close();
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a collection whose projection keeps too little energy is searched by a full-dim graph instead', () => {
  const { db, dir } = tempDatabase();
  try {
    const { model, run } = testModel(db, DIM);
    const r = rng(3);
    // Isotropic noise: 128 of 192 dims keep about two thirds of the energy, under the 0.9 the scan needs.
    seedLibrary(db, run.id, (n) => Float32Array.from({ length: n * DIM }, () => r.normal()), DIM, 6, 100);
    const direct = new ProjectedScan({ modelId: model.id, modality: 'audio' }, DIM, 128);
    const load = direct.load(db);
    assert.equal(load.loaded, false);
    assert.match(load.loaded ? '' : load.why, /keeps 0\.[0-8]\d* of the energy/);
    const e = new ModalityEngine(model.id, 'audio', DIM);
    e.refresh(db, SCAN);
    assert.equal(e.method, 'hnsw');
    const exact = new ModalityEngine(model.id, 'audio', DIM);
    exact.refresh(db, { method: 'exact' });
    const q = Float32Array.from({ length: DIM }, () => r.normal());
    assert.deepEqual(e.search(db, q, 5).ids, exact.search(db, q, 5).ids);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
