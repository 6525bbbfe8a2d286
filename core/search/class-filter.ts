// A sound or picture query narrowed to a class (`foley search --audio x.wav --class dog`): the windows
// the tagging model gives that class at least `min` probability (default ½: the natural cut of a
// multi-label sigmoid, and a majority for a softmax), resolved to window ids like the other filters,
// so the similarity search ranks only among them. Read from the in-memory class ranking, exactly.
import { FoleyError } from '../../base/errors.ts';
import type { ModelClass } from '../../db/learning.ts';
import type { Library } from '../library/handle.ts';
import type { Activation } from '../tagging/probability.ts';
import { windowsAtLeast } from './class-rank-cache.ts';
import { notTaggedYet, resolveClassQuery } from './class-search.ts';
import { classLogitsCoverage } from '../../db/class-logits.ts';

export const DEFAULT_CLASS_MIN = 0.5;

export interface ClassFilterRequest {
  /** A class name as typed or picked ("dog", "Bark"). */
  readonly text: string;
  /** The model that tags; default: the tagging model. */
  readonly model?: string;
  /** Least probability, in (0, 1); default ½. */
  readonly min?: number;
}

export interface ClassFilterResult {
  readonly windows: Set<number>;
  readonly model: string;
  readonly classes: readonly ModelClass[];
  readonly min: number;
  /** Windows the model has tagged, of all: untagged ones cannot pass. */
  readonly tagged: number;
  readonly total: number;
}

/** The rank value (logit, or log-probability) a probability stands for. */
function rankOfProbability(p: number, activation: Activation): number {
  return activation === 'sigmoid' ? Math.log(p / (1 - p)) : Math.log(p);
}

export async function windowsOfClass(library: Library, request: ClassFilterRequest): Promise<ClassFilterResult> {
  const min = request.min ?? DEFAULT_CLASS_MIN;
  if (!(min > 0 && min < 1)) throw new FoleyError(`the least class probability must be between 0 and 1 (got ${min})`);
  const q = await resolveClassQuery(library, request.text, request.model);
  const { tagged, windows: total } = classLogitsCoverage(library.db, q.modelId);
  if (tagged === 0) throw notTaggedYet(q.model.manifest.name, request.model !== undefined);
  const windows = windowsAtLeast(library.db, q.modelId, q.classes.map((c) => c.index), rankOfProbability(min, q.activation), { numClasses: q.numClasses, activation: q.activation });
  return { windows, model: q.model.manifest.name, classes: q.classes, min, tagged, total };
}
