// Which model a search by class name (or the tags of a moment) uses when the caller names none. The
// default model is usually a pretrained one with no classifier head, so the answer is the model that
// tags the library (core/tagging/tagger.ts: the best installed fine-tuned one), not the default.
import { FoleyError } from '../../base/errors.ts';
import { listModels } from '../models/store.ts';
import { taggingModels } from '../tagging/tagger.ts';

/** Said wherever class names are asked for and no installed model has them. */
export const NO_TAGGING_MODEL = 'no tagging model installed: install a fine-tuned checkpoint (e.g. as2m-av, Models page or foley model download) to search by sound names';

/** The best installed model with a classifier head, or undefined when there is none. */
export async function taggingModelName(dataDir: string): Promise<string | undefined> {
  return taggingModels(await listModels(dataDir))[0]?.manifest.name;
}

/** `requested` when given (checked later by whoever resolves it), else the tagging model; none → conflict. */
export async function textSearchModel(dataDir: string, requested: string | undefined): Promise<string> {
  if (requested !== undefined) return requested;
  const name = await taggingModelName(dataDir);
  // A state to change first (install a model), as 'no model installed' is everywhere: 'conflict'.
  if (name === undefined) throw new FoleyError(NO_TAGGING_MODEL, { code: 'conflict' });
  return name;
}
