// The model families Foley knows. A checkpoint's family is picked from its tensor names before any
// weight is read; an installed model's family is named by its configuration. Adding a family is a
// new folder plus one line in FAMILIES (and its config type in ModelConfig).
import { CheckpointError, FoleyError } from '../base/errors.ts';
import { cavmae } from './cavmae/family.ts';
import type { CavMaeConfig } from './cavmae/config.ts';
import { audioInput as cavMaeAudioInput, MEL_BINS, TARGET_FRAMES } from './cavmae/preprocess.ts';
import { cavmaeSync } from './cavmae-sync/family.ts';
import type { SyncConfig } from './cavmae-sync/config.ts';
import type { ModelFamily, TensorInfo } from './family.ts';

/** The configuration of a model of any known family, as a manifest stores it. */
export type ModelConfig = CavMaeConfig | SyncConfig;

const FAMILIES: readonly ModelFamily<ModelConfig>[] = [cavmae, cavmaeSync];

/** Configurations without a `family` field were written before there were families: CAV-MAE. */
const DEFAULT_FAMILY = cavmae;

/** The one family whose tensor vocabulary this checkpoint uses; a CheckpointError naming the file when none. */
export function familyOfCheckpoint(file: string, tensors: readonly TensorInfo[]): ModelFamily<ModelConfig> {
  const reasons: string[] = [];
  for (const family of FAMILIES) {
    const reason = family.mismatch(tensors);
    if (reason === undefined) return family;
    reasons.push(reason);
  }
  throw new CheckpointError(file, reasons.join('; '));
}

/** The family an installed model's configuration belongs to. */
export function familyOfConfig(config: ModelConfig): ModelFamily<ModelConfig> {
  const name = config.family ?? DEFAULT_FAMILY.name;
  const family = FAMILIES.find((f) => f.name === name);
  if (family === undefined) {
    throw new FoleyError(`model family ${name} is not one this version of Foley knows (${FAMILIES.map((f) => f.name).join(', ')})`, {
      code: 'unsupported',
    });
  }
  return family;
}

/** [frames, bins] of the audio input the default family's released checkpoints take. */
export const DEFAULT_AUDIO_INPUT_SHAPE: readonly [number, number] = [TARGET_FRAMES, MEL_BINS];

/** 16 kHz samples → the default family's audio input, for when no model is at hand (`foley features`). */
export function defaultAudioInput(samples: Float32Array): Float32Array {
  return cavMaeAudioInput(samples);
}
