// Embedding service: a media file (or a part of one) in, a CAV-MAE embedding out. The CLI's
// `embed`/`features`, indexing and search all go through here, so they share one preprocessing path.
import { decodeAudio } from '../media/audio.ts';
import { decodeImageRgb } from '../media/image.ts';
import { audioInput, imageInput } from '../native-models/cavmae/preprocess.ts';
import { Encoder } from '../native-models/runtime/encoder.ts';
import type { SessionOptions } from '../native-models/runtime/session.ts';
import type { ProviderName } from '../base/types.ts';
import { FoleyError } from '../base/errors.ts';
import type { InstalledModel } from './models/store.ts';
import { DEFAULT_WINDOW_SECONDS, SAMPLE_RATE } from '../base/window-plan.ts';
import type { Modality } from '../base/types.ts';


export interface EmbeddingResult {
  readonly embedding: Float32Array;
  readonly modality: Modality;
  readonly model: string;
  readonly provider: ProviderName;
}

const encoders = new Map<string, Encoder>();

/** One encoder (and so one set of sessions) per model and options for the life of the process. */
export function encoderFor(model: InstalledModel, options: SessionOptions = {}): Encoder {
  const key = `${model.dir}|${options.provider ?? 'auto'}|${options.threads ?? ''}`;
  let e = encoders.get(key);
  if (e === undefined) {
    e = new Encoder(model.dir, model.manifest.config, options);
    encoders.set(key, e);
  }
  return e;
}

export async function releaseEncoders(): Promise<void> {
  const all = [...encoders.values()];
  encoders.clear();
  for (const e of all) await e.release();
}

export interface AudioWindowOptions {
  readonly start?: number;
  readonly seconds?: number;
}

/** Normalised [frames, 128] fbank of one window of a file, exactly what the audio graph is fed. */
export async function audioWindowFeatures(file: string, frames: number, options: AudioWindowOptions = {}): Promise<Float32Array> {
  const start = options.start ?? 0;
  if (!Number.isFinite(start) || start < 0) throw new FoleyError(`--start must be a number of seconds >= 0 (got ${start})`);
  const seconds = options.seconds ?? DEFAULT_WINDOW_SECONDS;
  const samples = await decodeAudio(file, { start, duration: seconds });
  if (samples.length === 0) throw new FoleyError(`no audio at ${start} s`, { file });
  if (samples.length < 0.025 * SAMPLE_RATE) throw new FoleyError(`only ${samples.length} samples of audio at ${start} s: too short for one 25-ms frame`, { file });
  return audioInput(samples, { audioFrames: frames });
}

export async function embedAudioFile(model: InstalledModel, file: string, options: AudioWindowOptions & SessionOptions = {}): Promise<EmbeddingResult> {
  const encoder = encoderFor(model, options);
  const features = await audioWindowFeatures(file, encoder.config.audioFrames, options);
  const out = await encoder.encode('audio', features);
  return { embedding: out.embeddings, modality: 'audio', model: model.manifest.name, provider: await encoder.provider('audio') };
}

export async function embedImageFile(model: InstalledModel, file: string, options: SessionOptions = {}): Promise<EmbeddingResult> {
  const encoder = encoderFor(model, options);
  const rgb = await decodeImageRgb(file);
  const out = await encoder.encode('visual', imageInput(rgb));
  return { embedding: out.embeddings, modality: 'visual', model: model.manifest.name, provider: await encoder.provider('visual') };
}
