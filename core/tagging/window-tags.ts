// One window → the logits stored for it, per the model's recipe (tagger.ts) and what the window has.
// A window missing a modality is tagged with what it has:
//   audio-visual recipe, no picture → missingaudioonly (frames 0); no sound → missingvideoonly over the
//     K pictures. These are CAVMAEFT's own paths for a multimodal checkpoint with one modality missing
//     (spec §3.4): the joint blocks still run, as in training, rather than the modality-specific ones
//     alone, which an audio-visual fine-tuned head never saw by themselves.
//   audio-only recipe, no sound → audioonly on silence (a window of zeros). An audio-only checkpoint's
//     visual weights are untrained for the task (spec §4.3), so its videoonly logits would be noise that
//     ranks silent windows at random; silence is what such a model hears there, and it says so.
// Several pictures: each picture's logits with the same sound (one batched pass, classifyPictures),
// stored as the logits whose probabilities are their mean (aggregateLogits, spec §2.1).
import type { ClassifierMode } from '../../native-models/cavmae/classifier.ts';
import { classifyPictures } from '../../native-models/cavmae/classifier.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { audioInput } from '../embedding/inputs.ts';
import { aggregateLogits } from './probability.ts';
import type { TagRecipe } from './tagger.ts';

export interface WindowTagInput {
  /** The window's fbank input; absent when it has no usable sound. */
  readonly audio?: Float32Array;
  /** Its pictures' inputs (the recipe's K, or fewer near the end of a video); absent without video. */
  readonly pictures?: readonly Float32Array[];
  /** Seconds: the length of the silence an audio-only recipe hears in a window without sound. */
  readonly seconds: number;
}

export interface WindowTags {
  readonly mode: ClassifierMode;
  /** Pictures whose probabilities were averaged (0: sound alone). */
  readonly frames: number;
  readonly logits: Float32Array;
}

const SAMPLE_RATE = 16_000;

/** The classifier path for a window, or null when nothing can be tagged (no sound, no picture, and a recipe that needs one). */
export function windowMode(recipe: TagRecipe, hasAudio: boolean, hasPictures: boolean): ClassifierMode | null {
  if (recipe.mode === 'audioonly') return 'audioonly';
  if (recipe.mode === 'videoonly') return hasPictures ? 'videoonly' : null;
  if (hasAudio && hasPictures) return 'multimodal';
  if (hasAudio) return 'missingaudioonly';
  if (hasPictures) return 'missingvideoonly';
  return null;
}

/** Whether the recipe looks at pictures at all (an audio-only one decodes none). */
export function recipeNeedsPictures(recipe: TagRecipe): boolean {
  return recipe.mode !== 'audioonly';
}

export async function tagWindow(encoder: Encoder, recipe: TagRecipe, input: WindowTagInput): Promise<WindowTags | null> {
  const pictures = input.pictures !== undefined && input.pictures.length > 0 ? input.pictures : undefined;
  const mode = windowMode(recipe, input.audio !== undefined, pictures !== undefined);
  if (mode === null) return null;
  const audio = input.audio ?? (mode === 'audioonly' ? audioInput(encoder, new Float32Array(Math.round(Math.max(1, input.seconds) * SAMPLE_RATE))) : undefined);
  const perPicture = await classifyPictures(encoder, mode, { ...(audio !== undefined ? { audio } : {}), ...(pictures !== undefined ? { pictures } : {}) });
  const frames = mode === 'audioonly' || mode === 'missingaudioonly' ? 0 : perPicture.length;
  return { mode, frames, logits: aggregateLogits(perPicture, recipe.activation) };
}
