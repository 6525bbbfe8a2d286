// Model inputs: the one place where decoded media becomes what an encoder graph is fed. Indexing,
// query embedding, class scoring and `foley embed`/`foley features` all prepare their inputs here; the
// model's family (native-models/<family>/preprocess.ts, through the encoder) says how.
import { DEFAULT_AUDIO_INPUT_SHAPE, defaultAudioInput } from '../../native-models/registry.ts';
import type { RgbImage } from '../../native-models/preprocess/resample.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { MIN_AUDIO_SAMPLES } from '../../base/window-plan.ts';

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
