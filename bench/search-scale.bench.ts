// Search at scale (issue 14 part 4): candidate designs for 1M windows, measured against the current default
// (768-d hnswlib graph, ip, M 16 / efC 200, ef 200) built in the same run on the same data.
//   exact    — fp32 dot products over one Float32Array (core/search/vectors.ts), and an int8 scan (per-row scale).
//   pcaD     — a d-dim projection (top eigenvectors of the uncentred second-moment matrix of a sample, so
//              inner products are preserved, not distances from the mean) → hnswlib graph on the projected rows,
//              searched for C candidates, re-ranked exactly on the full 768-d rows (fp32, or int8 per-row scale).
//   pcaD-scan — the same projection scanned exactly (no graph), then re-ranked.
// Recall@10 is against the fp32 exact scan. Latency is after the query embedding (includes projecting the query
// and the re-rank). Memory is bytes per vector: the graph's own serialised size + the re-rank store.
// Data: tests/db/helpers.ts latentVectors (latent128 hard, latent32 easy), generated once and cached in /tmp.
// Env: BENCH_SCALE_N (100000), BENCH_SCALE_QUERIES (100), BENCH_SCALE_LATENTS ("128"), BENCH_SCALE_DIMS
// ("64,128"), BENCH_SCALE_EFC (100), BENCH_SCALE_BASELINE (1: also build the 768-d default graph).
import hnswlib from 'hnswlib-node';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { scoreAll, topK } from '../core/search/vectors.ts';
import { latentVectors } from '../tests/db/helpers.ts';
import { cpuS, pct } from './stats.ts';
import { fitProjection } from '../db/projection.ts';

const { HierarchicalNSW } = hnswlib;
const D = 768;
const K = 10;

const r3 = (x: number): number => Number(x.toFixed(3));

/** Rows cached as raw float32 in /tmp: generating 1M latent128 rows costs minutes of JS. */
function cachedRows(latent: number, n: number, seed: number): Float32Array {
  const file = `/tmp/foley-scale-latent${latent}-s${seed}-${n}.f32`;
  if (existsSync(file) && statSync(file).size === n * D * 4) {
    const b = readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, n * D);
  }
  const rows = latentVectors(D, seed, latent)(n);
  writeFileSync(file, rows);
  return rows;
}

/** Top-d eigenvectors (rows of a d×D matrix) of the second-moment matrix of `sample` rows: the product's own fit. */
export function projection(sample: Float32Array, d: number): Float32Array {
  return fitProjection(sample, D, d).basis;
}

function project(p: Float32Array, d: number, x: Float32Array, out = new Float32Array(d)): Float32Array {
  for (let k = 0; k < d; k++) {
    let s0 = 0;
    let s1 = 0;
    const o = k * D;
    for (let j = 0; j < D; j += 2) {
      s0 += p[o + j]! * x[j]!;
      s1 += p[o + j + 1]! * x[j + 1]!;
    }
    out[k] = s0 + s1;
  }
  return out;
}

/** int8 rows with a per-row scale (max|x|/127). */
function quantise(rows: Float32Array, dim: number): { q: Int8Array; scale: Float32Array } {
  const n = rows.length / dim;
  const q = new Int8Array(rows.length);
  const scale = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let m = 0;
    for (let j = 0; j < dim; j++) m = Math.max(m, Math.abs(rows[o + j]!));
    const s = m > 0 ? m / 127 : 1;
    scale[i] = s;
    for (let j = 0; j < dim; j++) q[o + j] = Math.round(rows[o + j]! / s);
  }
  return { q, scale };
}

function int8Dot(q8: Int8Array, scale: Float32Array, row: number, dim: number, qq: Int8Array): number {
  const o = row * dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let j = 0; j < dim; j += 4) {
    s0 += q8[o + j]! * qq[j]!;
    s1 += q8[o + j + 1]! * qq[j + 1]!;
    s2 += q8[o + j + 2]! * qq[j + 2]!;
    s3 += q8[o + j + 3]! * qq[j + 3]!;
  }
  return (s0 + s1 + s2 + s3) * scale[row]!;
}

function quantiseQuery(x: Float32Array): Int8Array {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  const out = new Int8Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = Math.round((x[j]! / m) * 127);
  return out;
}

