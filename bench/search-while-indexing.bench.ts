// Search while the library indexes (issue 15, "search first"), through the same API `foley serve` and
// the app call, in one process as they run it: the full-size model (random weights, int8) indexes a
// generated folder while a 3-s sound is searched every 300 ms. Reports the search p50/p90 while
// indexing as a ratio to idle p50 (measured in the same run, same library) and the indexing rate with
// searches as a ratio to the rate without (two halves of the same corpus, 3 × 2 min 640×360 each). On Linux
// the idle searches alternate with searches whose ffmpeg is spawned directly, not by the spawner helper.
// Env: BENCH_SWI_QUERIES (default 15), BENCH_SWI_PRECISION (int8).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApi } from '../core/api/handlers.ts';
import type { FoleyApi } from '../core/api/handlers.ts';
import { importModel } from '../core/models/store.ts';
import { runtimeTuning } from '../core/embedding/tune.ts';
import { spawnerWanted } from '../media/spawner/spawn-tool.ts';
import type { Precision } from '../base/types.ts';
import { randomStateDict, writeSafetensors } from './random-checkpoint.ts';

const CACHE = path.join(os.tmpdir(), 'foley-bench-swi');

function clip(name: string, seconds: number, seed: number): string {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, name);
  if (!existsSync(file)) {
    const r = spawnSync('ffmpeg', [
      '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`,
      '-f', 'lavfi', '-i', `anoisesrc=color=pink:seed=${seed}:duration=${seconds}:sample_rate=44100`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
    ]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  }
  return file;
}

function folder(base: string, name: string, files: string[]): string {
  const dir = path.join(base, name);
  mkdirSync(dir);
  for (const f of files) spawnSync('ln', ['-s', f, path.join(dir, path.basename(f))]);
  return dir;
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function waitIdle(api: FoleyApi): Promise<{ windows: number; seconds: number }> {
  for (;;) {
    const s = await api.invoke('status', {});
    if (s.index.state === 'idle') {
      if (s.index.error !== null) throw new Error(s.index.error);
      return { windows: s.index.last?.windows ?? 0, seconds: s.index.last?.seconds ?? 0 };
    }
    await sleep(200);
  }
}

export async function benchSearchWhileIndexing(): Promise<Record<string, unknown>> {
  const queries = Number(process.env.BENCH_SWI_QUERIES ?? 15);
  const precision = (process.env.BENCH_SWI_PRECISION ?? 'int8') as Precision;
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-swi-'));
  const dataDir = path.join(base, 'data');
  try {
    const ckpt = path.join(base, 'full.safetensors');
    writeSafetensors(ckpt, randomStateDict());
    const { model } = await importModel(dataDir, ckpt, { name: 'full', precision });
    rmSync(ckpt);
    await runtimeTuning(model, 'cpu');
    const seedDir = folder(base, 'seed', [clip('seed-60s.mp4', 60, 1)]);
    const a = folder(base, 'a', [0, 1, 2].map((i) => clip(`a${i}-120s.mp4`, 120, 10 + i)));
    const b = folder(base, 'b', [0, 1, 2].map((i) => clip(`b${i}-120s.mp4`, 120, 20 + i)));
    const soundFile = path.join(base, 'query.wav');
    spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'anoisesrc=color=brown:seed=5:duration=3:sample_rate=44100', soundFile]);
    const sound = new Uint8Array(readFileSync(soundFile));
    const api = createApi({ dataDir });
    try {
      await api.invoke('index.start', { roots: [seedDir] });
      await waitIdle(api);
      const searchOnce = async (): Promise<number> => {
        const t = performance.now();
        const r = await api.invoke('search', { query: { kind: 'upload', media: 'audio', bytes: sound }, top: 10 });
        if (r.results.length === 0) throw new Error('no results');
        return performance.now() - t;
      };
      await searchOnce();
      await searchOnce();
      // Idle searches alternate with the same search spawning its ffmpeg and ffprobe directly from this
      // process (FOLEY_SPAWNER=0, as before stop 28), which holds the sessions: the spawner's baseline.
      const idle: number[] = [];
      const idleDirect: number[] = [];
      const saved = process.env.FOLEY_SPAWNER;
      for (let i = 0; i < queries; i++) {
        idle.push(await searchOnce());
        await sleep(300);
        if (!spawnerWanted()) continue;
        process.env.FOLEY_SPAWNER = '0';
        try {
          idleDirect.push(await searchOnce());
        } finally {
          if (saved === undefined) delete process.env.FOLEY_SPAWNER;
          else process.env.FOLEY_SPAWNER = saved;
        }
        await sleep(300);
      }
      // Indexing alone (first half), then with searches (second half).
      await api.invoke('index.start', { roots: [a] });
      const alone = await waitIdle(api);
      await api.invoke('index.start', { roots: [b] });
      // After the sessions are up and the first batches run.
      for (;;) {
        const s = await api.invoke('status', {});
        if ((s.index.progress?.windowsDone ?? 0) >= 4) break;
        await sleep(100);
      }
      const busy: number[] = [];
      for (let i = 0; i < queries; i++) {
        const s = await api.invoke('status', {});
        if (s.index.state !== 'running') break;
        busy.push(await searchOnce());
        await sleep(300);
      }
      const withQueries = await waitIdle(api);
      const result = {
        precision,
        queries: { idle: idle.length, whileIndexing: busy.length },
        idleMs: { p50: pct(idle, 0.5), p90: pct(idle, 0.9) },
        ...(idleDirect.length > 0 ? { idleDirectSpawnMs: { p50: pct(idleDirect, 0.5), p90: pct(idleDirect, 0.9) }, spawnerRatio: pct(idle, 0.5) / pct(idleDirect, 0.5) } : {}),
        whileIndexingMs: { p50: pct(busy, 0.5), p90: pct(busy, 0.9) },
        p50Ratio: pct(busy, 0.5) / pct(idle, 0.5),
        indexing: { aloneWindowsPerSecond: alone.windows / alone.seconds, withSearchesWindowsPerSecond: withQueries.windows / withQueries.seconds },
        indexingRatio: withQueries.windows / withQueries.seconds / (alone.windows / alone.seconds),
      };
      console.log(`search (3-s sound, top 10, ${precision} full-size): idle p50 ${result.idleMs.p50.toFixed(0)} ms, p90 ${result.idleMs.p90.toFixed(0)} ms; while indexing p50 ${result.whileIndexingMs.p50.toFixed(0)} ms, p90 ${result.whileIndexingMs.p90.toFixed(0)} ms (${busy.length} searches): ${result.p50Ratio.toFixed(2)}× idle p50`);
      if (result.idleDirectSpawnMs !== undefined) {
        console.log(`idle search spawning ffmpeg directly (alternating with the above): p50 ${result.idleDirectSpawnMs.p50.toFixed(0)} ms, p90 ${result.idleDirectSpawnMs.p90.toFixed(0)} ms; spawner ÷ direct p50 ${result.spawnerRatio!.toFixed(2)}×`);
      }
      console.log(`indexing: ${result.indexing.aloneWindowsPerSecond.toFixed(2)} windows/s alone, ${result.indexing.withSearchesWindowsPerSecond.toFixed(2)} with a search every 300 ms: ${result.indexingRatio.toFixed(2)}×`);
      return result;
    } finally {
      await api.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchSearchWhileIndexing();
