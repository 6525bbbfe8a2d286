// Which installed model tags: the one named (it must have a classifier head), else the best installed
// fine-tuned one (tagger.ts taggingModels), else none — indexing then simply does not tag. A search by
// class name (or the tags of a moment) uses the same model when the caller names none: the default
// model is usually a pretrained one with no classifier head.
import { FoleyError } from '../../base/errors.ts';
import { listModels, resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { taggingModels } from './tagger.ts';

/** Said wherever class names are asked for and no installed model has them. */
export const NO_TAGGING_MODEL = 'no tagging model installed: install a fine-tuned checkpoint (e.g. as2m-av, Models page or foley model download) to search by sound names';

export async function taggingModel(dataDir: string, name?: string): Promise<InstalledModel | undefined> {
  if (name === undefined) return taggingModels(await listModels(dataDir))[0];
  const model = await resolveModel(dataDir, name);
  if (model.manifest.config.numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier: tagging needs a fine-tuned checkpoint (e.g. AudioSet or VGGSound)`);
  return model;
}

/** `requested` when given (checked later by whoever resolves it), else the tagging model's name; none → conflict. */
export async function textSearchModel(dataDir: string, requested: string | undefined): Promise<string> {
  if (requested !== undefined) return requested;
  const model = await taggingModel(dataDir);
  // A state to change first (install a model), as 'no model installed' is everywhere: 'conflict'.
  if (model === undefined) throw new FoleyError(NO_TAGGING_MODEL, { code: 'conflict' });
  return model.manifest.name;
}
