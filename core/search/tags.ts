// What a fine-tuned classifier hears in one moment (`foley tags FILE@SECONDS`): the classes of the
// window containing that second, by probability: the stored logits (core/tagging) through the model's
// activation (sigmoid for AudioSet, softmax for VGGSound's 309 classes). A window not tagged yet is
// tagged on demand with its file's other untagged windows (not the library's), and the logits kept.
import path from 'node:path';
import { getFileByPath } from '../../db/files.ts';
import { windowClassLogits } from '../../db/class-logits.ts';
import { getWindow, windowAt } from '../../db/windows.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import { classNames } from '../learning/classes.ts';
import { activationFor, probabilities } from '../tagging/probability.ts';
import { tagLibrary } from '../tagging/tag-library.ts';
import type { ClassNamesSource } from '../learning/classes.ts';

export interface TagsRequest {
  readonly file: string;
  readonly at: number;
  readonly model?: string;
  /** Default 10. */
  readonly top?: number;
}

export interface Tag {
  readonly name: string;
  /** AudioSet ontology id; '' when the class list has none. */
  readonly mid: string;
  readonly score: number;
  readonly index: number;
}

export interface TagsResponse {
  /** Best first. */
  readonly tags: Tag[];
  readonly file: string;
  readonly window: { readonly id: number; readonly start: number; readonly end: number };
  readonly model: string;
  readonly names: ClassNamesSource;
  /** The classifier mode the window was tagged in. */
  readonly mode: string;
  /** Pictures whose probabilities were averaged (0: sound alone). */
  readonly frames: number;
  /** Windows tagged now (the file's, when this one had no logits). */
  readonly scored: number;
}

export async function tagsAt(library: Library, request: TagsRequest, session: SessionOptions = {}): Promise<TagsResponse> {
  const model = await resolveModel(library.dataDir, request.model);
  const numClasses = model.manifest.config.numClasses;
  if (numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier: tags need a fine-tuned checkpoint (e.g. AudioSet or VGGSound)`);
  const modelId = modelRecord(library, model).id;
  const names = classNames(library, modelId, numClasses);
  if (names.source === null) throw new FoleyError(`model ${model.manifest.name} has ${numClasses} classes and no names: give them with foley label classes CSV`, { code: 'not_found' });
  const file = getFileByPath(library.db, path.resolve(request.file)) ?? getFileByPath(library.db, request.file);
  if (file === undefined) throw new FoleyError('not in the library (index it first)', { file: path.resolve(request.file), code: 'not_found' });
  const windowId = windowAt(library.db, file.id, request.at);
  const window = windowId !== undefined ? getWindow(library.db, windowId) : undefined;
  if (window === undefined) throw new FoleyError('has no indexed windows', { file: file.path, code: 'not_found' });
  let stored = windowClassLogits(library.db, modelId, window.id);
  let scored = 0;
  if (stored === undefined) {
    scored = (await tagLibrary(library, model, { session, fileId: file.id })).tagged;
    stored = windowClassLogits(library.db, modelId, window.id);
  }
  if (stored === undefined) throw new FoleyError(`the window at ${request.at} s could not be classified`, { file: file.path, code: 'failed' });
  const scores = probabilities(stored.logits, activationFor(numClasses));
  const tags = names.classes
    .filter((c) => c.index < scores.length)
    .map((c) => ({ name: c.name, mid: c.mid, score: scores[c.index]!, index: c.index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, request.top ?? 10);
  return { tags, file: file.path, window: { id: window.id, start: window.startS, end: window.endS }, model: model.manifest.name, names: names.source, mode: stored.mode, frames: stored.frames, scored };
}
