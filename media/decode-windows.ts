// Indexing-time decoding of a whole file as windows (base/window-plan.ts plans them): the audio is
// streamed once through ffmpeg and cut into exact [start·16000, end·16000) slices, each window's
// frame is decoded at its middle. Nothing holds the whole file: only the samples of the windows still
// in flight (with hop < window, the overlap) plus one decode chunk.
//
// Frames — chosen by measurement (bench/media.bench.ts: 10-min 1080p25 h264, GOP 2 s, ≈10 Mbit/s,
// 60 windows, this 2-core machine). One ffmpeg per window with an input seek (`-ss middle -i file`,
// frame-exact: ffmpeg decodes from the preceding keyframe and drops frames before `middle`) took
// 12.7–20.9 s for the 60 frames (0.21–0.35 s a window, varying with machine load); one ffmpeg
// decoding all 15,000 frames and keeping the middles with a select filter took 32.5–36.4 s. Seeking
// decodes at most one GOP per window instead of every frame, and it needs no frame↔window matching
// (a select filter's output carries no timestamp, and two middles between the same two frames of a
// low-fps or VFR file would yield one frame for two windows). Frame decodes run one window ahead of
// the audio so the processes overlap (end to end 8.1 s when the machine was quiet).
//
// Frame aggregation (framesPerWindow K > 1, the paper's multi-frame inference): K frames at the
// centres of K equal parts of the window, by one ffmpeg per window with a select filter (measured
// faster than K seeks from K = 4 on; media/frames.ts). K = 1 keeps the single seek.
//
// Damage (media/damage.ts, damage-watch.ts, damage-log.ts): the audio decode runs at `-v warning`,
// lists the audio and video packets to place each damage line in time, and fills dropped packets with silence so later samples keep their time. A window
// whose stretch of a stream holds broken data loses that modality, reported as a DamagedMediaError
// failure; so does one past the end of a file whose audio stops more than 0.1 s + 2 % short of what
// its header promises (a cut file): its windows up to the cut are kept, the one across it shortened
// to the cut when that leaves at least a second. A stream that simply ends before another is no damage.
import type { MediaWindow } from '../base/window-plan.ts';
import { DEFAULT_MIN_LAST_SECONDS, SAMPLE_RATE, checkFramesPerWindow, planWindows, toSamples, windowFrameTimes } from '../base/window-plan.ts';
import type { WindowPlanOptions } from '../base/window-plan.ts';
import { MediaError } from '../base/errors.ts';
import { streamAudio } from './audio.ts';
import { DamagedMediaError, truncationTolerance } from './damage.ts';
import { DamageLog, HOLD_SECONDS } from './damage-log.ts';
import { decodeFramesRgb } from './frames.ts';
import { decodeFrameGroup, frameGroupSize } from './frame-group.ts';
import type { GroupFrame } from './frame-group.ts';
import type { RgbFrame } from './image.ts';
import type { MediaInfo } from './probe.ts';

export interface WindowFailure {
  readonly index: number;
  readonly what: 'audio' | 'frame';
  /** A DamagedMediaError when the file's data for it is missing or broken (the file is damaged). */
  readonly error: MediaError;
}

export interface DecodeWindowsOptions {
  /**
   * Called once per window, in order. `audio` is exactly the window's samples (shorter only where the
   * audio stream ends early), null for files without audio; `frames` are the full-resolution upright
   * frames at windowFrameTimes (one, at the window's middle, by default), null without video (cover
   * art is not video). A returned promise
   * pauses decoding until it settles; a throw stops decoding and is rethrown as is.
   */
  readonly onWindow: (
    win: MediaWindow,
    audio: Float32Array | null,
    frames: readonly RgbFrame[] | null,
    failures: readonly WindowFailure[],
  ) => void | Promise<void>;
  /** Frames per window (default 1: the middle); see windowFrameTimes. */
  readonly framesPerWindow?: number;
  /**
   * Where each window's frames are taken instead (frame-level models: their clip frames' times); a
   * time past the video's last frame then gets the previous frame again (media/frames.ts).
   */
  readonly frameTimes?: (win: MediaWindow) => number[];
  readonly signal?: AbortSignal;
  /** Limit for each frame decode, and the stall limit of the audio stream. Default 60 s. */
  readonly timeoutMs?: number;
  /** Skip one modality even when the file has it. */
  readonly audio?: boolean;
  readonly frames?: boolean;
  /** Samples per audio decode chunk (default 2 s); the buffer never holds more than a window + a chunk. */
  readonly chunkSamples?: number;
}

