// ffmpeg's CPU with glibc's malloc on transparent huge pages (media/ffmpeg-binaries.ts toolEnv) against
// without (FOLEY_FFMPEG_HUGEPAGES=0), alternately, three rounds, on generated h264 files like the index
// bench's corpora: the middle frames of 10-s windows through decodeFrameGroup (one ffmpeg per group, as
// indexing runs it) at 640×360 and 1080p, and the whole audio track through streamAudio. CPU is the
// children's user + system time from /proc/self/stat (Linux), per picture or per audio minute; the
// ratio compares the best round of each; pictures are checked byte-identical. Run: node bench/run.ts ffmpeg-env
import os from 'node:os';
import path from 'node:path';
import { decodeFrameGroup, frameGroupSize } from '../media/frame-group.ts';
import { streamAudio } from '../media/audio.ts';
import { cachedMedia } from './generated-media.ts';
import { childrenCpuMs } from './stats.ts';

const DIR = path.join(os.tmpdir(), 'foley-bench-ffmpeg-env');
const childrenMs = (): number => childrenCpuMs() ?? Number.NaN;

interface Clip {
  readonly name: string;
  readonly file: string;
  readonly seconds: number;
  readonly width: number;
  readonly height: number;
}

function clip(name: string, size: string, seconds: number): Clip {
  const file = path.join(DIR, `${name}-${seconds}s.mp4`);
  cachedMedia(file, [
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:duration=${seconds}:sample_rate=44100`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
  ]);
  const [width, height] = size.split('x').map(Number) as [number, number];
  return { name, file, seconds, width, height };
}

async function withHugePages<T>(on: boolean, run: () => Promise<T>): Promise<{ cpuMs: number; wallMs: number; value: T }> {
  const saved = process.env.FOLEY_FFMPEG_HUGEPAGES;
  if (on) delete process.env.FOLEY_FFMPEG_HUGEPAGES;
  else process.env.FOLEY_FFMPEG_HUGEPAGES = '0';
  try {
    const cpu = childrenMs();
    const t = performance.now();
    const value = await run();
    return { cpuMs: childrenMs() - cpu, wallMs: performance.now() - t, value };
  } finally {
    if (saved === undefined) delete process.env.FOLEY_FFMPEG_HUGEPAGES;
    else process.env.FOLEY_FFMPEG_HUGEPAGES = saved;
  }
}

async function pictures(c: Clip): Promise<Buffer[]> {
  const middles = Array.from({ length: Math.floor(c.seconds / 10) }, (_, i) => i * 10 + 5);
  const size = frameGroupSize(c.width, c.height);
  const out: Buffer[] = [];
  for (let i = 0; i < middles.length; i += size) {
    for (const g of await decodeFrameGroup(c.file, middles.slice(i, i + size))) {
      if (!('frame' in g)) throw g.error;
      out.push(Buffer.from(g.frame.data));
    }
  }
  return out;
}

async function audio(c: Clip): Promise<number> {
  let samples = 0;
  await streamAudio(c.file, (s) => {
    samples += s.length;
  });
  return samples;
}

export async function benchFfmpegEnv(): Promise<Record<string, unknown>> {
  if (process.platform !== 'linux') return { skipped: 'Linux only (glibc tunables, /proc)' };
  const clips = [clip('640x360', '640x360', 300), clip('1080p', '1920x1080', 120)];
  const out: Record<string, unknown> = { load: os.loadavg() };
  const best = (xs: number[]): number => Math.min(...xs);
  for (const c of clips) {
    const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
    let identical = true;
    let count = 0;
    for (let round = 0; round < 3; round++) {
      const off = await withHugePages(false, () => pictures(c));
      const on = await withHugePages(true, () => pictures(c));
      count = on.value.length;
      cpu.off.push(off.cpuMs / count);
      cpu.on.push(on.cpuMs / count);
      identical &&= on.value.every((b, i) => b.equals(off.value[i]!));
    }
    const ratio = best(cpu.on) / best(cpu.off);
    out[`pictures-${c.name}`] = { pictures: count, cpuMsPerPictureOff: cpu.off, cpuMsPerPictureOn: cpu.on, ratioBest: ratio, identical };
    console.log(`${c.name} pictures: ffmpeg CPU ${best(cpu.off).toFixed(1)} → ${best(cpu.on).toFixed(1)} ms per picture with huge pages (${ratio.toFixed(2)}×), identical: ${identical}`);
  }
  const c = clips[0]!;
  const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let round = 0; round < 3; round++) {
    cpu.off.push((await withHugePages(false, () => audio(c))).cpuMs / (c.seconds / 60));
    cpu.on.push((await withHugePages(true, () => audio(c))).cpuMs / (c.seconds / 60));
  }
  const ratio = best(cpu.on) / best(cpu.off);
  out.audio = { cpuMsPerMinuteOff: cpu.off, cpuMsPerMinuteOn: cpu.on, ratioBest: ratio };
  console.log(`audio: ffmpeg CPU ${best(cpu.off).toFixed(0)} → ${best(cpu.on).toFixed(0)} ms per audio minute with huge pages (${ratio.toFixed(2)}×)`);
  return out;
}

if (import.meta.main) await benchFfmpegEnv();
