// Which installed model tags the library, and how. Tagging needs a fine-tuned checkpoint (one with a
// classifier head); when several are installed the official audio-visual AudioSet one is preferred
// (527 everyday classes, the best mAP), then VGGSound, then audio-only files, then any other by name.
// The inference mode follows the official recipe for official files (spec §4.3, §5.2): `*-audio`
// files hear the sound alone; `as2m-av` / `vggsound-av` see 10 pictures per window with the same
// sound and average the probabilities. Other checkpoints run audio-visual with the window's middle
// picture, or K pictures at start + (i + 0.5)·W/K when the user asks for `--frames K`.
import type { InstalledModel } from '../models/store.ts';
import type { ClassifierMode } from '../../native-models/cavmae/classifier.ts';
import { activationFor } from './probability.ts';
import type { Activation } from './probability.ts';

export interface TagRecipe {
  /** The classifier path a window with both sound and pictures runs (fewer modalities fall back). */
  readonly mode: Extract<ClassifierMode, 'multimodal' | 'audioonly' | 'videoonly'>;
  /** Pictures per window whose probabilities are averaged; 0 for sound alone. */
  readonly frames: number;
  readonly activation: Activation;
  /** Why this recipe: 'official' (the file's published recipe) or 'default' / 'chosen' (--frames). */
  readonly source: 'official' | 'default' | 'chosen';
}

const PREFERENCE = ['as2m-av', 'vggsound-av', 'as2m-audio', 'vggsound-audio'];

/** The models that can tag: those with a classifier head, best first. */
export function taggingModels(models: readonly InstalledModel[]): InstalledModel[] {
  const rank = (m: InstalledModel): number => {
    const i = PREFERENCE.indexOf(m.manifest.name);
    return i === -1 ? PREFERENCE.length : i;
  };
  return models
    .filter((m) => m.manifest.config.numClasses !== null)
    .sort((a, b) => rank(a) - rank(b) || a.manifest.name.localeCompare(b.manifest.name));
}

/** How `model` tags a window; `frames` is the user's --frames K (non-official files only). */
export function tagRecipe(model: InstalledModel, frames?: number): TagRecipe {
  const numClasses = model.manifest.config.numClasses;
  if (numClasses === null) throw new Error(`model ${model.manifest.name} has no classifier head`);
  const activation = activationFor(numClasses);
  const name = model.manifest.name;
  if (PREFERENCE.includes(name)) {
    return name.endsWith('-audio') ? { mode: 'audioonly', frames: 0, activation, source: 'official' } : { mode: 'multimodal', frames: 10, activation, source: 'official' };
  }
  if (frames !== undefined) return { mode: 'multimodal', frames, activation, source: 'chosen' };
  return { mode: 'multimodal', frames: 1, activation, source: 'default' };
}
