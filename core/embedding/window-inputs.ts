// A file's windows → model inputs, window by window: the decoding half of the embedding pipeline,
// shared by indexing (which batches the inputs through BatchEmbedder) and class scoring (which feeds
// them to the classifier). Audio too short for one fbank frame counts as absent (hasUsableAudio).
import type { MediaWindow } from '../../base/window-plan.ts';
import { clipFrameTime, FRAME_SLOTS, momentFrames } from '../../base/window-plan.ts';
import type { Modality } from '../../base/types.ts';
import { decodeWindows } from '../../media/decode-windows.ts';
import type { DecodeWindowsResult } from '../../media/decode-windows.ts';
import type { RgbFrame } from '../../media/image.ts';
import type { MediaInfo } from '../../media/probe.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { audioInput, hasUsableAudio, imageInput } from './inputs.ts';

/** One window's inputs; at least one modality is present. */
export interface WindowInputs {
  readonly win: MediaWindow;
  readonly audio?: Float32Array;
  /** One input per frame of the window (framesPerWindow of them; one, its middle, by default). */
  readonly visual?: readonly Float32Array[];
  /**
   * Frame-level models: the clip frames embedded, ascending; `audioFrames[i]` and `visual[i]` are
   * frame clipFrames[i]'s sound stretch and picture (and `audio` is absent).
   */
  readonly clipFrames?: readonly number[];
  readonly audioFrames?: readonly Float32Array[];
}

/**
 * The clip frames a frame-level model embeds in a window: `count` moments (base/window-plan.ts
 * momentFrames) whose picture lies inside it — a short last window keeps only its early frames. A
 * window too short for any of them (1 s, with 4 moments) gets the one clip frame nearest its middle,
 * so no window that has sound or picture goes unembedded.
 */
export function windowClipFrames(win: MediaWindow, count: number): number[] {
  const inside = (k: number): boolean => clipFrameTime(win.start, k) < win.end - 1e-6;
  const moments = momentFrames(count).filter(inside);
  if (moments.length > 0) return moments;
  const all = momentFrames(FRAME_SLOTS).filter(inside);
  const distance = (k: number): number => Math.abs(clipFrameTime(win.start, k) - win.middle);
  return [all.reduce((best, k) => (distance(k) < distance(best) ? k : best), all[0] ?? 0)];
}

/** Time per stage, added to when given (an index run's IndexStats fits). */
export interface StageTimes {
  decodeMs: number;
  featuresMs: number;
  thumbnailsMs: number;
}

export interface WindowInputOptions {
  /** Only these modalities (default both). */
  readonly modalities?: readonly Modality[];
  readonly signal?: AbortSignal;
  /** Called as each window arrives, before any work on it; a throw stops decoding (a failed batch). */
  readonly beforeWindow?: () => void;
  /**
   * Each window's full-resolution middle frame, as decoded, before it is reduced to a tensor (indexing
   * writes thumbnails here); a returned promise is awaited before decoding goes on. A throw fails the file.
   */
  readonly onFrame?: (win: MediaWindow, frame: RgbFrame) => void | Promise<void>;
  /** The consumer; a returned promise pauses decoding until it settles (backpressure). */
  readonly onInputs: (inputs: WindowInputs) => void | Promise<void>;
  readonly times?: StageTimes;
  /**
   * Frames per window (media/decode-windows.ts windowFrameTimes); default 1. For a frame-level model,
   * the moments per window (windowClipFrames).
   */
  readonly framesPerWindow?: number;
}

export async function decodeWindowInputs(
  file: string,
  info: MediaInfo,
  plan: readonly MediaWindow[],
  encoder: Encoder,
  options: WindowInputOptions,
): Promise<DecodeWindowsResult> {
  const times = options.times;
  // Decode time is ffmpeg's wall time not spent in this callback (features, thumbnails, the consumer).
  let inCallbacksMs = 0;
  const decodeStart = performance.now();
  const frameLevel = encoder.frameLevel() !== undefined;
  const moments = options.framesPerWindow ?? 1;
  const result = await decodeWindows(file, info, plan, {
    audio: options.modalities?.includes('audio') ?? true,
    frames: options.modalities?.includes('visual') ?? true,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(frameLevel
      ? { frameTimes: (win: MediaWindow) => windowClipFrames(win, moments).map((k) => clipFrameTime(win.start, k)) }
      : options.framesPerWindow !== undefined
        ? { framesPerWindow: options.framesPerWindow }
        : {}),
    onWindow: async (win, audio, frames) => {
      const entered = performance.now();
      options.beforeWindow?.();
      let t = performance.now();
      const usable = audio !== null && hasUsableAudio(audio) ? audio : undefined;
      const clipFrames = frameLevel ? windowClipFrames(win, moments) : undefined;
      const audioIn = usable !== undefined && clipFrames === undefined ? audioInput(encoder, usable) : undefined;
      const audioFrames = usable !== undefined && clipFrames !== undefined ? encoder.frameAudioInputs(usable, clipFrames) : undefined;
      if (times) times.featuresMs += performance.now() - t;
      t = performance.now();
      // The thumbnail is the window's middle frame: one of the K only when K is odd (and all of them
      // decoded); otherwise it is made on demand (core/indexing/thumbnails.ts ensureThumbnail).
      const k = options.framesPerWindow ?? 1;
      // A frame-level model's frames sit at clip times, never at the window's middle.
      const middle = !frameLevel && frames !== null && frames.length === k && k % 2 === 1 ? frames[(k - 1) / 2]! : undefined;
      if (middle !== undefined && options.onFrame !== undefined) await options.onFrame(win, middle);
      if (times) times.thumbnailsMs += performance.now() - t;
      t = performance.now();
      const visualIn = frames !== null ? frames.map((f) => imageInput(encoder, f)) : undefined;
      if (times) times.featuresMs += performance.now() - t;
      if (audioIn !== undefined || audioFrames !== undefined || visualIn !== undefined) {
        await options.onInputs({
          win,
          ...(audioIn !== undefined ? { audio: audioIn } : {}),
          ...(visualIn !== undefined ? { visual: visualIn } : {}),
          ...(clipFrames !== undefined ? { clipFrames } : {}),
          ...(audioFrames !== undefined ? { audioFrames } : {}),
        });
      }
      inCallbacksMs += performance.now() - entered;
    },
  });
  if (times) times.decodeMs += performance.now() - decodeStart - inCallbacksMs;
  return result;
}