export interface DecodeWindowsResult {
  /** Windows passed to onWindow. */
  readonly windows: number;
  /** Audio samples decoded (16 kHz). */
  readonly audioSamples: number;
  /** Largest number of samples held at once (the streaming bound tests check). */
  readonly peakBufferedSamples: number;
  readonly failures: readonly WindowFailure[];
}

/**
 * The length windows should be planned over: the container duration, else the longest stream. (For
 * files whose metadata is off, the audio slices still come from what actually decodes.)
 */
export function mediaDuration(info: MediaInfo): number {
  if (info.duration !== undefined && info.duration > 0) return info.duration;
  const streams = [...info.audio, ...info.video].map((s) => s.duration ?? 0);
  return Math.max(0, ...streams);
}

/** planWindows over mediaDuration(info). */
export function planMediaWindows(info: MediaInfo, options: WindowPlanOptions = {}): MediaWindow[] {
  return planWindows(mediaDuration(info), options);
}

/** Growable sample buffer addressed by absolute sample position. */
class SampleBuffer {
  private data = new Float32Array(0);
  /** Absolute position of data[0]. */
  private origin = 0;
  private length = 0;
  peak = 0;

  get end(): number {
    return this.origin + this.length;
  }

  append(chunk: Float32Array): void {
    if (this.length + chunk.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.length + chunk.length, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(chunk, this.length);
    this.length += chunk.length;
    this.peak = Math.max(this.peak, this.length);
  }

  /** A copy of [from, to) clipped to what is held; null when nothing of it is. */
  slice(from: number, to: number): Float32Array | null {
    const a = Math.max(from, this.origin) - this.origin;
    const b = Math.min(to, this.end) - this.origin;
    return b > a ? this.data.slice(a, b) : null;
  }

  /** Forget samples before `pos` (absolute). */
  dropBefore(pos: number): void {
    const n = Math.min(Math.max(0, pos - this.origin), this.length);
    if (n === 0) return;
    this.data.copyWithin(0, n, this.length);
    this.length -= n;
    this.origin += n;
  }

  /** Start position for a stream that begins later than 0 (unused samples before it are skipped). */
  skipTo(pos: number): void {
    if (this.length === 0 && pos > this.origin) this.origin = pos;
  }
}

type FrameResult = { frames: RgbFrame[] } | { error: MediaError };

/**
 * Each window's frames, decoded ahead of the audio; the promises never reject. With one frame per
 * window (the default) the frames of `group` windows come from one ffmpeg (media/frame-group.ts), and
 * the next group is decoded while this one is used; otherwise one window ahead, a process per window.
 */
class FrameAhead {
  private readonly pending = new Map<number, Promise<FrameResult>>();
  private readonly groups = new Map<number, Promise<GroupFrame[]>>();
  /** Group g holds windows [starts[g], starts[g + 1]). */
  private readonly starts: number[] = [0];
  private readonly file: string;
  private readonly plan: readonly MediaWindow[];
  private readonly times: (win: MediaWindow) => number[];
  private readonly reusePrevious: boolean;
  private readonly want: boolean;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal;
  /** Windows per ffmpeg; 1 where windows have several frames (they decode a window per process). */
  private readonly group: number;
  /** Seconds of video the header promises: a missing frame before (nearly) that is damage. */
  private readonly promised: number | undefined;
  /** The first time no frame could be found at or after (the video's real end): later ones are not tried. */
  private endedAt = Infinity;

