// Search at scale (issue 14 part 4): candidate designs for 1M windows. Recall@10 is against the exact fp32
// top 10 over the full 768-d rows; latency is after the query embedding (projecting the query, the graph
// search and the exact re-rank of its candidates).
//   exact     — fp32 dot products over one Float32Array (core/search/vectors.ts; also the ground truth),
//               and an int8 scan (per-row scale).
//   pcaD      — a d-dim projection (db/projection.ts: top eigenvectors of the uncentred second-moment matrix
//               of a 10k sample, so inner products are preserved) → hnswlib graph (M, efConstruction) on the
//               projected rows, searched at ef for C candidates, re-ranked exactly on the full rows from one of
//               the stores: fp32 / float16 / int8 in memory, or SQLite (the product: embeddingsOfWindows).
//   pcaD-scan — the same projection scanned exactly (no graph), then the top C re-ranked.
//   pcaD-int8scan — the product from 50k vectors (core/search/projected-scan.ts): the projection's int8 codes
//               scanned by ONNX Runtime's MatMulInteger on the scan's thread, the top C re-ranked exactly.
//   hnsw768   — the old default: 768-d graph M 16 / efC 200 (BENCH_SCALE_BASELINE=1; 69 min at 1M).
// Build rate counts what a rebuild pays: fitting the projection, projecting every row, the inserts.
// Memory: bytes per vector of the serialised graph + the re-rank store, and the process RSS after the build.
// Ratios (vsDefault) are to the product default at the start of this study, measured in the same run:
// pca128 M16/efC200 ef 400 C 200 re-ranked from SQLite (or fp32 in memory when SQLite is off).
// Data: tests/db/helpers.ts latentVectors (latent128 hard, latent32 easy), cached as float32 in /tmp.
// Env: BENCH_SCALE_N (100000), BENCH_SCALE_QUERIES (100), BENCH_SCALE_LATENTS ("128"), BENCH_SCALE_DIMS
// ("128"), BENCH_SCALE_M ("16"), BENCH_SCALE_EFC ("200"), BENCH_SCALE_GRID (ef:C pairs, "400:200,800:500,
// 1600:1000"), BENCH_SCALE_RERANK ("fp32,f16,int8,sqlite"), BENCH_SCALE_SCANS (1: int8 scan and projected
// scans), BENCH_SCALE_INT8SCAN (1: the product's int8 scan; C values "100,200"), BENCH_SCALE_BASELINE (0: the
// 768-d graph). BENCH_SCALE_M="" skips the graphs (a 1M graph build takes 25 min). Run with --expose-gc for honest RSS figures.
import hnswlib from 'hnswlib-node';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scoreAll, topK } from '../core/search/vectors.ts';
import { fitProjection } from '../db/projection.ts';
import { Int8Scanner } from '../native-models/int8-scan/scanner.ts';
import { SCAN_THREADS, scanSteps } from '../core/search/projected-scan.ts';
import { CALIBRATION } from '../core/search/scan-rerank.ts';
import { decodeScan, encodeScan } from '../core/search/scan-file.ts';
import { readIndexMeta, restoreGraphBytes, storeGraphBytes } from '../db/graph-chunks.ts';
import type { IndexMeta } from '../db/graph-chunks.ts';
import { cpuS, pct } from './stats.ts';
import { cachedRows, D, exactTruth, int8Dot, K, project, projectAll, quantise, quantiseQuery, rerankF16, rerankF32, rerankInt8, toF16 } from './scale-kernels.ts';
import { rerankSqlite, sqliteStore } from './scale-sqlite.ts';
import type { SqliteStore } from './scale-sqlite.ts';

const { HierarchicalNSW } = hnswlib;

const r3 = (x: number): number => Number(x.toFixed(3));
const list = (name: string, def: string): string[] => (process.env[name] ?? def).split(',').filter((s) => s !== '');
const rssMiB = (): number => {
  globalThis.gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
};

/** Top-d eigenvectors (rows of a d×D matrix) of the second-moment matrix of `sample` rows: the product's own fit. */
export function projection(sample: Float32Array, d: number): Float32Array {
  return fitProjection(sample, D, d).basis;
}

/**
 * The product end to end on the SQLite store, in a process of its own (bench/scale-product.ts): a fresh
 * ModalityEngine picks its method by size (the int8 scan from 50k), loads it from the embeddings table
 * (timed: what a process pays when it first searches), then answers each query with the exact re-rank
 * included. `mmapBytes`: SQLite reads the file through a memory map of this size (the product reads through
 * read() calls: mapped pages fault on first touch, which cost more than the reads they save until most are touched).
 */
