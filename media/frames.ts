// Several frames of one window (frame aggregation, spec §2.1/§5.2): the frames at given times, each the
// first frame at or after its time, exactly as decodeFrameRgb picks one (both ways below gave
// byte-identical frames in the measurement, and tests/media/frames.test.ts checks it).
//
// Chosen by measurement (bench/frames.bench.ts with FOLEY_BENCH_FRAMES_DECODE=1, and the same loop by
// hand; this 2-core machine with other work on it, three runs), ms per 10-s window, mean of 6 windows:
//
//   file                                    way                          K = 1    K = 4       K = 10
//   1080p25 h264, GOP 2 s, ≈10 Mbit/s       an input-seeking ffmpeg/frame  481–536  1593–2147   4625–7180
//                                           one ffmpeg/window, select      —        863–1229   1618–2027
//   640×360 30 fps h264, GOP 10 s (x264)    an input-seeking ffmpeg/frame  351      1373        4513
//                                           one ffmpeg/window, select      —        570         606
//
// A seek per frame pays ffmpeg's start-up and up to a GOP of decoding K times; one process decoding the
// window once pays for every frame up to the last time, which is cheaper from K = 4 on (1.4–2.4× at
// K = 4, 2.8–7.4× at K = 10). K = 1 keeps the single seek: unchanged vectors, and no decoding of half a
// window to reach the middle.
import { MediaError } from '../base/errors.ts';
import { findTool } from './ffmpeg-binaries.ts';
import { damageCheck, decodeFrameRgb, frameDecodeThreads, parsePpmStream } from './image.ts';
import type { DecodeImageOptions, RgbFrame } from './image.ts';
import { assertReadableFile } from './probe.ts';
import { runTool } from './spawn.ts';

export type FrameStrategy = 'seek-per-frame' | 'filter-per-window';

export interface DecodeFramesOptions extends DecodeImageOptions {
  readonly strategy?: FrameStrategy;
  /**
   * A time past the video's last frame gets the frame before it again, as CAV-MAE Sync's loader does
   * ("use previous frame if available", dataloader_sync.py): a short last window's later clip frames.
   * Without it (and always for the first time) such a time is an error.
   */
  readonly reusePrevious?: boolean;
}

/**
 * The frames at `times` (ascending, all ≥ `start`), full resolution and upright. The filter strategy
 * falls back to one seek per frame when it returns a different count (two times between the same two
 * frames of a low-fps file give one frame, and a select filter's output carries no timestamps).
 */
export async function decodeFramesRgb(file: string, start: number, times: readonly number[], options: DecodeFramesOptions = {}): Promise<RgbFrame[]> {
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  if (times.length === 1 || strategy === 'seek-per-frame') return seekEach(file, times, options);
  const frames = await filterWindow(file, start, times, options);
  return frames.length === times.length ? frames : seekEach(file, times, options);
}

/** Chosen by measurement, see the header (K = 2, 3 untimed: one process instead of two or three). */
const DEFAULT_STRATEGY: FrameStrategy = 'filter-per-window';

async function seekEach(file: string, times: readonly number[], options: DecodeFramesOptions): Promise<RgbFrame[]> {
  const out: RgbFrame[] = [];
  // One after another: a window's frames run while the next window's audio is decoded, and ffmpeg
  // decoding already keeps a core busy.
  for (const t of times) {
    const previous = out.at(-1);
    if (options.reusePrevious !== true || previous === undefined) {
      out.push(await decodeFrameRgb(file, t, options));
      continue;
    }
    out.push(await decodeFrameRgb(file, t, options).catch((e: unknown) => {
      if (e instanceof MediaError && /no video frame at/.test(e.message)) return previous;
      throw e;
    }));
  }
  return out;
}

async function filterWindow(file: string, start: number, times: readonly number[], options: DecodeImageOptions): Promise<RgbFrame[]> {
  if (!(Number.isFinite(start) && start >= 0)) throw new MediaError(file, `invalid window start ${start} s`);
  await assertReadableFile(file);
  // After an input seek the filter sees time relative to `start`. prev_t is NaN on the first frame, so
  // gte(prev_t, T) is 0 there and a first frame already past T is taken.
  const terms = times.map((t) => {
    const rel = Math.max(0, t - start).toFixed(6);
    return `gte(t\\,${rel})*not(gte(prev_t\\,${rel}))`;
  });
  const last = Math.max(...times) - start;
  const damage = damageCheck(file, `from ${Number(start.toFixed(3))} s`, options);
  const args = [
    '-nostdin', '-hide_banner', ...damage.level,
    ...frameDecodeThreads(),
    '-ss', start.toFixed(6), '-t', (last + 1).toFixed(6), '-i', file,
    '-map', '0:V:0?', '-an', '-sn', '-dn',
    '-vf', `select=${terms.join('+')}`, '-fps_mode', 'passthrough', '-frames:v', String(times.length),
    '-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1',
  ];
  const { stdout, stderr } = await runTool(findTool('ffmpeg'), args, {
    file,
    what: `decoding ${times.length} frames from ${start.toFixed(3)} s`,
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
  }).catch((err: unknown) => {
    throw damage.failed(err);
  });
  if (stdout.length > 0) damage.check(stderr);
  return parsePpmStream(file, stdout);
}
