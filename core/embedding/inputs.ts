// Model inputs: the one place where decoded media becomes what an encoder graph is fed. Indexing,
// query embedding, class scoring and `foley embed`/`foley features` all prepare their inputs here; the
// model's family (native-models/<family>/preprocess.ts, through the encoder) says how.
import { DEFAULT_AUDIO_INPUT_SHAPE, defaultAudioInput } from '../../native-models/registry.ts';
import type { RgbImage } from '../../native-models/preprocess/resample.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { MIN_AUDIO_SAMPLES, SAMPLE_RATE } from '../../base/window-plan.ts';

export { DEFAULT_AUDIO_INPUT_SHAPE };

/**
 * Fewer samples than one 25-ms fbank frame (400 at 16 kHz) give the audio encoder no frame at all:
 * such audio is treated as absent (a window keeps only its picture, a query is refused).
 */
export function hasUsableAudio(samples: Float32Array): boolean {
  return samples.length >= MIN_AUDIO_SAMPLES;
}

/** 16-kHz mono samples → the audio graph's input. `null`: no model at hand, the default family's input. */
export function audioInput(encoder: Encoder | null, samples: Float32Array): Float32Array {
  return encoder === null ? defaultAudioInput(samples) : encoder.audioInput(samples);
}

/** An RGB picture (a video frame or an image file) → the visual graph's input. */
export function imageInput(encoder: Encoder, rgb: RgbImage): Float32Array {
  return encoder.imageInput(rgb);
}

/**
 * The audio inputs a sound query of one window is embedded as. A whole-window model: the window. A
 * frame-level model (Sync) hears 4.16-s stretches: those of every 4th frame (2, 6, 10, 14: together
 * the whole clip) that are at least half real sound, and always the first — so a 2-s bark is one
 * stretch, not a middle frame of padding. Their embeddings are averaged by the caller.
 */
export function soundQueryInputs(encoder: Encoder, samples: Float32Array): Float32Array[] {
  const level = encoder.frameLevel();
  if (level === undefined) return [audioInput(encoder, samples)];
  const seconds = samples.length / SAMPLE_RATE;
  const step = level.framesPerClip / 4;
  const frames: number[] = [];
  for (let k = Math.floor(step / 2); k < level.framesPerClip; k += step) {
    const [start, end] = level.soundSpan(k);
    if (frames.length === 0 || start < seconds - (end - start) / 2) frames.push(k);
  }
  return encoder.frameAudioInputs(samples, frames);
}
