// Store benchmark: N structured ("latent32", like real embeddings; i.i.d. noise would be HNSW's worst
// case and nothing like CAV-MAE output) 768-d vectors through the real db/ code: writing them as
// float16 rows, HNSW build (= rebuild from the embeddings table), persisting the graph as SQLite chunks,
// loading it back, search recall/latency, and what float16 costs against float32 in size and accuracy.
// N from BENCH_STORE_N (default 100,000; the graph build then takes minutes).
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../db/connection.ts';
import type { Database } from '../db/connection.ts';
import { readAllEmbeddings } from '../db/embeddings.ts';
import { addFile } from '../db/files.ts';
import { VectorIndex } from '../db/vector-index.ts';
import { decodeVector, encodeVector } from '../db/vector-codec.ts';
import { replaceFileWindows } from '../db/windows.ts';
import { latentVectors, row, tempDir, testModel } from '../tests/db/helpers.ts';

const D = 768;
const PER_FILE = 100;
const QUERIES = 100;
const K = 10;

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

function dbBytes(db: Database): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(db.name).size;
}

/** Exact top-k by inner product over rows of `vectors`. */
function bruteTopK(vectors: Float32Array, n: number, q: Float32Array, k: number): number[] {
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * D;
    for (let j = 0; j < D; j++) s += vectors[o + j]! * q[j]!;
    scores[i] = s;
  }
  return Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, k);
}

/** Size of just the embeddings table per vector, for one encoding, on a separate database. */
function embeddingBytesPerVector(dir: string, name: string, vectors: Float32Array, n: number, encode: (v: Float32Array) => Buffer): number {
  const db = openDatabase(path.join(dir, `${name}.db`));
  const { run } = testModel(db, D);
  const empty = dbBytes(db);
  db.transaction(() => {
    const file = addFile(db, { path: `/${name}`, size: 1, mtimeMs: 1 });
    const ids = replaceFileWindows(db, file.id, null, Array.from({ length: n }, (_, i) => ({ startS: i, endS: i + 1, hasAudio: true, hasVisual: false })));
    const insert = db.prepare("INSERT INTO embeddings (window_id, model_id, modality, run_id, vector) VALUES (?, ?, 'audio', ?, ?)");
    ids.forEach((id, i) => insert.run(id, run.modelId, run.id, encode(row(vectors, D, i))));
  })();
  const withWindows = dbBytes(db);
  db.exec("DELETE FROM embeddings; VACUUM");
  const windowsOnly = dbBytes(db);
  db.close();
  return (withWindows - empty - (windowsOnly - empty)) / n;
}