/**
 * Stores the scan's codes again without their learnt error bound (what stop 26 stored); returns a function
 * that puts the original bytes back.
 */
function withoutStoredBound(sql: SqliteStore): () => void {
  const key = { modelId: sql.modelId, modality: 'audio' as const };
  const put = (bytes: Uint8Array, meta: IndexMeta): void => {
    storeGraphBytes(sql.db, key, bytes, { seq: meta.seq, vectorCount: meta.vectorCount, tombstones: new Float64Array(0), params: { dim: meta.dim, m: meta.m, efConstruction: meta.efConstruction } });
  };
  const meta = readIndexMeta(sql.db, key)!;
  const bytes = restoreGraphBytes(sql.db, key, meta);
  if (typeof bytes === 'string') throw new Error(`stored scan codes: ${bytes}`);
  const snap = decodeScan(bytes, D, 128);
  if (typeof snap === 'string') throw new Error(`stored scan codes: ${snap}`);
  put(encodeScan({ ...snap, error: undefined }), meta);
  return () => put(bytes, readIndexMeta(sql.db, key)!);
}

function productEngine(sql: SqliteStore, n: number, nq: number, qrows: Float32Array, recall: (found: number[][]) => number, mmapBytes?: number, tag = ''): Row {
  sql.db.pragma('wal_checkpoint(TRUNCATE)');
  const queries = `${sql.file}.queries.f32`;
  writeFileSync(queries, qrows.subarray(0, nq * D));
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./scale-product.ts', import.meta.url)), sql.file, String(sql.modelId), queries, String(nq)], {
    env: { ...process.env, ...(mmapBytes !== undefined ? { SCALE_MMAP: String(mmapBytes) } : {}) },
    maxBuffer: 64 * 2 ** 20,
  });
  if (child.status !== 0) throw new Error(`scale-product.ts failed: ${child.stderr.toString()}`);
  const r = JSON.parse(child.stdout.toString()) as { loadS: number; stored: boolean; method: string; mmapBytes: number; rssMiB: number; latMs: number[]; reads: number[]; found: number[][] };
  const rowOf = new Map<number, number>();
  sql.windowOf.forEach((w, row) => rowOf.set(w, row));
  console.log(JSON.stringify({ n, productMethod: r.method, productLoadS: r3(r.loadS), fromStored: r.stored, mmapBytes: r.mmapBytes, tag }));
  const lat = r.latMs;
  // Without a stored bound the re-rank reads every candidate while it learns the scan's error
  // (core/search/scan-rerank.ts), fewer after; with one, fewer from the first search.
  const mean = (a: number[]): number => r3(a.reduce((x, y) => x + y, 0) / Math.max(1, a.length));
  const late = lat.slice(CALIBRATION);
  console.log(JSON.stringify({ n, readsFirst: r.reads[0], readsMean: mean(r.reads), readsFirst20Mean: mean(r.reads.slice(0, CALIBRATION)), p50AfterMs: pct(late, 0.5), p99AfterMs: pct(late, 0.99) }));
  return {
    design: `product-engine-${r.method}${r.stored ? '-stored' : '-built'}${r.mmapBytes > 0 ? '-mmap' : ''}${tag !== '' ? `-${tag}` : ''}`,
    recallAt10: recall(r.found.map((ids) => ids.map((w) => rowOf.get(w)!))),
    p50Ms: pct(lat, 0.5),
    p99Ms: pct(lat, 0.99),
    buildVecPerS: Math.round(n / r.loadS),
    bytesPerVector: 0,
    rssMiB: r.rssMiB,
  };
}

function graphBytes(g: { writeIndexSync(f: string): void }): number {
  const f = `/tmp/foley-scale-graph-${process.pid}.bin`;
  g.writeIndexSync(f);
  const b = statSync(f).size;
  rmSync(f, { force: true });
  return b;
}

interface Row { design: string; recallAt10: number; p50Ms: number; p99Ms: number; graphP50Ms?: number; buildVecPerS?: number; cpuSPer1k?: number; bytesPerVector: number; rssMiB?: number }

type Rerank = 'fp32' | 'f16' | 'int8' | 'sqlite';
const STORE_BYTES: Record<Rerank, number> = { fp32: D * 4, f16: D * 2, int8: D + 4, sqlite: 0 };

