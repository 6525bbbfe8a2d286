// What CAV-MAE was trained on, as arguments to the shared DSP (spec §1–2): the official loader's
// torchaudio.compliance.kaldi.fbank call, its length handling and AudioSet statistics, and the
// torchvision image pipeline at 224 px with ImageNet statistics.
import { computeFbank, fitAndNormalise } from '../preprocess/fbank.ts';
import type { FbankOptions } from '../preprocess/fbank.ts';
import { normalisedImage } from '../preprocess/image.ts';
import type { ImageNormalisation } from '../preprocess/image.ts';
import type { RgbImage } from '../preprocess/resample.ts';
import type { CavMaeConfig } from './config.ts';

/** What the model was trained on (spec §1.1): audio must be resampled to this before the fbank. */
const SAMPLE_RATE = 16000;
export const MEL_BINS = 128;
/** Spectrogram frames of every released checkpoint (≈ 10.24 s). */
export const TARGET_FRAMES = 1024;
/** AudioSet statistics used by every CAV-MAE checkpoint, AudioSet and VGGSound alike (spec §1.4). */
export const FBANK_MEAN = -5.081;
export const FBANK_STD = 4.4849;
export const IMAGE_SIZE = 224;

/** The official call (spec §1.2): 128 bins, 25/10 ms, torchaudio's other defaults; the loader removes the clip mean. */
export const FBANK: FbankOptions = { sampleRate: SAMPLE_RATE, melBins: MEL_BINS, subtractClipMean: true };

/** ImageNet statistics, as torchvision Normalize gets them in the official loader. */
const IMAGE: ImageNormalisation = { size: IMAGE_SIZE, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * Model input [targetFrames, 128] from nFrames rows of raw fbank: padded with zero rows or cut to the
 * first targetFrames, then (x + 5.081) / 4.4849 — padding therefore becomes +1.13291.
 */
export function fbankInput(fbank: Float32Array, nFrames: number, targetFrames = TARGET_FRAMES): Float32Array {
  return fitAndNormalise(fbank, nFrames, { melBins: MEL_BINS, targetFrames, mean: FBANK_MEAN, std: FBANK_STD });
}

/** 16 kHz mono samples in [-1, 1) → the normalised [audioFrames, 128] input of the audio graph (1024 frames unless the config says otherwise). */
export function audioInput(samples: Float32Array, config: Pick<CavMaeConfig, 'audioFrames'> = { audioFrames: TARGET_FRAMES }): Float32Array {
  const fbank = computeFbank(samples, FBANK);
  return fbankInput(fbank, fbank.length / MEL_BINS, config.audioFrames);
}

/** RGB image of any size → the [3, S, S] input of the visual graph (S = 224 unless the config says otherwise). */
export function imageInput(rgb: RgbImage, config: Pick<CavMaeConfig, 'imageSize'> = { imageSize: IMAGE_SIZE }): Float32Array {
  return normalisedImage(rgb, { ...IMAGE, size: config.imageSize });
}
