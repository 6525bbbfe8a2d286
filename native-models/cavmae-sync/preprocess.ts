// What CAV-MAE Sync feeds its audio encoder (spec §6): the clip's usual CAV-MAE fbank (clip mean
// removed, padded or cut to 1,024 rows, AudioSet statistics), of which frame k sees 416 rows centred on
// the frame (`map_frame_to_spectrogram` in the official dataloader_sync.py), clamped to the clip.
// Pictures go through CAV-MAE's image pipeline unchanged.
import { computeFbank } from '../preprocess/fbank.ts';
import { FBANK, fbankInput, MEL_BINS, TARGET_FRAMES } from '../cavmae/preprocess.ts';
import type { SyncConfig } from './config.ts';

/** Frames per clip the released model was trained on (`total_frame=16`). */
export const FRAMES_PER_CLIP = 16;
/** The clip's fbank rows, as the official loader pads or cuts them (`target_length = 1024`). */
export const CLIP_FRAMES = TARGET_FRAMES;
/** Seconds per fbank row (10-ms shift). */
export const ROW_SECONDS = 0.01;
/** The frame a lone sound is embedded as: the middle of the clip (`foley embed --frame` default). */
export const DEFAULT_FRAME = 8;

type Segment = Pick<SyncConfig, 'audioFrames' | 'clipFrames' | 'framesPerClip'>;

/**
 * Rows [start, end) of the clip's fbank that frame k sees. Transcribes the official
 * map_frame_to_spectrogram: centred on round(k·clip/frames), clamped at both ends, so frames 0–3 share
 * rows 0–415 and frames 13–15 rows 608–1023 of a 1,024-row clip.
 */
export function segmentRows(frame: number, c: Segment): readonly [start: number, end: number] {
  if (!Number.isInteger(frame) || frame < 0 || frame >= c.framesPerClip) {
    throw new RangeError(`frame must be a whole number from 0 to ${c.framesPerClip - 1} (got ${frame})`);
  }
  // Python's round() is to even; k·1024/16 is a whole number for every k, so no tie ever arises.
  const position = Math.round((frame * c.clipFrames) / c.framesPerClip);
  let start = Math.max(0, position - Math.floor(c.audioFrames / 2));
  let end = start + c.audioFrames;
  if (end > c.clipFrames) {
    end = c.clipFrames;
    start = Math.max(0, end - c.audioFrames);
  }
  return [start, end];
}

/** One clip's 16-kHz samples → the [audioFrames, 128] input of each listed frame, from one fbank. */
export function frameAudioInputs(samples: Float32Array, c: Segment, frames: readonly number[]): Float32Array[] {
  const fbank = computeFbank(samples, FBANK);
  const clip = fbankInput(fbank, fbank.length / MEL_BINS, c.clipFrames);
  return frames.map((k) => {
    const [start, end] = segmentRows(k, c);
    return clip.slice(start * MEL_BINS, end * MEL_BINS);
  });
}

/** The audio input of one frame (the middle one unless named). */
export function audioInput(samples: Float32Array, c: Segment, frame = DEFAULT_FRAME): Float32Array {
  return frameAudioInputs(samples, c, [frame])[0]!;
}
