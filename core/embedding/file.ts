// One media file (or one window of it) in, one CAV-MAE embedding out: `foley embed`, `foley features`
// and image queries. They prepare inputs and run the encoder like indexing does (inputs.ts, batch.ts).
import { decodeAudio } from '../../media/audio.ts';
import { decodeImageRgb } from '../../media/image.ts';
import type { RgbFrame } from '../../media/image.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import type { Modality, ProviderName } from '../../base/types.ts';
import { FoleyError } from '../../base/errors.ts';
import { DEFAULT_WINDOW_SECONDS } from '../../base/window-plan.ts';
import type { InstalledModel } from '../models/store.ts';
import { BatchEmbedder } from './batch.ts';
import { encoderFor } from './encoders.ts';
import { audioInput, DEFAULT_AUDIO_INPUT_SHAPE, hasUsableAudio, imageInput } from './inputs.ts';

export interface EmbeddingResult {
  readonly embedding: Float32Array;
  readonly modality: Modality;
  readonly model: string;
  readonly provider: ProviderName;
}

export interface AudioWindowOptions {
  readonly start?: number;
  readonly seconds?: number;
  /**
   * Frame-level models (CAV-MAE Sync): which frame of the window's clip the sound is embedded as
   * (its own 4.16-s stretch); default the family's middle frame. Refused for whole-window models.
   */
  readonly frame?: number;
}

/** The audio input of one window of a file: [frames, bins] time-major, what the audio graph is fed. */
export interface AudioWindowFeatures {
  readonly shape: readonly [number, number];
  readonly data: Float32Array;
}

/** One window of a file's audio as 16-kHz samples; a FoleyError naming the file when it has none there. */
export async function decodeWindowSamples(file: string, options: AudioWindowOptions): Promise<Float32Array> {
  const start = options.start ?? 0;
  if (!Number.isFinite(start) || start < 0) throw new FoleyError(`--start must be a number of seconds >= 0 (got ${start})`);
  const seconds = options.seconds ?? DEFAULT_WINDOW_SECONDS;
  const samples = await decodeAudio(file, { start, duration: seconds });
  if (samples.length === 0) throw new FoleyError(`no audio at ${start} s`, { file });
  if (!hasUsableAudio(samples)) throw new FoleyError(`only ${samples.length} samples of audio at ${start} s: too short for one 25-ms frame`, { file });
  return samples;
}

/** The normalised fbank of one window, as the default model family prepares it (no model needed). */
export async function audioWindowFeatures(file: string, options: AudioWindowOptions = {}): Promise<AudioWindowFeatures> {
  return { shape: DEFAULT_AUDIO_INPUT_SHAPE, data: audioInput(null, await decodeWindowSamples(file, options)) };
}

/** One input through the same batching path as indexing (a batch of one). */
async function embedOne(encoder: Encoder, modality: Modality, input: Float32Array): Promise<Float32Array> {
  let embedding: Float32Array = new Float32Array(0);
  const embedder = new BatchEmbedder(encoder, { batchSize: 1 });
  await embedder.add(modality, input, (v) => (embedding = v));
  await embedder.finish();
  return embedding;
}

/** The audio input of one window for this encoder: its frame's stretch for a frame-level model. */
function windowAudioInput(encoder: Encoder, samples: Float32Array, frame: number | undefined): Float32Array {
  const frames = encoder.frameLevel();
  if (frames === undefined) {
    if (frame !== undefined) throw new FoleyError(`--frame applies to frame-level models (CAV-MAE Sync); ${encoder.family.title} embeds whole windows`);
    return audioInput(encoder, samples);
  }
  const k = frame ?? frames.defaultFrame;
  if (!Number.isInteger(k) || k < 0 || k >= frames.framesPerClip) throw new FoleyError(`--frame must be a whole number from 0 to ${frames.framesPerClip - 1} (got ${k})`);
  return encoder.frameAudioInputs(samples, [k])[0]!;
}

export async function embedAudioFile(model: InstalledModel, file: string, options: AudioWindowOptions & SessionOptions = {}): Promise<EmbeddingResult> {
  const encoder = encoderFor(model, options);
  const embedding = await embedOne(encoder, 'audio', windowAudioInput(encoder, await decodeWindowSamples(file, options), options.frame));
  return { embedding, modality: 'audio', model: model.manifest.name, provider: await encoder.provider('audio') };
}

export async function embedImageFile(model: InstalledModel, file: string, options: SessionOptions = {}): Promise<EmbeddingResult> {
  const encoder = encoderFor(model, options);
  const embedding = await embedOne(encoder, 'visual', imageInput(encoder, await decodeImageRgb(file)));
  return { embedding, modality: 'visual', model: model.manifest.name, provider: await encoder.provider('visual') };
}

/** A decoded frame (full resolution, upright) through the picture path: a window's frame, as indexing feeds it. */
export async function embedFrame(model: InstalledModel, frame: RgbFrame, options: SessionOptions = {}): Promise<EmbeddingResult> {
  const encoder = encoderFor(model, options);
  const embedding = await embedOne(encoder, 'visual', imageInput(encoder, frame));
  return { embedding, modality: 'visual', model: model.manifest.name, provider: await encoder.provider('visual') };
}
