// CAV-MAE Sync (`npm run bench sync`): full-size random weights (timing does not depend on values), CPU.
//  1. Per frame-level pair (one 416-row sound stretch + one picture), 1 and 2 threads, fp32 and int8,
//     beside one CAV-MAE window (1,024-row sound + picture) measured in the same run.
//  2. Indexing a 120-s 640×360 h264 clip: video-hours per hour with 16, 8 and 4 moments per window
//     (fp32 and int8), beside CAV-MAE (fp32 and int8, 1 frame) in the same run, with per-stage times.
//     Each configuration first indexes a 3-s clip elsewhere, so session creation and ONNX Runtime's
//     first-run costs are not counted (a long-running app pays them once).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseEncoders } from '../core/embedding/encoders.ts';
import { runIndex } from '../core/indexing/indexer.ts';
import { emptyStats } from '../core/indexing/progress.ts';
import { openLibrary } from '../core/library/handle.ts';
import { importModel } from '../core/models/store.ts';
import type { InstalledModel } from '../core/models/store.ts';
import type { Precision } from '../base/types.ts';
import { ffmpeg } from '../tests/indexing/helpers.ts';
import { randomStateDict, randomSyncStateDict, writeSafetensors } from './random-checkpoint.ts';

const SECONDS = Number(process.env.BENCH_SYNC_SECONDS ?? 120);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const round = (x: number, d = 1): number => Number(x.toFixed(d));

interface Timing { medianMs: number }
interface WorkerResult { audio: Timing; visual: Timing; peakRssMiB: number }

function time(dir: string, threads: number, audioFrames: number): WorkerResult | string {
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'ort-worker.ts'), dir, String(threads), String(RUNS), String(audioFrames)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return (r.stderr || 'failed').trim().split('\n').at(-1)!;
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as WorkerResult;
}

async function installAll(base: string): Promise<Record<string, InstalledModel>> {
  const out: Record<string, InstalledModel> = {};
  for (const [name, sd] of [['cavmae', randomStateDict()], ['sync', randomSyncStateDict()]] as const) {
    const file = path.join(base, `${name}.safetensors`);
    writeSafetensors(file, sd);
    for (const precision of ['fp32', 'int8'] as Precision[]) {
      const t = performance.now();
      out[`${name}/${precision}`] = (await importModel(path.join(base, 'models'), file, { name: `${name}-${precision}`, precision })).model;
      console.log(`imported ${name} ${precision} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    rmSync(file);
  }
  return out;
}

function pairs(models: Record<string, InstalledModel>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const precision of ['fp32', 'int8'] as const) {
    for (const threads of [1, 2]) {
      const cav = time(models[`cavmae/${precision}`]!.dir, threads, 1024);
      const sync = time(models[`sync/${precision}`]!.dir, threads, 416);
      if (typeof cav === 'string' || typeof sync === 'string') {
        out[`${precision}/${threads}t`] = { error: typeof cav === 'string' ? cav : sync };
        continue;
      }
      const cavWindow = cav.audio.medianMs + cav.visual.medianMs;
      const syncPair = sync.audio.medianMs + sync.visual.medianMs;
      out[`${precision}/${threads}t`] = {
        syncPairMs: round(syncPair),
        syncAudioMs: round(sync.audio.medianMs),
        syncVisualMs: round(sync.visual.medianMs),
        cavmaeWindowMs: round(cavWindow),
        pairToCavmaeWindow: round(syncPair / cavWindow, 2),
      };
      console.log(`${precision} ${threads} thread(s): Sync pair ${syncPair.toFixed(0)} ms, CAV-MAE window ${cavWindow.toFixed(0)} ms`);
    }
  }
  return out;
}

async function indexing(base: string, models: Record<string, InstalledModel>): Promise<Record<string, unknown>> {
  const root = path.join(base, 'videos');
  const warmRoot = path.join(base, 'warm-up');
  mkdirSync(root);
  mkdirSync(warmRoot);
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(warmRoot, 'warm.mp4')]);
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:duration=${SECONDS}:sample_rate=44100`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(root, 'clip.mp4'),
  ]);
  const configs: Array<[label: string, key: string, frames: number]> = [
    ['cavmae fp32', 'cavmae/fp32', 1],
    ['cavmae int8', 'cavmae/int8', 1],
    ['sync fp32, 4 moments', 'sync/fp32', 4],
    ['sync fp32, 8 moments', 'sync/fp32', 8],
    ['sync fp32, 16 moments', 'sync/fp32', 16],
    ['sync int8, 4 moments', 'sync/int8', 4],
    ['sync int8, 8 moments', 'sync/int8', 8],
    ['sync int8, 16 moments', 'sync/int8', 16],
  ];
  const out: Record<string, Record<string, number>> = {};
  for (const [i, [label, key, frames]] of configs.entries()) {
    const library = openLibrary(path.join(base, `library-${i}`));
    const warm = openLibrary(path.join(base, `warm-${i}`));
    try {
      await runIndex({ library: warm, model: models[key]!, roots: [warmRoot], provider: 'cpu', thumbnails: false, frames });
      const stats = emptyStats();
      const t = performance.now();
      const s = await runIndex({ library, model: models[key]!, roots: [root], provider: 'cpu', thumbnails: false, frames, stats });
      const wall = (performance.now() - t) / 1000;
      const windows = Math.max(1, s.windows);
      out[label] = {
        videoHoursPerHour: round(stats.mediaSeconds / wall, 2),
        msPerWindow: round((wall * 1000) / windows),
        decodeMsPerWindow: round(stats.decodeMs / windows),
        featuresMsPerWindow: round(stats.featuresMs / windows),
        inferenceMsPerWindow: round(stats.inferenceMs / windows),
      };
      console.log(`${label}: ${out[label]!.videoHoursPerHour}× realtime, ${out[label]!.msPerWindow} ms per window`);
    } finally {
      library.close();
      warm.close();
      await releaseEncoders();
    }
  }
  const base32 = out['cavmae fp32']!.videoHoursPerHour!;
  return { clip: `${SECONDS} s 640×360 h264, 2 threads`, ...out, speedToCavmaeFp32: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, round(v.videoHoursPerHour! / base32, 2)])) };
}

export async function benchSync(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-sync-'));
  try {
    const models = await installAll(base);
    const pairTimes = pairs(models);
    const index = await indexing(base, models);
    return { cpus: os.cpus().length, pairs: pairTimes, indexing: index };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