export async function benchSearchScale(): Promise<Record<string, unknown>> {
  const n = Number(process.env.BENCH_SCALE_N ?? 100_000);
  const nq = Number(process.env.BENCH_SCALE_QUERIES ?? 100);
  const latents = list('BENCH_SCALE_LATENTS', '128').map(Number);
  const dims = list('BENCH_SCALE_DIMS', '128').map(Number);
  const ms = list('BENCH_SCALE_M', '16').map(Number);
  const efcs = list('BENCH_SCALE_EFC', '200').map(Number);
  const grid = list('BENCH_SCALE_GRID', '400:200,800:500,1600:1000').map((p) => p.split(':').map(Number) as [number, number]);
  const reranks = list('BENCH_SCALE_RERANK', 'fp32,f16,int8,sqlite') as Rerank[];
  const scans = (process.env.BENCH_SCALE_SCANS ?? '1') === '1';
  const int8scan = (process.env.BENCH_SCALE_INT8SCAN ?? '1') === '1';
  const baseline = (process.env.BENCH_SCALE_BASELINE ?? '0') === '1';
  const out: Record<string, unknown> = { n, dim: D, queries: nq, k: K, load: (await import('node:os')).loadavg().map(r3) };
  for (const latent of latents) {
    let t = performance.now();
    // One draw of n + nq rows (same P, fresh latents): the last nq are the queries, not in the searched set.
    const all = cachedRows(latent, n + nq, 11);
    const rows = all.subarray(0, n * D);
    const qrows = all.subarray(n * D);
    const genS = (performance.now() - t) / 1000;
    const q = (i: number): Float32Array => qrows.subarray(i * D, (i + 1) * D);
    const rssRows = rssMiB();
    const { truth: truthTop, latMs: scanLat } = exactTruth(`latent${latent}`, rows, qrows, nq);
    const truth = truthTop.map((t10) => new Set(t10));
    const recall = (found: number[][]): number => r3(found.reduce((a, f, i) => a + f.slice(0, K).filter((x) => truth[i]!.has(x)).length, 0) / (found.length * K));
    const res: Row[] = [];
    const log = (r: Row): void => {
      res.push(r);
      console.log(JSON.stringify({ latent, n, ...r }));
    };
    if (scanLat.length === 0) {
      // Truth came from the cache: time the exact scan again on a few queries, so it is a same-run baseline.
      const scores = new Float32Array(n);
      for (let i = 0; i < Math.min(nq, 10); i++) {
        const t1 = performance.now();
        scoreAll(rows, q(i), scores);
        topK(scores, K);
        scanLat.push(performance.now() - t1);
      }
    }
    log({ design: 'exact-fp32-scan', recallAt10: 1, p50Ms: pct(scanLat, 0.5), p99Ms: pct(scanLat, 0.99), bytesPerVector: D * 4 });
    // Re-rank stores (built once; their build cost is not the graph's).
    const full8 = reranks.includes('int8') || scans ? quantise(rows, D) : undefined;
    const f16 = reranks.includes('f16') ? toF16(rows) : undefined;
    let sql: SqliteStore | undefined;
    if (reranks.includes('sqlite')) {
      sql = sqliteStore(rows);
      console.log(JSON.stringify({ latent, n, sqliteWriteS: r3(sql.writeS) }));
    }
    const rerankers: Record<Rerank, (c: number[], qv: Float32Array) => number[]> = {
      fp32: (c, qv) => rerankF32(rows, c, qv, K),
      f16: (c, qv) => rerankF16(f16!, c, qv, K),
      int8: (c, qv) => rerankInt8(full8!, c, qv, K),
      sqlite: (c, qv) => rerankSqlite(sql!, c, qv, K),
    };
    if (scans && full8 !== undefined) {
      // int8 exact scan (per-row scale): a quarter of the bytes, but JS has no int8 SIMD.
      const scores = new Float32Array(n);
      const lat: number[] = [];
      const found: number[][] = [];
      for (let i = 0; i < Math.min(nq, 20); i++) {
        const t1 = performance.now();
        const qq = quantiseQuery(q(i));
        for (let r = 0; r < n; r++) scores[r] = int8Dot(full8.q, full8.scale, r, D, qq);
        found.push(topK(scores, K));
        lat.push(performance.now() - t1);
      }
      log({ design: 'exact-int8-scan', recallAt10: recall(found), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), bytesPerVector: D + 4 });
    }
    if (baseline) {
      const g = new HierarchicalNSW('ip', D);
      g.initIndex({ maxElements: n, m: 16, efConstruction: 200, randomSeed: 100 });
      const c0 = cpuS();
      t = performance.now();
      for (let i = 0; i < n; i++) g.addPoint(Array.from(rows.subarray(i * D, (i + 1) * D)), i);
      const buildS = (performance.now() - t) / 1000;
      const cpu = cpuS() - c0;
      const bytes = graphBytes(g) / n;
      for (const ef of [200, 400]) {
        g.setEf(ef);
        const lat: number[] = [];
        const found: number[][] = [];
        for (let i = 0; i < nq; i++) {
          const t1 = performance.now();
          found.push(g.searchKnn(Array.from(q(i)), K).neighbors);
          lat.push(performance.now() - t1);
        }
        log({ design: `hnsw768-M16-efc200-ef${ef}`, recallAt10: recall(found), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), buildVecPerS: Math.round(n / buildS), cpuSPer1k: r3((cpu / n) * 1000), bytesPerVector: Math.round(bytes) });
      }
    }
    for (const d of dims) {
      t = performance.now();
      const c0 = cpuS();
      const p = projection(rows.subarray(0, Math.min(n, 10_000) * D), d);
      const pcaS = (performance.now() - t) / 1000;
      const fitCpu = cpuS() - c0;
      t = performance.now();
      // Every row projected in JS: only the graphs and the fp32 projected scan use them (≈80 s at 1M).
      const proj = ms.length > 0 || scans ? projectAll(p, d, rows) : new Float32Array(0);
      const projS = (performance.now() - t) / 1000;
      const prepCpu = cpuS() - c0;
      console.log(JSON.stringify({ latent, n, d, pcaS: r3(pcaS), projectS: r3(projS) }));
      const qp = new Float32Array(d);
      for (const m of ms) {
        for (const efc of efcs) {
          const g = new HierarchicalNSW('ip', d);
          g.initIndex({ maxElements: n, m, efConstruction: efc, randomSeed: 100 });
          t = performance.now();
          const c1 = cpuS();
          for (let i = 0; i < n; i++) g.addPoint(Array.from(proj.subarray(i * d, (i + 1) * d)), i);
          const graphS = (performance.now() - t) / 1000;
          const graphCpu = cpuS() - c1;
          const rss = rssMiB();
          const gBytes = graphBytes(g) / n;
          const build = { buildVecPerS: Math.round(n / (pcaS + projS + graphS)), cpuSPer1k: r3(((prepCpu + graphCpu) / n) * 1000) };
          console.log(JSON.stringify({ latent, n, d, m, efc, graphS: r3(graphS), graphCpuS: r3(graphCpu), graphVecPerS: Math.round(n / graphS), graphBytesPerVector: Math.round(gBytes), rssMiB: rss, rssRowsMiB: rssRows }));
          for (const [ef, c] of grid) {
            g.setEf(Math.max(ef, c));
            const graphLat: number[] = [];
            const lat = Object.fromEntries(reranks.map((k) => [k, [] as number[]])) as Record<Rerank, number[]>;
            const found = Object.fromEntries(reranks.map((k) => [k, [] as number[][]])) as Record<Rerank, number[][]>;
            for (let i = 0; i < nq; i++) {
              const t1 = performance.now();
              project(p, d, q(i), qp);
              const cands = g.searchKnn(Array.from(qp), c).neighbors;
              const gl = performance.now() - t1;
              graphLat.push(gl);
              for (const k of reranks) {
                const t2 = performance.now();
                found[k].push(rerankers[k](cands, q(i)));
                lat[k].push(gl + performance.now() - t2);
              }
            }
            for (const k of reranks) {
              log({ design: `pca${d}-M${m}-efc${efc}-ef${ef}-C${c}-rerank-${k}`, recallAt10: recall(found[k]), p50Ms: pct(lat[k], 0.5), p99Ms: pct(lat[k], 0.99), graphP50Ms: pct(graphLat, 0.5), ...build, bytesPerVector: Math.round(gBytes + STORE_BYTES[k]), rssMiB: rss });
            }
          }
        }
      }
      if (int8scan) {
        const t1 = performance.now();
        const c1 = cpuS();
        const scanner = new Int8Scanner();
        const sampleRows = rows.subarray(0, Math.min(n, 10_000) * D);
        scanner.init(p, D, d, scanSteps({ dim: D, d, basis: p, energy: 1 }, sampleRows), SCAN_THREADS);
        for (let o = 0; o < n; o += 4096) {
          const m = Math.min(4096, n - o);
          scanner.add(Float64Array.from({ length: m }, (_, i) => o + i), rows.slice(o * D, (o + m) * D));
        }
        const codeS = (performance.now() - t1) / 1000;
        const build = { buildVecPerS: Math.round(n / (pcaS + codeS)), cpuSPer1k: r3(((cpuS() - c1 + fitCpu) / n) * 1000) };
        const rss = rssMiB();
        const perVector = Math.round(scanner.bytes / n);
        console.log(JSON.stringify({ latent, n, d, int8scanCodeS: r3(codeS), scanBytesPerVector: perVector, rssMiB: rss }));
        for (const c of list('BENCH_SCALE_INT8SCAN_C', '100,200').map(Number)) {
          const scanLatMs: number[] = [];
          const lat = Object.fromEntries(reranks.map((k) => [k, [] as number[]])) as Record<Rerank, number[]>;
          const found = Object.fromEntries(reranks.map((k) => [k, [] as number[][]])) as Record<Rerank, number[][]>;
          for (let i = 0; i < nq; i++) {
            const t2 = performance.now();
            const cands = Array.from(scanner.search(q(i), c).labels);
            const sl = performance.now() - t2;
            scanLatMs.push(sl);
            for (const k of reranks) {
              const t3 = performance.now();
              found[k].push(rerankers[k](cands, q(i)));
              lat[k].push(sl + performance.now() - t3);
            }
          }
          for (const k of reranks) {
            log({ design: `pca${d}-int8scan-C${c}-rerank-${k}`, recallAt10: recall(found[k]), p50Ms: pct(lat[k], 0.5), p99Ms: pct(lat[k], 0.99), graphP50Ms: pct(scanLatMs, 0.5), ...build, bytesPerVector: perVector + STORE_BYTES[k], rssMiB: rss });
          }
        }
        scanner.close();
        if (sql !== undefined) {
          // Fresh processes: the first builds the scan's codes (calibrating the re-rank's error bound) and
          // stores them; the next start from them. The baseline, between two of those: the same codes stored
          // without the bound, as stop 26 stored them, so its first CALIBRATION searches read every candidate.
          // (A 2 GiB memory map for the reads was tried at stop 26 and not adopted, docs/scaling.md.)
          log(productEngine(sql, n, nq, qrows, recall));
          log(productEngine(sql, n, nq, qrows, recall));
          const restore = withoutStoredBound(sql);
          log(productEngine(sql, n, nq, qrows, recall, undefined, 'no-bound'));
          restore();
          log(productEngine(sql, n, nq, qrows, recall));
        }
      }
      if (scans) {
        // Exact scan of the projection + re-rank of the top C (no graph to build).
        const ps = new Float32Array(n);
        for (const c of [100, 200]) {
          const lat: number[] = [];
          const found: number[][] = [];
          for (let i = 0; i < Math.min(nq, 30); i++) {
            const t1 = performance.now();
            project(p, d, q(i), qp);
            scoreAll(proj, qp, ps);
            found.push(rerankF32(rows, topK(ps, c), q(i), K));
            lat.push(performance.now() - t1);
          }
          log({ design: `pca${d}-scan-C${c}-rerank-fp32`, recallAt10: recall(found), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), buildVecPerS: Math.round(n / (pcaS + projS)), bytesPerVector: d * 4 + D * 4 });
        }
      }
    }
    sql?.close();
    const store = reranks.includes('sqlite') ? 'sqlite' : 'fp32';
    // The baseline: the projected graph the int8 scan replaced (M 32 / efC 100 at its default ef) when this run
    // built it, else the old M16/efC200 one, else the exact fp32 scan.
    const base =
      res.find((r) => r.design === `pca128-M32-efc100-ef${n >= 1_000_000 ? 3200 : 800}-C200-rerank-${store}`) ??
      res.find((r) => r.design === `pca128-M16-efc200-ef400-C200-rerank-${store}`) ??
      res.find((r) => r.design === 'exact-fp32-scan');
    const withRatios = res.map((r) => ({
      ...r,
      vsBase: base === undefined ? undefined : {
        base: base.design,
        recall: r3(r.recallAt10 / base.recallAt10),
        p50: r3(r.p50Ms / base.p50Ms),
        p99: r3(r.p99Ms / base.p99Ms),
        build: r.buildVecPerS === undefined || base.buildVecPerS === undefined ? undefined : r3(r.buildVecPerS / base.buildVecPerS),
        memory: r3(r.bytesPerVector / base.bytesPerVector),
      },
    }));
    out[`latent${latent}`] = { generateOrLoadS: r3(genS), designs: withRatios };
  }
  return out;
}

if (import.meta.filename === process.argv[1]) {
  const r = await benchSearchScale();
  console.log(JSON.stringify(r, null, 2));
}
