// Indexing throughput with the full-size model on CPU, int8 against fp32 in the same run, on two
// generated corpora: 30 minutes of 640×360 (6 × 5 min) and 6 minutes of 1080p (3 × 2 min), h264/aac,
// GOP 2 s. A full-size random CAV-MAE checkpoint is written as safetensors and imported the way users
// import one, once per precision. Each run starts with cold sessions (their creation counts, as it
// does for users); the one-off runtime measurement (core/embedding/tune.ts) runs before the timing and
// is reported apart. Reports windows/s, × realtime, windows/s after the first 10 % of windows (no session
// creation or pipeline fill: what a long run settles at), time per stage (inference = ONNX Runtime busy time
// on the inference thread; decode = waiting for ffmpeg), the inference thread's busy share of the wall,
// and database size per indexed hour; with BENCH_INDEX_ONE_LANE=1 also stop 26's single inference lane, with
// BENCH_INDEX_DIRECT_SPAWN=1 also ffmpeg spawned by the indexing process itself (stop 27). Env: BENCH_INDEX_FILES, BENCH_INDEX_SECONDS (640×360 corpus),
// BENCH_INDEX_HD_FILES, BENCH_INDEX_HD_SECONDS (1080p; 0 files skips it), BENCH_INDEX_PRECISIONS.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseEncoders } from '../core/embedding/encoders.ts';
import { runtimeTuning } from '../core/embedding/tune.ts';
import { runIndex } from '../core/indexing/indexer.ts';
import { emptyStats } from '../core/indexing/progress.ts';
import type { IndexStats } from '../core/indexing/progress.ts';
import { openLibrary } from '../core/library/handle.ts';
import { importModel } from '../core/models/store.ts';
import type { InstalledModel } from '../core/models/store.ts';
import type { Precision } from '../base/types.ts';
import { randomStateDict, writeSafetensors } from './random-checkpoint.ts';
import { childrenCpuMs } from './stats.ts';

const CORPUS = path.join(os.tmpdir(), 'foley-bench-index');

interface Corpus {
  readonly name: string;
  readonly size: string;
  readonly files: number;
  readonly seconds: number;
}

const CORPORA: Corpus[] = [
  { name: '640x360', size: '640x360', files: Number(process.env.BENCH_INDEX_FILES ?? 6), seconds: Number(process.env.BENCH_INDEX_SECONDS ?? 300) },
  { name: '1080p', size: '1920x1080', files: Number(process.env.BENCH_INDEX_HD_FILES ?? 3), seconds: Number(process.env.BENCH_INDEX_HD_SECONDS ?? 120) },
].filter((c) => c.files > 0);

function corpusFiles(c: Corpus): string[] {
  const dir = path.join(CORPUS, c.name);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < c.files; i++) {
    // The first corpus keeps its old names (and cache) from before the 1080p one existed.
    const file = path.join(c.name === '640x360' ? CORPUS : dir, `clip${i}-${c.seconds}s.mp4`);
    if (!existsSync(file)) {
      const r = spawnSync('ffmpeg', [
        '-nostdin', '-v', 'error', '-y',
        '-f', 'lavfi', '-i', `testsrc2=size=${c.size}:rate=25:duration=${c.seconds}`,
        '-f', 'lavfi', '-i', `anoisesrc=color=pink:seed=${i}:duration=${c.seconds}:sample_rate=44100`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
      ]);
      if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    }
    files.push(file);
  }
  return files;
}

function dbBytes(dataDir: string): number {
  return ['foley.db', 'foley.db-wal'].reduce((s, f) => s + (existsSync(path.join(dataDir, f)) ? statSync(path.join(dataDir, f)).size : 0), 0);
}

interface RunResult {
  windows: number;
  wallSeconds: number;
  windowsPerSecond: number;
  realtime: number;
  /**
   * Windows/s after the first 10 % of windows: what a long library run settles at, without the cold
   * sessions' creation and the pipeline's fill, which a 30-minute corpus pays in full.
   */
  steadyWindowsPerSecond: number;
  inferenceBusy: number;
  cpuCoresOfThisProcess: number;
  /** CPU per window: this process (inference, fbank, pictures, SQLite) and its ffmpeg/ffprobe children. */
  cpuMsPerWindow: { process: number; ffmpeg: number };
  stagesMs: IndexStats;
  dbMiBPerIndexedHour: number;
}

