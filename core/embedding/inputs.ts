// Model inputs: the one place where decoded media becomes what an encoder graph is fed. Indexing,
// query embedding, class scoring and `foley embed`/`foley features` all prepare their inputs here, so
// a model family with other preprocessing changes these two functions and nothing else.
import { audioFeatures, FBANK_BINS, TARGET_FRAMES } from '../../native-models/preprocess/fbank.ts';
import { imageToTensor } from '../../native-models/preprocess/image.ts';
import type { RgbImage } from '../../native-models/preprocess/image.ts';
import type { CavMaeEncoder } from '../../native-models/runtime/encoder.ts';

/**
 * Fewer samples than one 25-ms fbank frame (400 at 16 kHz) give the audio encoder no frame at all:
 * such audio is treated as absent (a window keeps only its picture, a query is refused).
 */
export const MIN_AUDIO_SAMPLES = 400;

/** Whether decoded audio is long enough for the model to see anything of it. */
export function hasUsableAudio(samples: Float32Array): boolean {
  return samples.length >= MIN_AUDIO_SAMPLES;
}

/** [frames, bins] of the audio input when no model is at hand (`foley features`): CAV-MAE's. */
export const DEFAULT_AUDIO_INPUT_SHAPE: readonly [number, number] = [TARGET_FRAMES, FBANK_BINS];

/**
 * 16-kHz mono samples → the audio graph's input (normalised fbank, padded/cut to the model's frames).
 * `null`: no model at hand, the default shape above.
 */
export function audioInput(encoder: CavMaeEncoder | null, samples: Float32Array): Float32Array {
  return audioFeatures(samples, encoder?.config.audioFrames ?? TARGET_FRAMES);
}

/**
 * An RGB picture (a video frame or an image file) → the visual graph's input [3, S, S]. The encoder is
 * not consulted yet: the one model family crops to 224 px; it is what will say which family it is.
 */
export function imageInput(encoder: CavMaeEncoder, rgb: RgbImage): Float32Array {
  return imageToTensor(rgb);
}