/** Exact re-rank of candidate labels on the full rows; returns the top k labels. */
function rerank(rows: Float32Array, cands: number[], q: Float32Array, k: number): number[] {
  const s = new Float32Array(cands.length);
  for (let i = 0; i < cands.length; i++) {
    const o = cands[i]! * D;
    let a = 0;
    let b = 0;
    for (let j = 0; j < D; j += 2) {
      a += rows[o + j]! * q[j]!;
      b += rows[o + j + 1]! * q[j + 1]!;
    }
    s[i] = a + b;
  }
  return topK(s, k).map((i) => cands[i]!);
}

function graphBytes(g: { writeIndexSync(f: string): void }): number {
  const f = `/tmp/foley-scale-graph-${process.pid}.bin`;
  g.writeIndexSync(f);
  const b = statSync(f).size;
  rmSync(f, { force: true });
  return b;
}

interface Row { design: string; recallAt10: number; p50Ms: number; p99Ms: number; buildVecPerS?: number; cpuSPer1k?: number; bytesPerVector: number }

export async function benchSearchScale(): Promise<Record<string, unknown>> {
  const n = Number(process.env.BENCH_SCALE_N ?? 100_000);
  const nq = Number(process.env.BENCH_SCALE_QUERIES ?? 100);
  const latents = (process.env.BENCH_SCALE_LATENTS ?? '128').split(',').map(Number);
  const dims = (process.env.BENCH_SCALE_DIMS ?? '64,128').split(',').map(Number);
  const efc = Number(process.env.BENCH_SCALE_EFC ?? 100);
  const baseline = (process.env.BENCH_SCALE_BASELINE ?? '1') === '1';
  const out: Record<string, unknown> = { n, dim: D, queries: nq, k: K, efConstructionProjected: efc };
  for (const latent of latents) {
    let t = performance.now();
    // One draw of n + nq rows (same P, fresh latents): the last nq are the queries, not in the searched set.
    const all = cachedRows(latent, n + nq, 11);
    const rows = all.subarray(0, n * D);
    const qrows = all.subarray(n * D);
    const genS = (performance.now() - t) / 1000;
    const q = (i: number): Float32Array => qrows.subarray(i * D, (i + 1) * D);
    // Exact fp32 scan: ground truth and design (b).
    const truth: Set<number>[] = [];
    const scanLat: number[] = [];
    const scores = new Float32Array(n);
    for (let i = 0; i < nq; i++) {
      const t1 = performance.now();
      scoreAll(rows, q(i), scores);
      const top = topK(scores, K);
      scanLat.push(performance.now() - t1);
      truth.push(new Set(top));
    }
    const recall = (found: number[][]): number => r3(found.reduce((a, f, i) => a + f.slice(0, K).filter((x) => truth[i]!.has(x)).length, 0) / (nq * K));
    const res: Row[] = [];
    const log = (r: Row): void => {
      res.push(r);
      console.log(JSON.stringify({ latent, n, ...r }));
    };
    log({ design: 'exact-fp32-scan', recallAt10: 1, p50Ms: pct(scanLat, 0.5), p99Ms: pct(scanLat, 0.99), bytesPerVector: D * 4 });
    // int8 exact scan (per-row scale): fewer bytes, but JS has no int8 SIMD.
    const full8 = quantise(rows, D);
    {
      const lat: number[] = [];
      const found: number[][] = [];
      for (let i = 0; i < Math.min(nq, 30); i++) {
        const t1 = performance.now();
        const qq = quantiseQuery(q(i));
        for (let r = 0; r < n; r++) scores[r] = int8Dot(full8.q, full8.scale, r, D, qq);
        found.push(topK(scores, K));
        lat.push(performance.now() - t1);
      }
      const hit = found.reduce((a, f, i) => a + f.filter((x) => truth[i]!.has(x)).length, 0) / (found.length * K);
      log({ design: 'exact-int8-scan', recallAt10: r3(hit), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), bytesPerVector: D + 4 });
    }
    // Current default: 768-d graph, M 16 / efC 200, ef 200.
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
    // Projection designs.
    for (const d of dims) {
      const sampleN = Math.min(n, 10_000);
      t = performance.now();
      const c0 = cpuS();
      const p = projection(rows.subarray(0, sampleN * D), d);
      const pcaS = (performance.now() - t) / 1000;
      t = performance.now();
      const proj = new Float32Array(n * d);
      for (let i = 0; i < n; i++) project(p, d, rows.subarray(i * D, (i + 1) * D), proj.subarray(i * d, (i + 1) * d));
      const projS = (performance.now() - t) / 1000;
      const g = new HierarchicalNSW('ip', d);
      g.initIndex({ maxElements: n, m: 16, efConstruction: efc, randomSeed: 100 });
      t = performance.now();
      const c1 = cpuS();
      for (let i = 0; i < n; i++) g.addPoint(Array.from(proj.subarray(i * d, (i + 1) * d)), i);
      const graphS = (performance.now() - t) / 1000;
      const cpu = cpuS() - c1;
      const totalS = pcaS + projS + graphS;
      const totalCpu = cpuS() - c0;
      const gBytes = graphBytes(g) / n;
      console.log(JSON.stringify({ latent, d, pcaS: r3(pcaS), projectS: r3(projS), graphS: r3(graphS), graphCpuS: r3(cpu) }));
      const qp = new Float32Array(d);
      for (const [ef, c] of [[100, 50], [200, 100], [400, 200], [800, 400]] as const) {
        g.setEf(ef);
        const lat: number[] = [];
        const lat8: number[] = [];
        const found: number[][] = [];
        const found8: number[][] = [];
        for (let i = 0; i < nq; i++) {
          const t1 = performance.now();
          project(p, d, q(i), qp);
          const cands = g.searchKnn(Array.from(qp), c).neighbors;
          const t2 = performance.now();
          found.push(rerank(rows, cands, q(i), K));
          const t3 = performance.now();
          // Same candidates re-ranked on int8 rows (a quarter of the memory).
          const qq = quantiseQuery(q(i));
          const s = new Float32Array(cands.length);
          for (let j = 0; j < cands.length; j++) s[j] = int8Dot(full8.q, full8.scale, cands[j]!, D, qq);
          found8.push(topK(s, K).map((j) => cands[j]!));
          lat.push(t3 - t1);
          lat8.push(t2 - t1 + (performance.now() - t3));
        }
        const build = { buildVecPerS: Math.round(n / totalS), cpuSPer1k: r3((totalCpu / n) * 1000) };
        log({ design: `pca${d}-hnsw-M16-efc${efc}-ef${ef}-C${c}-rerank-fp32`, recallAt10: recall(found), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), ...build, bytesPerVector: Math.round(gBytes + D * 4) });
        log({ design: `pca${d}-hnsw-M16-efc${efc}-ef${ef}-C${c}-rerank-int8`, recallAt10: recall(found8), p50Ms: pct(lat8, 0.5), p99Ms: pct(lat8, 0.99), ...build, bytesPerVector: Math.round(gBytes + D + 4) });
      }
      // Exact scan of the projection + re-rank of the top C (no graph to build).
      {
        const ps = new Float32Array(n);
        const lat: number[] = [];
        const found: number[][] = [];
        for (let i = 0; i < nq; i++) {
          const t1 = performance.now();
          project(p, d, q(i), qp);
          scoreAll(proj, qp, ps);
          found.push(rerank(rows, topK(ps, 100), q(i), K));
          lat.push(performance.now() - t1);
        }
        log({ design: `pca${d}-scan-C100-rerank-fp32`, recallAt10: recall(found), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), buildVecPerS: Math.round(n / (pcaS + projS)), bytesPerVector: d * 4 + D * 4 });
      }
    }
    const base = res.find((r) => r.design === 'hnsw768-M16-efc200-ef200');
    const withRatios = res.map((r) => ({
      ...r,
      vsDefault: base === undefined ? undefined : {
        recall: r3(r.recallAt10 / base.recallAt10),
        p50: r3(r.p50Ms / base.p50Ms),
        p99: r3(r.p99Ms / base.p99Ms),
        build: r.buildVecPerS === undefined ? undefined : r3(r.buildVecPerS / base.buildVecPerS!),
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
