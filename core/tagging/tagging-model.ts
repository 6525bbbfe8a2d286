// Which installed model tags: the one named (it must have a classifier head), else the best installed
// fine-tuned one (tagger.ts taggingModels), else none — indexing then simply does not tag.
import { FoleyError } from '../../base/errors.ts';
import { listModels, resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { taggingModels } from './tagger.ts';

export async function taggingModel(dataDir: string, name?: string): Promise<InstalledModel | undefined> {
  if (name === undefined) return taggingModels(await listModels(dataDir))[0];
  const model = await resolveModel(dataDir, name);
  if (model.manifest.config.numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier: tagging needs a fine-tuned checkpoint (e.g. AudioSet or VGGSound)`);
  return model;
}
