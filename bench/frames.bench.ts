// Frame aggregation (`--frames K`): what K frames per window cost, and what they change in retrieval.
// Cost: a full-size random CAV-MAE (fp32, CPU) re-embeds the pictures of a 640×360 h264 clip with
// K = 1, 4 and 10 (a changed K redoes pictures only), reported per window and as ratios to K = 1 in
// the same run. Retrieval: `foley eval`'s library mode (R@1/5/10 both ways) on a generated library
// indexed with K = 1 and then K = 4, with the tiny test model: random weights, so the difference
// says nothing about real CAV-MAE's gain (the paper: +0.7 mAP from frame aggregation on AudioSet).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseEncoders } from '../core/embedding/encoders.ts';
import { evaluate } from '../core/evaluation/evaluate.ts';
import { runIndex } from '../core/indexing/indexer.ts';
import { emptyStats } from '../core/indexing/progress.ts';
import { openLibrary } from '../core/library/handle.ts';
import { importModel } from '../core/models/store.ts';
import { cavmaeDir } from '../tests/helpers/fixtures.ts';
import { ffmpeg } from '../tests/indexing/helpers.ts';
import { randomStateDict, writeSafetensors } from './random-checkpoint.ts';

const SECONDS = Number(process.env.BENCH_FRAMES_SECONDS ?? 60);
const KS = [1, 4, 10] as const;
const round = (x: number, d = 1): number => Number(x.toFixed(d));

async function cost(base: string): Promise<Record<string, unknown>> {
  const root = path.join(base, 'cost-videos');
  mkdirSync(root);
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:duration=${SECONDS}:sample_rate=44100`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(root, 'clip.mp4'),
  ]);
  const ckpt = path.join(base, 'full.safetensors');
  writeSafetensors(ckpt, randomStateDict());
  const dataDir = path.join(base, 'cost-data');
  const { model } = await importModel(dataDir, ckpt, { name: 'full' });
  rmSync(ckpt);
  const library = openLibrary(dataDir);
  try {
    // The first run embeds sounds too; after it, each K redoes the pictures alone, K = 1 last again.
    await runIndex({ library, model, roots: [root], provider: 'cpu', thumbnails: false, frames: 1 });
    const perK: Record<string, { msPerWindow: number; decodeMsPerWindow: number; inferenceMsPerWindow: number }> = {};
    for (const k of [4, 10, 1]) {
      const stats = emptyStats();
      const t = performance.now();
      const s = await runIndex({ library, model, roots: [root], provider: 'cpu', thumbnails: false, frames: k, stats });
      const wall = performance.now() - t;
      const windows = Math.max(1, s.windows);
      perK[`k${k}`] = { msPerWindow: round(wall / windows), decodeMsPerWindow: round(stats.decodeMs / windows), inferenceMsPerWindow: round(stats.inferenceMs / windows) };
    }
    const ratio = (k: number): number => round(perK[`k${k}`]!.msPerWindow / perK.k1!.msPerWindow, 2);
    return { clip: `${SECONDS} s 640×360 h264 (GOP 2 s)`, ...perK, ratioToK1: Object.fromEntries(KS.map((k) => [`k${k}`, ratio(k)])) };
  } finally {
    library.close();
    await releaseEncoders();
  }
}

const SOURCES = ['testsrc', 'testsrc2', 'smptebars', 'rgbtestsrc', 'mandelbrot', 'life', 'cellauto', 'yuvtestsrc'];

async function retrieval(base: string): Promise<Record<string, unknown>> {
  const root = path.join(base, 'eval-videos');
  mkdirSync(root);
  await Promise.all(
    SOURCES.flatMap((src, i) =>
      [0, 1].map((j) =>
        ffmpeg([
          '-t', '10', '-f', 'lavfi', '-i', `${src}=size=160x120:rate=10`,
          '-f', 'lavfi', '-i', `sine=frequency=${220 * (i + 1) + 97 * j}:sample_rate=16000:duration=10`,
          '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(root, `${src}-${j}.mp4`),
        ]),
      ),
    ),
  );
  const dataDir = path.join(base, 'eval-data');
  const { model } = await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  const library = openLibrary(dataDir);
  try {
    const out: Record<string, unknown> = {};
    for (const k of [1, 4]) {
      await runIndex({ library, model, roots: [root], provider: 'cpu', thumbnails: false, frames: k });
      const r = await evaluate(library, { session: { provider: 'cpu' } });
      out[`k${k}`] = { n: r.n, audioToVisual: r.audioToVisual, visualToAudio: r.visualToAudio };
    }
    return out;
  } finally {
    library.close();
    await releaseEncoders();
  }
}

export async function benchFrames(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-frames-'));
  try {
    const result = { cost: await cost(base), retrievalTinyModel: await retrieval(base), cpus: os.cpus().length };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchFrames();
