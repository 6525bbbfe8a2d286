// `foley search --text` at scale (issue 17): a library of generated classifier logits (527 classes,
// sigmoid; 309, softmax) in a real SQLite file, BENCH_TEXT_SIZES windows (default 10k and 100k).
// Measured: the logits table's bytes per window (page growth), building the in-memory ranking once
// (core/search/class-rank-cache.ts), then a page of results for 30 random classes (top 88 windows
// ranked exactly, merged into moments). Baseline in the same run: ranking by reading every stored row
// per query, as the search did before the cache. Also: the first query after 50 more windows were
// tagged (the cache reads only the new rows).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../db/connection.ts';
import type { Database } from '../db/connection.ts';
import { clearClassRankCache, classRankCacheInfo, topWindowsForClasses } from '../core/search/class-rank-cache.ts';
import { toMoments } from '../core/search/moments.ts';
import { logSumExp, rankValue } from '../core/tagging/probability.ts';
import type { Activation } from '../core/tagging/probability.ts';
import { rng, tempDir, testModel } from '../tests/db/helpers.ts';
import { seedClassLogits } from '../tests/search/class-logits-library.ts';

const QUERIES = 30;
const BASELINE_QUERIES = 3;
const PER_FILE = 50;
const K = 88; // a first page of 10 moments: (0 + 10 + 1) × 8 windows

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** What the search did before: every row read and scored for each query. */
function scanAll(db: Database, modelId: number, cls: number, activation: Activation): number[] {
  const rows = db.prepare<[number], [number, Buffer]>('SELECT window_id, logits FROM class_logits WHERE model_id = ?').raw(true).all(modelId);
  const scored = rows.map(([id, blob]) => {
    const z = new Float32Array(blob.byteLength / 4);
    for (let i = 0; i < z.length; i++) z[i] = blob.readFloatLE(i * 4);
    return { id, v: rankValue(z, cls, activation, activation === 'softmax' ? logSumExp(z) : 0) };
  });
  scored.sort((a, b) => b.v - a.v || a.id - b.id);
  return scored.slice(0, K).map((s) => s.id);
}

async function atSize(n: number, numClasses: number, activation: Activation): Promise<Record<string, unknown>> {
  const dir = tempDir('foley-bench-text-');
  const db = openDatabase(path.join(dir, 'foley.db'));
  try {
    const { model } = testModel(db, 8);
    const t0 = performance.now();
    seedClassLogits(db, model.id, numClasses, Math.ceil(n / PER_FILE), PER_FILE, 11);
    const seedS = (performance.now() - t0) / 1000;
    // The table and its index, page by page (dbstat), per window.
    const tableBytes = db.prepare<[], number>("SELECT sum(pgsize) FROM dbstat WHERE name IN ('class_logits', 'class_logits_window')").pluck().get()!;
    const bytesPerWindow = tableBytes / n;

    clearClassRankCache();
    const r = rng(3);
    const classes = Array.from({ length: QUERIES }, () => Math.floor(r.uniform() * numClasses));
    const b0 = performance.now();
    topWindowsForClasses(db, model.id, [classes[0]!], K, { numClasses, activation });
    const buildMs = performance.now() - b0;
    const info = classRankCacheInfo(db, model.id)!;
    const times: number[] = [];
    const candidates: number[] = [];
    for (const cls of classes) {
      const q0 = performance.now();
      const { ranked, candidates: c } = topWindowsForClasses(db, model.id, [cls], K, { numClasses, activation });
      toMoments(db, ranked.map((h) => ({ id: h.windowId, score: h.value, scores: {} })), 'both', true);
      times.push(performance.now() - q0);
      candidates.push(c);
    }
    // Tagging goes on: one more file's windows arrive, and the next query reads just those.
    seedClassLogits(db, model.id, numClasses, 1, PER_FILE, 12, Math.ceil(n / PER_FILE));
    const a0 = performance.now();
    topWindowsForClasses(db, model.id, [classes[0]!], K, { numClasses, activation });
    const afterAppendMs = performance.now() - a0;
    const baseline: number[] = [];
    for (const cls of classes.slice(0, BASELINE_QUERIES)) {
      const q0 = performance.now();
      const ids = scanAll(db, model.id, cls, activation);
      toMoments(db, ids.map((id) => ({ id, score: 0, scores: {} })), 'both', true);
      baseline.push(performance.now() - q0);
    }
    const p50 = quantile(times, 0.5);
    const baseP50 = quantile(baseline, 0.5);
    const out = {
      windows: n,
      classes: numClasses,
      activation,
      seedS: Number(seedS.toFixed(1)),
      logitsBytesPerWindow: Math.round(bytesPerWindow),
      cacheBytesPerWindow: Number((info.bytes / info.windows).toFixed(1)),
      cacheMiB: Number((info.bytes / 2 ** 20).toFixed(1)),
      buildMs: Math.round(buildMs),
      queryP50Ms: Number(p50.toFixed(2)),
      queryAfter50NewRowsMs: Number(afterAppendMs.toFixed(1)),
      queryP95Ms: Number(quantile(times, 0.95).toFixed(2)),
      rowsReadExactlyP50: quantile(candidates, 0.5),
      baselineP50Ms: Math.round(baseP50),
      speedup: Number((baseP50 / p50).toFixed(0)),
    };
    console.log(JSON.stringify(out));
    return out;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTextSearch(): Promise<Record<string, unknown>> {
  const sizes = (process.env.BENCH_TEXT_SIZES ?? '10000,100000').split(',').map(Number);
  const runs: Record<string, unknown>[] = [];
  for (const n of sizes) {
    runs.push(await atSize(n, 527, 'sigmoid'));
    runs.push(await atSize(n, 309, 'softmax'));
  }
  return { runs };
}