/** `layout`: threads and batch as asked (one inference lane), else the measured tuning. */
async function indexOnce(base: string, model: InstalledModel, files: string[], tag: string, layout?: { threads: number; batchSize: number }): Promise<RunResult> {
  const dataDir = path.join(base, `data-${tag}`);
  const root = path.join(base, `videos-${tag}`);
  mkdirSync(root);
  for (const f of files) spawnSync('ln', ['-s', f, path.join(root, path.basename(f))]);
  // Cold sessions for every run: their creation is part of what a user waits for.
  await releaseEncoders();
  const library = openLibrary(dataDir);
  const stats = emptyStats();
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpuMs() ?? Number.NaN;
  const t = performance.now();
  const progress: { t: number; windows: number }[] = [];
  const onProgress = (p: { windowsDone: number }): number => progress.push({ t: performance.now(), windows: p.windowsDone });
  // Thumbnails off: the bench measures indexing as it was first measured (embeddings only).
  const summary = await runIndex({ library, model, roots: [root], provider: 'cpu', stats, thumbnails: false, onProgress, ...layout });
  const end = performance.now();
  const wallS = (end - t) / 1000;
  const settled = progress.find((p) => p.windows >= summary.windows / 10) ?? { t, windows: 0 };
  const cpu = process.cpuUsage(cpu0);
  const childrenMs = (childrenCpuMs() ?? Number.NaN) - children0;
  library.close();
  await releaseEncoders();
  return {
    windows: summary.windows,
    wallSeconds: wallS,
    windowsPerSecond: summary.windows / wallS,
    realtime: stats.mediaSeconds / wallS,
    steadyWindowsPerSecond: (summary.windows - settled.windows) / ((end - settled.t) / 1000),
    inferenceBusy: stats.inferenceMs / 1000 / wallS,
    cpuCoresOfThisProcess: (cpu.user + cpu.system) / 1e6 / wallS,
    cpuMsPerWindow: { process: (cpu.user + cpu.system) / 1e3 / summary.windows, ffmpeg: childrenMs / summary.windows },
    stagesMs: stats,
    dbMiBPerIndexedHour: dbBytes(dataDir) / 2 ** 20 / (stats.mediaSeconds / 3600),
  };
}

