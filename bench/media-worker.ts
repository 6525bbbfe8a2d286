// Child process of bench/media.bench.ts (own process so its peak RSS is its own).
//   node bench/media-worker.ts e2e FILE SAMPLES_OUT   decodeWindows + fbank + imageInput, end to end;
//                                                     writes every window's samples to SAMPLES_OUT (.f32)
//   node bench/media-worker.ts stages FILE            each stage alone, and the two frame strategies
// Prints one JSON line.
import { closeSync, openSync, writeSync } from 'node:fs';
import { streamAudio } from '../media/audio.ts';
import { findTool } from '../media/ffmpeg-binaries.ts';
import { decodeFrameRgb } from '../media/image.ts';
import type { RgbFrame } from '../media/image.ts';
import { probeMedia } from '../media/probe.ts';
import { runTool } from '../media/spawn.ts';
import { decodeWindows, planMediaWindows } from '../media/decode-windows.ts';
import { audioInput, imageInput } from '../native-models/cavmae/preprocess.ts';
import { peakRssMiB } from './rss.ts';

const [mode, file, samplesOut] = process.argv.slice(2);
if (file === undefined || (mode !== 'e2e' && mode !== 'stages')) throw new Error('usage: media-worker.ts e2e|stages FILE [SAMPLES_OUT]');

const info = await probeMedia(file);
const plan = planMediaWindows(info);
const duration = plan.at(-1)!.end;
const ms = (t0: number): number => performance.now() - t0;
const rssMiB = peakRssMiB;

if (mode === 'e2e') {
  const fd = samplesOut !== undefined ? openSync(samplesOut, 'w') : undefined;
  let fbankMs = 0;
  let imageMs = 0;
  const t0 = performance.now();
  const r = await decodeWindows(file, info, plan, {
    onWindow: (_win, audio, frames) => {
      if (audio !== null) {
        const t = performance.now();
        audioInput(audio);
        fbankMs += ms(t);
        if (fd !== undefined) writeSync(fd, new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength));
      }
      if (frames !== null) {
        const t = performance.now();
        for (const frame of frames) imageInput(frame);
        imageMs += ms(t);
      }
    },
  });
  const totalMs = ms(t0);
  if (fd !== undefined) closeSync(fd);
  console.log(JSON.stringify({
    windows: r.windows, duration, totalMs, fbankMs, imageMs, failures: r.failures.length,
    peakBufferedSamples: r.peakBufferedSamples, peakRssMiB: rssMiB(),
  }));
} else {
  // Audio alone (streamed, nothing kept).
  let t = performance.now();
  await streamAudio(file, () => undefined, { idleTimeoutMs: 60_000 });
  const audioMs = ms(t);

  // Frames, strategy A: one input-seeking ffmpeg per window (what decodeWindows does, minus overlap).
  t = performance.now();
  const frames: RgbFrame[] = [];
  for (const w of plan) frames.push(await decodeFrameRgb(file, w.middle));
  const seekMs = ms(t);

  // Strategy B: one ffmpeg decoding every frame, a select filter keeping the first frame at or after
  // each window's middle.
  t = performance.now();
  const expr = plan.map((w) => `gte(t\\,${w.middle})*lt(prev_t\\,${w.middle})`).join('+');
  let bytes = 0;
  await runTool(findTool('ffmpeg'), [
    '-nostdin', '-v', 'error', '-i', file, '-map', '0:V:0', '-vf', `select='${expr}'`, '-fps_mode', 'passthrough',
    '-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1',
  ], { file, what: 'scanning frames', timeoutMs: 600_000, onStdout: (c) => void (bytes += c.length) });
  const scanMs = ms(t);
  const f0 = frames[0]!;
  const scanFrames = Math.round(bytes / (f0.width * f0.height * 3 + 17));

  t = performance.now();
  for (const f of frames) imageInput(f);
  const imageMs = ms(t);
  console.log(JSON.stringify({ windows: plan.length, audioMs, seekMs, scanMs, scanFrames, imageMs, peakRssMiB: rssMiB() }));
}