  constructor(
    file: string,
    plan: readonly MediaWindow[],
    times: (win: MediaWindow) => number[],
    reusePrevious: boolean,
    want: boolean,
    timeoutMs: number,
    signal: AbortSignal,
    group: number,
    promised: number | undefined,
  ) {
    this.file = file;
    this.plan = plan;
    this.times = times;
    this.reusePrevious = reusePrevious;
    this.want = want;
    this.timeoutMs = timeoutMs;
    this.signal = signal;
    this.group = group;
    this.promised = promised;
    // Groups grow 2, 4, 8, … up to `group`: the first window waits for a small process only, so a new
    // file's first batch reaches inference soon (the previous file's batches are done by then).
    for (let size = 2; this.starts.at(-1)! < plan.length; size = Math.min(group, size * 2)) this.starts.push(this.starts.at(-1)! + size);
  }

  private groupOf(i: number): number {
    let g = 0;
    while (this.starts[g + 1]! <= i) g++;
    return g;
  }

  /** A frame missing well before the end the header promises is damage, not the end of the video. */
  private judge(first: number, err: unknown): MediaError {
    const error = err instanceof MediaError ? err : new MediaError(this.file, `decoding frames failed: ${String(err)}`, err);
    if (error instanceof DamagedMediaError || !/no video frame at/.test(error.message)) return error;
    this.endedAt = Math.min(this.endedAt, first);
    const p = this.promised;
    if (p === undefined || first >= p - truncationTolerance(p)) return error;
    return new DamagedMediaError(this.file, `no picture at ${first.toFixed(1)} s of ${p.toFixed(1)} s: the video data ends early or cannot be read`, error);
  }

  private async decodeAll(win: MediaWindow): Promise<FrameResult> {
    const times = this.times(win);
    const first = Math.min(...times);
    try {
      // decodeFrameRgb found no frame at or after endedAt even decoding from the start: none later either.
      if (first >= this.endedAt) throw new MediaError(this.file, `no video frame at ${first.toFixed(6)} s (past the end, or no video stream)`);
      return { frames: await decodeFramesRgb(this.file, win.start, times, { timeoutMs: this.timeoutMs, signal: this.signal, reusePrevious: this.reusePrevious, rejectDamaged: true }) };
    } catch (err) {
      return { error: this.judge(first, err) };
    }
  }

  private ensureGroup(g: number): void {
    const from = this.starts[g];
    if (from === undefined || from >= this.plan.length || this.groups.has(g)) return;
    const times = this.plan.slice(from, this.starts[g + 1]).map((w) => this.times(w)[0]!);
    this.groups.set(g, decodeFrameGroup(this.file, times, { timeoutMs: this.timeoutMs, signal: this.signal, rejectDamaged: true }));
  }

  /** Decode window i's frames for `win` instead (a window shortened at a cut). */
  retarget(i: number, win: MediaWindow): void {
    if (this.want) this.pending.set(i, this.decodeAll(win));
  }

  ensure(i: number): void {
    if (!this.want || i >= this.plan.length) return;
    if (this.group > 1) return this.ensureGroup(this.groupOf(i));
    if (!this.pending.has(i)) this.pending.set(i, this.decodeAll(this.plan[i]!));
  }

  async take(i: number): Promise<{ frames: RgbFrame[] | null; failure?: WindowFailure }> {
    if (!this.want) return { frames: null };
    let r: FrameResult;
    const retargeted = this.group > 1 ? this.pending.get(i) : undefined;
    if (this.group > 1) {
      const g = this.groupOf(i);
      this.ensureGroup(g);
      this.ensureGroup(g + 1);
      const got = (await this.groups.get(g)!)[i - this.starts[g]!]!;
      // The group's last window: its pictures are no longer needed here.
      if (i === Math.min(this.plan.length, this.starts[g + 1]!) - 1) this.groups.delete(g);
      r = 'frame' in got ? { frames: [got.frame] } : { error: this.judge(this.times(this.plan[i]!)[0]!, got.error) };
      if (retargeted !== undefined) {
        r = await retargeted;
        this.pending.delete(i);
      }
    } else {
      this.ensure(i);
      this.ensure(i + 1);
      r = await this.pending.get(i)!;
      this.pending.delete(i);
    }
    if ('frames' in r) return { frames: r.frames };
    return { frames: null, failure: { index: i, what: 'frame', error: r.error } };
  }

