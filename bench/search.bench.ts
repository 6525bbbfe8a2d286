// Search benchmark: N structured ("latent32": normalize(P·z + 0.05·noise), like real embeddings) 768-d
// vectors stored through the real db/ code, then the search service after the query embedding
// (searchEmbeddings: engine, exact re-ranking, window lookup, merging, paging) with exact search and
// with HNSW: latency p50/p99, recall@10 against exact search for several ef, index load time and
// memory, and the crossover N where HNSW+re-rank beats the exact scan.
// Sizes from BENCH_SEARCH_SIZES (default "10000,100000"; 1M takes 30–60 min to build the graph).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../db/connection.ts';
import { VectorIndex } from '../db/vector-index.ts';
import { engineFor, ModalityEngine } from '../core/search/engine.ts';
import { searchEmbeddings } from '../core/search/search.ts';
import { scoreAll, topK } from '../core/search/vectors.ts';
import { latentVectors, seedLibrary, tempDir, testModel } from '../tests/db/helpers.ts';
import { pct } from './stats.ts';

const D = 768;
const PER_FILE = 100;
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 100);
const K = 10;
const EFS = [64, 128, 200, 256];

function ms(t0: number): number {
  return performance.now() - t0;
}


function recall(got: readonly number[], truth: readonly number[]): number {
  const t = new Set(truth);
  return got.filter((id) => t.has(id)).length / truth.length;
}

/** Resident memory (the HNSW graph lives in native memory, exact vectors in ArrayBuffers). Run with --expose-gc. */
function mem(): number {
  global.gc?.();
  return process.memoryUsage().rss;
}

function mib(bytes: number): number {
  return Number((bytes / 2 ** 20).toFixed(1));
}

async function benchSize(n: number, dir: string): Promise<Record<string, unknown>> {
  const file = path.join(dir, `search-${n}.db`);
  const db = openDatabase(file);
  const { model, run } = testModel(db, D);
  const gen = latentVectors(D, 7);
  let t = performance.now();
  db.transaction(() => {
    for (let f = 0; f < n / PER_FILE; f += 100) seedLibrary(db, run.id, gen, D, Math.min(100, n / PER_FILE - f), PER_FILE, f);
  })();
  const storeS = ms(t) / 1000;
  const queries = gen(QUERIES);
  const q = (i: number): Float32Array => queries.subarray(i * D, (i + 1) * D);
  const request = (method: 'exact' | 'hnsw', ef?: number) => ({ query: { kind: 'embedding' as const, audio: [] }, in: 'audio' as const, method, top: K, ...(ef !== undefined ? { ef } : {}) });

  // Exact: load all vectors, then end-to-end queries.
  let m0 = mem();
  t = performance.now();
  const exact = engineFor(db, model.id, 'audio', D);
  exact.refresh(db, { method: 'exact' });
  const exactLoadMs = ms(t);
  const exactMem = mem() - m0;
  const truth: number[][] = [];
  const exactLat: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    truth.push(exact.search(db, q(i), K).ids);
    t = performance.now();
    searchEmbeddings(db, model, { audio: q(i), cached: false }, request('exact'));
    exactLat.push(ms(t));
  }

  // HNSW: build (what indexing pays), persist, then a fresh connection loads it as search would.
  t = performance.now();
  const built = new VectorIndex({ modelId: model.id, modality: 'audio' }, D);
  built.rebuild(db);
  const buildS = ms(t) / 1000;
  t = performance.now();
  built.persist(db);
  const persistS = ms(t) / 1000;
  const db2 = openDatabase(file);
  m0 = mem();
  t = performance.now();
  const hnsw = new ModalityEngine(model.id, 'audio', D);
  hnsw.refresh(db2, { method: 'hnsw' });
  const hnswLoadMs = ms(t);
  const hnswMem = mem() - m0;
  const byEf: Record<string, unknown> = {};
  for (const ef of EFS) {
    const lat: number[] = [];
    let rEngine = 0;
    let rService = 0;
    for (let i = 0; i < QUERIES; i++) {
      rEngine += recall(hnsw.search(db2, q(i), K, { ef }).ids, truth[i]!);
      t = performance.now();
      const r = searchEmbeddings(db2, model, { audio: q(i), cached: false }, { ...request('hnsw', ef), merge: false });
      lat.push(ms(t));
      rService += recall(r.results.map((x) => x.window.id), truth[i]!);
    }
    byEf[`ef${ef}`] = { p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), recallAt10_k10: rEngine / QUERIES, recallAt10_service: rService / QUERIES };
  }
  db2.close();
  db.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  return {
    n,
    storeS: Number(storeS.toFixed(1)),
    exact: { loadMs: Number(exactLoadMs.toFixed(1)), memoryMiB: mib(exactMem), p50Ms: pct(exactLat, 0.5), p99Ms: pct(exactLat, 0.99) },
    hnsw: { buildS: Number(buildS.toFixed(1)), buildPerS: Math.round(n / buildS), persistS: Number(persistS.toFixed(1)), loadMs: Number(hnswLoadMs.toFixed(1)), memoryMiB: mib(hnswMem), ...byEf },
  };
}

/** Plain exact scan + top-10 (no SQL) by collection size: where it stops being a few ms. */
function scanCurve(): Record<string, number> {
  const gen = latentVectors(D, 9);
  const maxN = 100_000;
  const rows = gen(maxN);
  const queries = gen(20);
  const out: Record<string, number> = {};
  for (const n of [1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]) {
    const part = rows.subarray(0, n * D);
    const scores = new Float32Array(n);
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      topK(scoreAll(part, queries.subarray(i * D, (i + 1) * D), scores), 100);
      lat.push(ms(t));
    }
    out[`n${n}_p50Ms`] = pct(lat, 0.5);
  }
  return out;
}

export async function benchSearch(): Promise<Record<string, unknown>> {
  const sizes = (process.env.BENCH_SEARCH_SIZES ?? '10000,100000').split(',').map(Number);
  const dir = tempDir('foley-bench-search-');
  const result: Record<string, unknown> = { dim: D, queries: QUERIES, k: K };
  try {
    for (const n of sizes) {
      const r = await benchSize(n, dir);
      console.log(JSON.stringify(r));
      result[`n${n}`] = r;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  result.scan = scanCurve();
  console.log(JSON.stringify(result.scan));
  return result;
}

if (import.meta.filename === process.argv[1]) {
  const r = await benchSearch();
  console.log(JSON.stringify(r, null, 2));
}