export async function benchStore(): Promise<Record<string, unknown>> {
  const n = Number(process.env.BENCH_STORE_N ?? 100_000);
  const dir = tempDir('foley-bench-store-');
  try {
    const next = latentVectors(D, 42);
    const t0 = performance.now();
    const vectors = next(n);
    const queries = next(QUERIES);
    console.log(`generated ${n} latent32 vectors (D=${D}) in ${seconds(t0).toFixed(1)} s`);

    // float16 vs float32: accuracy on these vectors, size on disk.
    let minCos = 1;
    let maxSelfErr = 0;
    let maxScoreErr = 0;
    const m = Math.min(n, 20_000);
    const decoded = new Float32Array(m * D);
    for (let i = 0; i < m; i++) {
      const v = row(vectors, D, i);
      const back = decodeVector(encodeVector(v), decoded, i * D).subarray(i * D, (i + 1) * D);
      let dot = 0;
      let norm = 0;
      for (let j = 0; j < D; j++) {
        dot += v[j]! * back[j]!;
        norm += back[j]! * back[j]!;
      }
      minCos = Math.min(minCos, dot / Math.sqrt(norm));
      maxSelfErr = Math.max(maxSelfErr, Math.abs(1 - dot));
    }
    let sameTop10 = 0;
    for (let q = 0; q < 20; q++) {
      const query = row(queries, D, q);
      const exact = bruteTopK(vectors, m, query, K);
      const half = bruteTopK(decoded, m, query, K);
      if (exact.join() === half.join()) sameTop10++;
      for (let i = 0; i < m; i++) {
        let a = 0;
        let b = 0;
        for (let j = 0; j < D; j++) {
          a += vectors[i * D + j]! * query[j]!;
          b += decoded[i * D + j]! * query[j]!;
        }
        maxScoreErr = Math.max(maxScoreErr, Math.abs(a - b));
      }
    }
    const sizeN = Math.min(n, 20_000);
    const f16Bytes = embeddingBytesPerVector(dir, 'f16', vectors, sizeN, encodeVector);
    const f32Bytes = embeddingBytesPerVector(dir, 'f32', vectors, sizeN, (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength));

    // The real store: one transaction per "file" of 100 windows.
    const db = openDatabase(path.join(dir, 'foley.db'));
    const { model, run } = testModel(db, D);
    let t = performance.now();
    for (let f = 0; f * PER_FILE < n; f++) {
      const file = addFile(db, { path: `/media/${f}.mp4`, size: f, mtimeMs: f });
      const count = Math.min(PER_FILE, n - f * PER_FILE);
      replaceFileWindows(
        db,
        file.id,
        run.id,
        Array.from({ length: count }, (_, w) => ({ startS: w * 10, endS: w * 10 + 10, hasAudio: true, hasVisual: false, embeddings: { audio: row(vectors, D, f * PER_FILE + w) } })),
      );
    }
    const writeS = seconds(t);
    const rowsBytes = dbBytes(db);

    t = performance.now();
    const all = readAllEmbeddings(db, model.id, 'audio');
    const readAllS = seconds(t);

    const key = { modelId: model.id, modality: 'audio' } as const;
    const index = new VectorIndex(key, D);
    t = performance.now();
    index.rebuild(db);
    const rebuildS = seconds(t);
    t = performance.now();
    index.persist(db);
    const persistS = seconds(t);
    const totalBytes = dbBytes(db);
    const graphBytes = db.prepare<[], { b: number }>('SELECT byte_length AS b FROM vector_indexes').get()!.b;

    const loaded = new VectorIndex(key, D);
    t = performance.now();
    const outcome = loaded.load(db);
    const loadS = seconds(t);
    if (outcome.source !== 'stored') throw new Error(`expected the stored graph, got ${JSON.stringify(outcome)}`);

    const latencies: number[] = [];
    let hits = 0;
    for (let q = 0; q < QUERIES; q++) {
      const query = row(queries, D, q);
      const ts = performance.now();
      const r = loaded.search(query, K);
      latencies.push(performance.now() - ts);
      const truth = new Set(bruteTopK(all.vectors, n, query, K).map((i) => all.ids[i]!));
      hits += r.ids.filter((id) => truth.has(id)).length;
    }
    latencies.sort((a, b) => a - b);
    db.close();

    const result = {
      n,
      dim: D,
      data: 'latent32: normalize(P·z + 0.05·noise), z ~ N(0, I32), fixed random P (768×32)',
      writeVectorsPerS: Math.round(n / writeS),
      readAllS: +readAllS.toFixed(2),
      hnswInsertPerS: Math.round(n / (rebuildS - readAllS)),
      rebuildS: +rebuildS.toFixed(2),
      persistS: +persistS.toFixed(2),
      loadS: +loadS.toFixed(2),
      graphMiB: +(graphBytes / 2 ** 20).toFixed(1),
      recallAt10ef128: hits / (QUERIES * K),
      searchMedianMs: +latencies[Math.floor(QUERIES / 2)]!.toFixed(2),
      searchP95Ms: +latencies[Math.floor(QUERIES * 0.95)]!.toFixed(2),
      embeddingBytesPerVector: { f16: Math.round(f16Bytes), f32: Math.round(f32Bytes), measuredOn: sizeN },
      dbBytesPerVector: { rowsOnly: Math.round(rowsBytes / n), withGraph: Math.round(totalBytes / n) },
      f16Error: { minCosine: minCos, maxSelfScoreError: maxSelfErr, maxScoreError: maxScoreErr, identicalTop10: `${sameTop10}/20`, measuredOn: m },
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    console.table({
      'write (vectors/s, f16, 1 tx per 100)': result.writeVectorsPerS,
      'HNSW insert (vectors/s)': result.hnswInsertPerS,
      'rebuild from table (s)': result.rebuildS,
      'persist to chunks (s)': result.persistS,
      'load from chunks (s)': result.loadS,
      'graph (MiB)': result.graphMiB,
      'recall@10, ef 128': result.recallAt10ef128,
      'search median / p95 (ms)': `${result.searchMedianMs} / ${result.searchP95Ms}`,
      'embedding bytes/vector f16 / f32': `${result.embeddingBytesPerVector.f16} / ${result.embeddingBytesPerVector.f32}`,
      'DB bytes/vector rows / +graph': `${result.dbBytesPerVector.rowsOnly} / ${result.dbBytesPerVector.withGraph}`,
      'f16 min cosine / max score err': `${minCos.toFixed(8)} / ${maxScoreErr.toExponential(2)}`,
      'f16 identical exact top-10': result.f16Error.identicalTop10,
      'peak RSS (MiB)': result.peakRssMiB,
    });
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main === true) await benchStore();