  /** Waits for decodes still running ahead (after an abort they end quickly). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending.values(), ...this.groups.values()]);
  }
}

/** Stream `file` window by window; see DecodeWindowsOptions. Rejects with a MediaError naming the file. */
export async function decodeWindows(
  file: string,
  info: MediaInfo,
  plan: readonly MediaWindow[],
  options: DecodeWindowsOptions,
): Promise<DecodeWindowsResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const wantAudio = options.audio !== false && info.audio.length > 0;
  const wantFrames = options.frames !== false && info.video.length > 0;
  const failures: WindowFailure[] = [];
  const inner = new AbortController();
  const onOuterAbort = (): void => inner.abort();
  if (options.signal?.aborted) throw new MediaError(file, 'decoding windows was cancelled');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const k = options.framesPerWindow ?? 1;
  checkFramesPerWindow(k);
  const videoPromised = info.video[0]?.duration ?? info.duration;
  // Clip frames (frame-level models) may fall past a short file's last frame: the one before stands in.
  const v = info.video[0];
  const group = k === 1 && options.frameTimes === undefined && v !== undefined ? frameGroupSize(v.displayWidth, v.displayHeight) : 1;
  const frames = new FrameAhead(file, plan, options.frameTimes ?? ((win) => windowFrameTimes(win, k)), options.frameTimes !== undefined, wantFrames, timeoutMs, inner.signal, group, videoPromised);
  const log = new DamageLog();

  let emitted = 0;
  let consumerError: { error: unknown } | undefined;
  const emit = async (i: number, win: MediaWindow, audioIn: Float32Array | null, audioFailure: WindowFailure | undefined): Promise<void> => {
    let { frames: got, failure } = await frames.take(i);
    if (options.signal?.aborted) throw new MediaError(file, 'decoding windows was cancelled');
    let audio = audioIn;
    const heard = audio !== null ? log.find(win.start, win.end, 'audio') : undefined;
    if (heard !== undefined) {
      audio = null;
      audioFailure = { index: i, what: 'audio', error: new DamagedMediaError(file, `corrupt audio data at ${heard.at.toFixed(1)} s (${heard.line})`) };
    }
    const seen = got !== null ? log.find(win.start, win.end, 'video') : undefined;
    if (seen !== undefined) {
      got = null;
      failure = { index: i, what: 'frame', error: new DamagedMediaError(file, `corrupt video data at ${seen.at.toFixed(1)} s (${seen.line})`) };
    }
    const mine = [audioFailure, failure].filter((f): f is WindowFailure => f !== undefined);
    failures.push(...mine);
    if (audio === null && got === null && (wantAudio || wantFrames) && mine.length > 0) return;
    try {
      await options.onWindow(win, audio, got, mine);
    } catch (error) {
      consumerError = { error };
      throw error;
    }
    emitted++;
  };

