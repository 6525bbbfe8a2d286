// How much of a file one embedding sees. CAV-MAE was trained on 10-s clips (998 fbank frames, padded
// to 1024) with the middle frame (~5 s) as the picture, so a window is 10 s of audio and the frame at
// its middle unless the user picks another length.
export const DEFAULT_WINDOW_SECONDS = 10;
export const SAMPLE_RATE = 16000;
/** One 25-ms frame of 16 kHz audio: fewer samples than this hold no fbank frame, so no audio a model can see. */
export const MIN_AUDIO_SAMPLES = 400;
/** A trailing partial window shorter than this is dropped (unless it is the file's only window). */
export const DEFAULT_MIN_LAST_SECONDS = 1;

export function windowMiddle(start: number, seconds = DEFAULT_WINDOW_SECONDS): number {
  return start + seconds / 2;
}

export interface WindowPlanOptions {
  /** Window length in seconds. Default 10. */
  readonly window?: number;
  /** Seconds between window starts. Default = window (no overlap); smaller overlaps, larger skips. */
  readonly hop?: number;
  /** Keep a trailing partial window only if it holds at least this many seconds. Default 1. */
  readonly minLast?: number;
}

export interface MediaWindow {
  readonly index: number;
  /** Seconds; start·16000 and end·16000 are whole sample positions. */
  readonly start: number;
  readonly end: number;
  /** (start + end) / 2: where the window's picture is taken (of a full window: start + W/2). */
  readonly middle: number;
}

/** Seconds → whole 16 kHz samples, robust to float noise (10.000000000001 → 160000). */
export function toSamples(seconds: number): number {
  return Math.round(seconds * SAMPLE_RATE);
}

/**
 * Split `durationSeconds` into windows [start, end). Window k starts at k·hop and lasts `window`
 * seconds, cut at the end of the file. All arithmetic is done in whole 16 kHz samples, so boundaries
 * are exact sample positions and never drift (k·0.1 s summed in floating point would).
 * Rules: windows stop once one reaches the end of the file (with hop < window, no window lies wholly
 * inside the previous one); a trailing partial window is kept when it holds ≥ minLast seconds; a file
 * shorter than minLast still gets one window covering all of it (a short sound effect must stay
 * findable). A zero/unknown/negative duration gives no windows.
 */
export function planWindows(durationSeconds: number, options: WindowPlanOptions = {}): MediaWindow[] {
  const window = options.window ?? DEFAULT_WINDOW_SECONDS;
  const hop = options.hop ?? window;
  const minLast = options.minLast ?? DEFAULT_MIN_LAST_SECONDS;
  if (!(Number.isFinite(window) && window > 0)) throw new RangeError(`window must be a positive number of seconds, got ${window}`);
  if (!(Number.isFinite(hop) && hop > 0)) throw new RangeError(`hop must be a positive number of seconds, got ${hop}`);
  if (!(Number.isFinite(minLast) && minLast >= 0)) throw new RangeError(`minLast must be ≥ 0 seconds, got ${minLast}`);
  const w = toSamples(window);
  const h = toSamples(hop);
  if (w < 1 || h < 1) throw new RangeError(`window and hop must be at least one sample (1/${SAMPLE_RATE} s)`);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) return [];
  const total = toSamples(durationSeconds);
  if (total < 1) return [];
  const minSamples = toSamples(minLast);

  const out: MediaWindow[] = [];
  for (let k = 0; ; k++) {
    const s = k * h;
    if (s >= total) break;
    const e = Math.min(s + w, total);
    if (e - s < w && e - s < minSamples && out.length > 0) break;
    out.push({ index: out.length, start: s / SAMPLE_RATE, end: e / SAMPLE_RATE, middle: (s + e) / 2 / SAMPLE_RATE });
    if (e >= total) break;
  }
  return out;
}

/** Most frames a window may average (more costs a seek each and stops improving anything). */
export const MAX_FRAMES_PER_WINDOW = 16;

/** A RangeError unless 1 ≤ k ≤ MAX_FRAMES_PER_WINDOW, whole. */
export function checkFramesPerWindow(k: number): void {
  if (!(Number.isInteger(k) && k >= 1 && k <= MAX_FRAMES_PER_WINDOW)) throw new RangeError(`frames per window must be a whole number from 1 to ${MAX_FRAMES_PER_WINDOW} (got ${k})`);
}

/** Times of a window's K frames: the centres of K equal parts (K = 1: its middle, as the official inference takes). */
export function windowFrameTimes(win: MediaWindow, k = 1): number[] {
  checkFramesPerWindow(k);
  if (k === 1) return [win.middle];
  return Array.from({ length: k }, (_, i) => win.start + ((i + 0.5) * (win.end - win.start)) / k);
}

// Frame-level models (CAV-MAE Sync) store one vector per frame of a window's clip. A window's frames
// are a bit mask over at most FRAME_SLOTS clip frames; a vector's label in a search structure is
// windowId·FRAME_SLOTS + frame, so a hit names its window and its frame without a lookup table
// (whole-window models keep the window id as label). 2^53 / 16 leaves room for 5.6e14 windows.
export const FRAME_SLOTS = 16;
/** Seconds between a frame-level window's frames: CAV-MAE Sync's 1,024-row (10.24-s) clip over 16 frames. */
export const CLIP_FRAME_SECONDS = 0.64;

/** Where frame k of a window starting at `start` is seen: the first video frame at or after this time. */
export function clipFrameTime(start: number, frame: number): number {
  return start + frame * CLIP_FRAME_SECONDS;
}

export function frameLabel(windowId: number, frame: number): number {
  return windowId * FRAME_SLOTS + frame;
}

export function labelWindow(label: number): number {
  return Math.floor(label / FRAME_SLOTS);
}

export function labelFrame(label: number): number {
  return label % FRAME_SLOTS;
}

/** The frames a mask holds, ascending. */
export function maskFrames(mask: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < FRAME_SLOTS; k++) if ((mask >> k) & 1) out.push(k);
  return out;
}

export function framesMask(frames: readonly number[]): number {
  let mask = 0;
  for (const k of frames) {
    if (!(Number.isInteger(k) && k >= 0 && k < FRAME_SLOTS)) throw new RangeError(`frame ${k} is not one of 0..${FRAME_SLOTS - 1}`);
    mask |= 1 << k;
  }
  return mask;
}

/** Moments per window a frame-level model may index: every 16th, 8th, 4th, 2nd or every frame. */
export const MOMENT_COUNTS = [1, 2, 4, 8, 16] as const;

/**
 * The clip frames of `count` moments per window, each the centre of its share of the 16 frames
 * (count 1: frame 8, the middle; 4: frames 2, 6, 10, 14; 16: all).
 */
export function momentFrames(count: number, framesPerClip = FRAME_SLOTS): number[] {
  if (!(MOMENT_COUNTS as readonly number[]).includes(count) || count > framesPerClip) {
    throw new RangeError(`moments per window must be one of ${MOMENT_COUNTS.join(', ')} (got ${count})`);
  }
  const step = framesPerClip / count;
  return Array.from({ length: count }, (_, i) => i * step + Math.floor(step / 2));
}
