// Frame decoding with ffmpeg's default decoder threads against one (media/image.ts frameDecodeThreads):
// a generated 60-s 1080p25 h264 file (GOP 2 s, cached in the OS temp dir), the middle frames of six
// 10-s windows by decodeFrameRgb, both ways alternately, three rounds; ms per frame and the ratio, and
// whether the frames are byte-identical. Run: node bench/run.ts decode-threads
import os from 'node:os';
import path from 'node:path';
import { decodeFrameRgb } from '../media/image.ts';
import type { RgbFrame } from '../media/image.ts';
import { cachedMedia } from './generated-media.ts';

const DIR = path.join(os.tmpdir(), 'foley-bench-decode-threads');
const FILE = path.join(DIR, 'h264-1080p25-60s.mp4');
const TIMES = [5, 15, 25, 35, 45, 55];

function ensureFile(): void {
  cachedMedia(FILE, ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25:duration=60', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-g', '50', '-pix_fmt', 'yuv420p']);
}

async function decodeAll(threads: string): Promise<{ ms: number; frames: RgbFrame[] }> {
  process.env.FOLEY_FRAME_THREADS = threads;
  const t0 = performance.now();
  const frames: RgbFrame[] = [];
  for (const t of TIMES) frames.push(await decodeFrameRgb(FILE, t));
  return { ms: (performance.now() - t0) / TIMES.length, frames };
}

export async function benchDecodeThreads(): Promise<Record<string, unknown>> {
  ensureFile();
  const saved = process.env.FOLEY_FRAME_THREADS;
  const auto: number[] = [];
  const one: number[] = [];
  let identical = true;
  try {
    for (let round = 0; round < 3; round++) {
      const a = await decodeAll('auto');
      const b = await decodeAll('1');
      auto.push(a.ms);
      one.push(b.ms);
      identical &&= a.frames.every((f, i) => Buffer.from(f.data).equals(Buffer.from(b.frames[i]!.data)));
    }
  } finally {
    if (saved === undefined) delete process.env.FOLEY_FRAME_THREADS;
    else process.env.FOLEY_FRAME_THREADS = saved;
  }
  const best = (xs: number[]): number => Math.min(...xs);
  const result = { autoMsPerFrame: auto, oneThreadMsPerFrame: one, ratioBest: best(one) / best(auto), identical, load: os.loadavg() };
  console.log(`1080p frame decode: threads auto ${best(auto).toFixed(0)} ms, threads 1 ${best(one).toFixed(0)} ms per frame (best of 3): ${result.ratioBest.toFixed(2)}×, frames identical: ${identical}`);
  return result;
}

if (import.meta.main) await benchDecodeThreads();
