// How far tagging is, for `foley status` and the Models page: which model tags, how, and how many of
// the library's windows it has tagged.
import { classLogitsCoverage, classLogitsModes, lastTaggingMsPerWindow } from '../../db/class-logits.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { listModels } from '../models/store.ts';
import { pausedTagJob, runningTagJob } from './job.ts';
import { tagRecipe, taggingModels } from './tagger.ts';
import type { TagRecipe } from './tagger.ts';

export interface TaggingStatus {
  /** The model that tags (the best installed fine-tuned one). */
  readonly model: string;
  readonly recipe: TagRecipe;
  /** How the tagged windows were tagged: (mode, frames) with counts, most common first. */
  readonly modes: readonly { readonly mode: string; readonly frames: number; readonly windows: number }[];
  readonly tagged: number;
  readonly windows: number;
  /** A tagging run is under way (in this process or another). */
  readonly running: boolean;
  /** A tagging run is paused (the app's Pause, or `foley jobs pause ID`). */
  readonly paused: boolean;
  /**
   * Measured cost of the last library tagging run: ms of wall time per window (decoding included, time
   * held back for searches excluded); null before the first.
   */
  readonly msPerWindow: number | null;
}

/** Null when no installed model can tag (none has a classifier head). */
export async function taggingStatus(library: Library): Promise<TaggingStatus | null> {
  const model = taggingModels(await listModels(library.dataDir))[0];
  if (model === undefined) return null;
  const modelId = modelRecord(library, model).id;
  const { tagged, windows } = classLogitsCoverage(library.db, modelId);
  return {
    model: model.manifest.name,
    recipe: tagRecipe(model),
    modes: classLogitsModes(library.db, modelId),
    tagged,
    windows,
    running: runningTagJob(library.db, modelId) !== undefined,
    paused: pausedTagJob(library.db, modelId) !== undefined,
    msPerWindow: lastTaggingMsPerWindow(library.db, modelId),
  };
}
