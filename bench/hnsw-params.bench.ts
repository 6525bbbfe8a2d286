// HNSW parameter sweep (issue 14, search at scale): for each (data, M, efConstruction) builds one in-memory
// hnswlib graph exactly as db/vector-index.ts does (ip space, normalised plain-Array rows, fixed seed) and
// reports build speed (wall vec/s and process CPU seconds per 1k inserts: the machine is shared), the
// recall@10 of the graph's own top-10 against an exact scan at several ef, and searchKnn latency.
// The first config is the current default (M 16, efC 200): the others are reported as ratios to it.
// Data: "latent32" (intrinsic dim 32, flatters any ANN) and "latent128" (harder). No SQLite: this isolates
// the graph; bench/search.bench.ts measures the service end to end.
// Env: BENCH_HNSW_N (default 20000), BENCH_HNSW_QUERIES (100), BENCH_HNSW_CONFIGS ("16:200,16:100,24:100"),
// BENCH_HNSW_LATENTS ("32,128").
import hnswlib from 'hnswlib-node';
import { scoreAll, topK } from '../core/search/vectors.ts';
import { latentVectors } from '../tests/db/helpers.ts';
import { cpuS, pct } from './stats.ts';

const { HierarchicalNSW } = hnswlib;
const D = 768;
const K = 10;
const EFS = [32, 64, 128, 200, 400];


export async function benchHnswParams(): Promise<Record<string, unknown>> {
  const n = Number(process.env.BENCH_HNSW_N ?? 20_000);
  const nq = Number(process.env.BENCH_HNSW_QUERIES ?? 100);
  const configs = (process.env.BENCH_HNSW_CONFIGS ?? '16:200,16:100,24:100').split(',').map((c) => c.split(':').map(Number) as [number, number]);
  const latents = (process.env.BENCH_HNSW_LATENTS ?? '32,128').split(',').map(Number);
  const out: Record<string, unknown> = { n, dim: D, queries: nq, k: K };
  for (const latent of latents) {
    const gen = latentVectors(D, 11, latent);
    const rows = gen(n);
    const queries = gen(nq);
    const q = (i: number): Float32Array => queries.subarray(i * D, (i + 1) * D);
    const truth: Set<number>[] = [];
    for (let i = 0; i < nq; i++) truth.push(new Set(topK(scoreAll(rows, q(i)), K)));
    // The per-vector plain-Array conversion hnswlib-node demands (cost on its own).
    let t = performance.now();
    const arrays: number[][] = [];
    for (let i = 0; i < n; i++) arrays.push(Array.from(rows.subarray(i * D, (i + 1) * D)));
    const arrayUsPerVec = ((performance.now() - t) * 1000) / n;
    const res: Record<string, unknown> = { arrayFromUsPerVector: Number(arrayUsPerVec.toFixed(2)) };
    let base: { perS: number; cpuPer1k: number } | undefined;
    for (const [m, efc] of configs) {
      const g = new HierarchicalNSW('ip', D);
      g.initIndex({ maxElements: n, m, efConstruction: efc, randomSeed: 100 });
      const c0 = cpuS();
      t = performance.now();
      for (let i = 0; i < n; i++) g.addPoint(arrays[i]!, i);
      const buildS = (performance.now() - t) / 1000;
      const cpu = cpuS() - c0;
      const perS = n / buildS;
      const cpuPer1k = (cpu / n) * 1000;
      base ??= { perS, cpuPer1k };
      const byEf: Record<string, unknown> = {};
      for (const ef of EFS) {
        g.setEf(ef);
        const lat: number[] = [];
        let hit = 0;
        for (let i = 0; i < nq; i++) {
          const qa = Array.from(q(i));
          const t1 = performance.now();
          const r = g.searchKnn(qa, K);
          lat.push(performance.now() - t1);
          hit += r.neighbors.filter((id) => truth[i]!.has(id)).length;
        }
        byEf[`ef${ef}`] = { recallAt10: Number((hit / (nq * K)).toFixed(4)), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99) };
      }
      const r = {
        buildS: Number(buildS.toFixed(1)),
        vecPerS: Math.round(perS),
        cpuSPer1kInserts: Number(cpuPer1k.toFixed(2)),
        cpuShare: Number((cpu / buildS).toFixed(2)),
        vsBaseline: { cpuPer1k: Number((cpuPer1k / base.cpuPer1k).toFixed(3)), vecPerS: Number((perS / base.perS).toFixed(3)) },
        ...byEf,
      };
      console.log(JSON.stringify({ latent, m, efc, ...r }));
      res[`M${m}_efc${efc}`] = r;
    }
    out[`latent${latent}`] = res;
  }
  return out;
}

if (import.meta.filename === process.argv[1]) {
  const r = await benchHnswParams();
  console.log(JSON.stringify(r, null, 2));
}