  const buffer = new SampleBuffer();
  let delivered = 0;
  try {
    frames.ensure(0);
    if (!wantAudio) {
      for (let next = 0; next < plan.length; next++) await emit(next, plan[next]!, null, undefined);
    } else if (plan.length > 0) {
      delivered = await streamWindows(file, info, plan, buffer, log, frames, emit, { timeoutMs, signal: inner.signal, chunkSamples: options.chunkSamples, watchVideo: wantFrames });
    }
  } catch (err) {
    if (consumerError !== undefined) throw consumerError.error;
    if (options.signal?.aborted) throw new MediaError(file, 'decoding windows was cancelled', err);
    if (err instanceof MediaError) throw err;
    throw new MediaError(file, `decoding windows failed: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    // Stop frame decodes still running ahead (their promises never reject).
    inner.abort();
    await frames.settled();
  }
  return { windows: emitted, audioSamples: delivered, peakBufferedSamples: buffer.peak, failures };
}

type Emit = (i: number, win: MediaWindow, audio: Float32Array | null, failure: WindowFailure | undefined) => Promise<void>;

/**
 * The audio half: stream the first audio track once, hand each window its exact samples once the audio
 * is HOLD_SECONDS past its end (so damage lines about it have arrived), and at the end judge the
 * length: a cut file keeps the windows before the cut. Returns the samples decoded.
 */
async function streamWindows(
  file: string,
  info: MediaInfo,
  plan: readonly MediaWindow[],
  buffer: SampleBuffer,
  log: DamageLog,
  frames: FrameAhead,
  emit: Emit,
  o: { timeoutMs: number; signal: AbortSignal; chunkSamples: number | undefined; watchVideo: boolean },
): Promise<number> {
  const bounds = plan.map((w) => [toSamples(w.start), toSamples(w.end)] as const);
  const hold = toSamples(HOLD_SECONDS);
  const endSample = Math.max(...bounds.map((b) => b[1]));
  let next = 0;
  const advance = (): void => {
    next++;
    buffer.dropBefore(next < plan.length ? Math.min(...bounds.slice(next).map((b) => b[0])) : Infinity);
  };
  const flush = async (): Promise<void> => {
    while (next < plan.length && bounds[next]![1] + hold <= buffer.end) {
      const [s0, s1] = bounds[next]!;
      await emit(next, plan[next]!, buffer.slice(s0, s1), undefined);
      advance();
    }
  };
  buffer.skipTo(Math.min(...bounds.map((b) => b[0])));
  const delivered = await streamAudio(
    file,
    async (chunk, offset) => {
      // Keep only what some pending window still needs.
      const keepFrom = next < plan.length ? bounds[next]![0] : Infinity;
      const from = Math.max(0, keepFrom - offset);
      if (from < chunk.length) {
        buffer.skipTo(offset + from);
        buffer.append(from > 0 ? chunk.subarray(from) : chunk);
      }
      await flush();
    },
    {
      duration: endSample / SAMPLE_RATE,
      chunkSamples: o.chunkSamples ?? 2 * SAMPLE_RATE,
      idleTimeoutMs: o.timeoutMs,
      signal: o.signal,
      watch: {
        streams: { audio: info.audio[0]!.index, ...(info.video[0] ? { video: info.video[0].index } : {}) },
        video: o.watchVideo,
        onDamage: (r) => log.add(r),
      },
      fillGaps: true,
    },
  );
  // Judged against what the header promises for this stream (else, for audio-only files, the file).
  const promised = info.audio[0]!.duration ?? (info.video.length === 0 ? info.duration : undefined);
  const expected = promised !== undefined ? Math.min(endSample, toSamples(promised)) : 0;
  const cut = promised !== undefined && delivered < expected - toSamples(truncationTolerance(promised)) ? delivered : undefined;
  for (; next < plan.length; advance()) {
    const win = plan[next]!;
    const [s0, s1] = bounds[next]!;
    if (cut === undefined || s1 <= cut) {
      const audio = buffer.slice(s0, s1);
      const failure: WindowFailure | undefined =
        audio === null ? { index: next, what: 'audio', error: new MediaError(file, `no audio for window ${next} (the audio ends at ${(delivered / SAMPLE_RATE).toFixed(3)} s)`) } : undefined;
      await emit(next, win, audio, failure);
      continue;
    }
    const why = `the file is cut short: sound ends at ${(cut / SAMPLE_RATE).toFixed(1)} s of ${promised!.toFixed(1)} s`;
    if (cut - s0 >= toSamples(DEFAULT_MIN_LAST_SECONDS)) {
      // The window across the cut keeps its intact part, with that part's middle frame.
      const shortened: MediaWindow = { index: win.index, start: win.start, end: cut / SAMPLE_RATE, middle: (s0 + cut) / 2 / SAMPLE_RATE };
      frames.retarget(next, shortened);
      await emit(next, shortened, buffer.slice(s0, cut), { index: next, what: 'audio', error: new DamagedMediaError(file, why) });
      continue;
    }
    // Past the cut: no sound; a picture only if the video's data happens to reach further.
    await emit(next, win, null, { index: next, what: 'audio', error: new DamagedMediaError(file, why) });
  }
  return delivered;
}