export async function benchIndex(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const corpora = CORPORA.map((c) => ({ c, files: corpusFiles(c) }));
  console.log(`corpora: ${corpora.map(({ c }) => `${c.files} × ${c.seconds} s ${c.name}`).join(', ')} in ${((performance.now() - t0) / 1000).toFixed(0)} s (cached in ${CORPUS})`);
  const precisions = (process.env.BENCH_INDEX_PRECISIONS ?? 'fp32,int8').split(',') as Precision[];
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-index-run-'));
  try {
    const ckpt = path.join(base, 'full-random.safetensors');
    writeSafetensors(ckpt, randomStateDict());
    const models = new Map<Precision, InstalledModel>();
    const prep: Record<string, unknown> = {};
    for (const p of precisions) {
      const t1 = performance.now();
      const { model } = await importModel(path.join(base, `models-${p}`), ckpt, { name: `full-${p}`, precision: p });
      const importS = (performance.now() - t1) / 1000;
      const t2 = performance.now();
      const tuning = await runtimeTuning(model, 'cpu');
      prep[p] = { importSeconds: importS, tuningSeconds: (performance.now() - t2) / 1000, lanes: tuning.lanes, threads: tuning.threads, batchSize: tuning.batchSize, tuning: tuning.measured };
      console.log(`${p}: imported in ${importS.toFixed(1)} s; runtime measured in ${((performance.now() - t2) / 1000).toFixed(1)} s → ${tuning.lanes} lane(s) × ${tuning.threads} threads, batch ${tuning.batchSize}`);
      models.set(p, model);
    }
    rmSync(ckpt);
    const runs: Record<string, Record<string, RunResult>> = {};
    for (const { c, files } of corpora) {
      runs[c.name] = {};
      // With BENCH_INDEX_ONE_LANE=1 each precision also runs as stop 26 ran it: one inference lane with
      // every core as its threads, batch 4 (the tuning's choice on this machine then), after the tuned run.
      // With BENCH_INDEX_DIRECT_SPAWN=1, also the tuned layout with ffmpeg started by this process itself
      // (FOLEY_SPAWNER=0), as before stop 28, rather than by the spawner helper (media/spawner/).
      const layouts: { key: string; layout?: { threads: number; batchSize: number }; direct?: boolean }[] = [{ key: '' }];
      if (process.env.BENCH_INDEX_ONE_LANE === '1') layouts.push({ key: '-one-lane', layout: { threads: os.availableParallelism(), batchSize: 4 } });
      if (process.env.BENCH_INDEX_DIRECT_SPAWN === '1') layouts.push({ key: '-direct-spawn', direct: true });
      for (const p of precisions) for (const { key, layout, direct } of layouts) {
        const spawner = process.env.FOLEY_SPAWNER;
        if (direct === true) process.env.FOLEY_SPAWNER = '0';
        const r = await indexOnce(base, models.get(p)!, files, `${c.name}-${p}${key}`, layout).finally(() => {
          if (spawner === undefined) delete process.env.FOLEY_SPAWNER;
          else process.env.FOLEY_SPAWNER = spawner;
        });
        runs[c.name]![`${p}${key}`] = r;
        const s = r.stagesMs;
        console.log(
          `${c.name.padEnd(8)} ${`${p}${key}`.padEnd(5)} ${r.windows} windows in ${r.wallSeconds.toFixed(1)} s: ${r.windowsPerSecond.toFixed(2)} windows/s, ${r.realtime.toFixed(1)}× realtime ` +
            `(after the first 10 %: ${r.steadyWindowsPerSecond.toFixed(2)} windows/s); ` +
            `inference busy ${(r.inferenceBusy * 100).toFixed(0)} % of the wall (lanes summed); per window ms: decode wait ${(s.decodeMs / r.windows).toFixed(0)}, features ${(s.featuresMs / r.windows).toFixed(0)}, ` +
            `inference ${(s.inferenceMs / r.windows).toFixed(0)}, probe ${(s.probeMs / r.windows).toFixed(0)}, store ${(s.storeMs / r.windows).toFixed(0)}; this process ${r.cpuCoresOfThisProcess.toFixed(2)} cores; ` +
            `CPU ms per window: this process ${r.cpuMsPerWindow.process.toFixed(0)}, ffmpeg (+ spawner) ${r.cpuMsPerWindow.ffmpeg.toFixed(0)}`,
        );
      }
      for (const p of precisions) {
        const one = runs[c.name]![`${p}-one-lane`];
        if (one !== undefined) console.log(`${c.name.padEnd(8)} ${p} tuned ÷ one lane: ${(runs[c.name]![p]!.windowsPerSecond / one.windowsPerSecond).toFixed(2)}× the windows/s`);
        const direct = runs[c.name]![`${p}-direct-spawn`];
        if (direct !== undefined) console.log(`${c.name.padEnd(8)} ${p} spawner ÷ direct spawn: ${(runs[c.name]![p]!.windowsPerSecond / direct.windowsPerSecond).toFixed(2)}× the windows/s`);
      }
      const fp32 = runs[c.name]!.fp32;
      for (const p of precisions) {
        if (p === 'fp32' || fp32 === undefined) continue;
        console.log(`${c.name.padEnd(8)} ${p} ÷ fp32: ${(runs[c.name]![p]!.windowsPerSecond / fp32.windowsPerSecond).toFixed(2)}× the windows/s`);
      }
    }
    const last = Object.values(runs)[0]?.[precisions[0]!];
    if (last !== undefined) console.log(`database: ${last.dbMiBPerIndexedHour.toFixed(2)} MiB per indexed hour (vectors, windows and HNSW graphs)`);
    return { cpus: os.cpus().length, load: os.loadavg(), prepare: prep, runs };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchIndex();
