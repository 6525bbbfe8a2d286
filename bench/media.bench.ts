// Media benchmark: a 10-minute 1080p25 h264/aac file (generated once with ffmpeg, cached in the OS temp
// dir) decoded window by window (decodeWindows) into CAV-MAE inputs (fbank + imageInput):
// windows/s, realtime factor, per-stage time, peak RSS of the worker process; the two frame-extraction
// strategies side by side; and torchaudio's kaldi.fbank (Debian's /usr/bin/python3) on the very same
// samples, as a ratio. Run: npx node -e "import('./bench/media.bench.ts').then(m=>m.benchMedia())"
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { audioInput } from '../native-models/cavmae/preprocess.ts';
import { cachedMedia } from './generated-media.ts';

const DURATION = 600;
const CACHE_DIR = path.join(os.tmpdir(), 'foley-bench-media');
const FILE = path.join(CACHE_DIR, `h264-1080p25-${DURATION}s.mp4`);
const PYTHON = '/usr/bin/python3';

function ensureFile(): number {
  // ultrafast keeps generation near 1.5 min here; crf 28 gives ≈ 10 Mbit/s (a phone-video bitrate),
  // GOP 2 s (cameras use 1–2 s; x264's default 10 s would make every seek slower).
  return cachedMedia(FILE, [
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${DURATION}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${DURATION}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-g', '50', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-shortest',
  ]);
}

function worker(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'media-worker.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`media worker ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

function readF32(file: string): Float32Array {
  const buf = readFileSync(file);
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

const fmt = (x: number, d = 1): string => x.toFixed(d);

export async function benchMedia(): Promise<Record<string, unknown>> {
  const generateMs = ensureFile();
  if (generateMs > 0) console.log(`generated ${FILE} in ${fmt(generateMs / 1000)} s`);
  const samples = path.join(CACHE_DIR, `samples-${process.pid}.f32`);
  const ref = path.join(CACHE_DIR, `ref-${process.pid}.f32`);
  try {
    const e2e = worker(['e2e', FILE, samples]);
    const stages = worker(['stages', FILE]);

    let torch: Record<string, unknown> | string;
    const py = spawnSync(PYTHON, [path.join(import.meta.dirname, 'torchaudio_fbank.py'), samples, '160000', ref], { encoding: 'utf8' });
    let maxDiff: number | undefined;
    if (py.status === 0) {
      torch = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      // Same samples, same features? (first two windows; raw-log-mel differences ≲ 6e-3 per spec §1.2,
      // i.e. ≲ 1.3e-3 after normalisation)
      const expected = readF32(ref);
      const all = readF32(samples);
      maxDiff = 0;
      for (let k = 0; k < 2; k++) {
        const ours = audioInput(all.subarray(k * 160000, (k + 1) * 160000));
        for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - expected[k * ours.length + i]!));
      }
    } else {
      torch = (py.stderr || py.error?.message || 'failed').trim().split('\n').at(-1)!;
    }

    const windows = e2e['windows']!;
    const totalS = e2e['totalMs']! / 1000;
    const torchMs = typeof torch === 'object' ? (torch['ms_1_threads'] as number) : undefined;
    const rows: [string, string][] = [
      ['file', `10 min 1080p25 h264 (GOP 2 s) + AAC 48 kHz, ${windows} windows of 10 s`],
      ['end to end (decodeWindows + fbank + imageInput)', `${fmt(totalS)} s`],
      ['  windows / s', fmt(windows / totalS, 2)],
      ['  realtime factor', `${fmt(e2e['duration']! / totalS)}×`],
      ['  peak RSS (worker)', `${fmt(e2e['peakRssMiB']!, 0)} MiB (audio buffer peak ${e2e['peakBufferedSamples']} samples)`],
      ['stage: audio decode, whole file streamed', `${fmt(stages['audioMs']!, 0)} ms (${fmt(stages['audioMs']! / windows)} ms/window)`],
      ['stage: frame decode, input seek per window', `${fmt(stages['seekMs']!, 0)} ms (${fmt(stages['seekMs']! / windows)} ms/window)  ← used`],
      ['stage: frame decode, one process + select', `${fmt(stages['scanMs']!, 0)} ms (${fmt(stages['scanMs']! / windows)} ms/window)`],
      ['stage: fbank (TS)', `${fmt(e2e['fbankMs']!, 0)} ms (${fmt(e2e['fbankMs']! / windows)} ms/window)`],
      ['stage: imageInput 1920x1080', `${fmt(e2e['imageMs']!, 0)} ms (${fmt(e2e['imageMs']! / windows)} ms/window)`],
      ['torchaudio kaldi.fbank (1 thread), same samples', torchMs !== undefined ? `${fmt(torchMs, 0)} ms` : String(torch)],
      ['  TS fbank / torchaudio', torchMs !== undefined ? `${fmt(e2e['fbankMs']! / torchMs, 2)}× the time` : '-'],
      ['  max |TS − torchaudio| (normalised, 2 windows)', maxDiff !== undefined ? maxDiff.toExponential(2) : '-'],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    return {
      file: FILE, generateMs, cpus: os.cpus().length, e2e, stages, torchaudio: torch, maxFeatureDiff: maxDiff,
      windowsPerSecond: windows / totalS, realtimeFactor: e2e['duration']! / totalS,
      fbankRatioVsTorchaudio: torchMs !== undefined ? e2e['fbankMs']! / torchMs : undefined,
    };
  } finally {
    rmSync(samples, { force: true });
    rmSync(ref, { force: true });
  }
}
