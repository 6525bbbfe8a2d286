// What watching for damage costs the indexing decode (media/damage-watch.ts): the audio stream of a
// generated 10-min 640×360 25-fps h264 + 44.1-kHz stereo AAC file (cached in the OS temp dir) decoded
// by streamAudio as indexing did before (`-v error`) and as it does now (`-v warning`, gap filling, the
// audio and video packets listed on stderr and read line by line), alternately, three rounds each.
// Wall time, ffmpeg's CPU (children's, from /proc/self/stat) and Node's CPU, with the ratios; and
// whether the samples are identical. Run: node bench/run.ts damage-watch
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { streamAudio } from '../media/audio.ts';
import { cachedMedia } from './generated-media.ts';

const DIR = path.join(os.tmpdir(), 'foley-bench-damage-watch');
const FILE = path.join(DIR, 'h264-360p25-aac-600s.mp4');

function ensureFile(): void {
  cachedMedia(FILE, [
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=600',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=600',
    '-ac', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k',
  ]);
}

/** CPU seconds of this process's waited-for children (utime + stime), Linux. */
function childCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function once(watch: boolean): Promise<{ wall: number; ffmpegCpu: number; nodeCpu: number; hash: string; reports: number }> {
  const hash = createHash('sha256');
  let reports = 0;
  const c0 = childCpu();
  const n0 = process.cpuUsage();
  const t0 = performance.now();
  await streamAudio(FILE, (chunk) => void hash.update(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)), {
    idleTimeoutMs: 60_000,
    chunkSamples: 32_000,
    ...(watch ? { watch: { streams: { audio: 1, video: 0 }, video: true, onDamage: () => void reports++ }, fillGaps: true } : {}),
  });
  const wall = (performance.now() - t0) / 1000;
  const n = process.cpuUsage(n0);
  return { wall, ffmpegCpu: childCpu() - c0, nodeCpu: (n.user + n.system) / 1e6, hash: hash.digest('hex'), reports };
}

export async function benchDamageWatch(): Promise<Record<string, unknown>> {
  ensureFile();
  const before: Awaited<ReturnType<typeof once>>[] = [];
  const now: Awaited<ReturnType<typeof once>>[] = [];
  for (let round = 0; round < 3; round++) {
    before.push(await once(false));
    now.push(await once(true));
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sum = (r: Awaited<ReturnType<typeof once>>[]): Record<string, number> => ({
    wallS: mean(r.map((x) => x.wall)),
    ffmpegCpuS: mean(r.map((x) => x.ffmpegCpu)),
    nodeCpuS: mean(r.map((x) => x.nodeCpu)),
  });
  const b = sum(before);
  const w = sum(now);
  const result = {
    file: '600 s, 640x360 25 fps h264 + 44.1 kHz stereo AAC 128k',
    before: b,
    watching: w,
    ratio: { wall: w.wallS! / b.wallS!, cpu: (w.ffmpegCpuS! + w.nodeCpuS!) / (b.ffmpegCpuS! + b.nodeCpuS!) },
    samplesIdentical: now.every((x) => x.hash === before[0]!.hash) && before.every((x) => x.hash === before[0]!.hash),
    damageReports: now.map((x) => x.reports),
    rounds: { before, watching: now },
  };
  console.log(JSON.stringify({ before: b, watching: w, ratio: result.ratio, samplesIdentical: result.samplesIdentical, damageReports: result.damageReports }, null, 2));
  return result;
}
