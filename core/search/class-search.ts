// Search by class name (`foley search --text NAME`): the windows a fine-tuned classifier gives the
// highest probability for the class(es) the name stands for, merged into moments like every search
// (adjacent windows of a file). The probabilities come from the logits the tagger stored at index
// time (core/tagging); untagged windows are not classified here. Class names only label logit
// indices, so renaming never re-tags.
import { bestClassWindows } from '../tagging/class-ranking.ts';
import { activationFor } from '../tagging/probability.ts';
import type { ModelClass } from '../../db/learning.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import { classNames } from '../learning/classes.ts';
import type { ClassNamesSource } from '../learning/classes.ts';
import { classesForText } from '../learning/class-suggest.ts';
import { page, toMoments } from './moments.ts';
import type { SearchIn, SearchResult } from './types.ts';

export interface ClassSearchRequest {
  readonly text: string;
  /** Installed model name; default: the default model. */
  readonly model?: string;
  /** Default 10. */
  readonly top?: number;
  readonly offset?: number;
  /** Merge adjacent windows of a file into moments (default true). */
  readonly merge?: boolean;
}

export interface ClassSearchResult extends SearchResult {
  /** Display name of the class that gave the moment its score. */
  readonly class: string;
  readonly classIndex: number;
  /** AudioSet ontology id; '' when the class list has none. */
  readonly mid: string;
}

export interface ClassSearchResponse {
  readonly results: ClassSearchResult[];
  readonly query: {
    readonly kind: 'text';
    readonly text: string;
    readonly model: string;
    /** The classes the text stands for. */
    readonly classes: readonly ModelClass[];
    /** Where the model's class names come from: the user's CSV or a shipped list. */
    readonly names: ClassNamesSource;
  };
  readonly offset: number;
  readonly top: number;
  readonly hasMore: boolean;
  /** Windows classified now because they had no stored scores. */
  readonly scored: number;
  readonly timings: { readonly scoreMs: number; readonly searchMs: number };
}

const MATCHED: Readonly<Record<string, SearchIn>> = { audioonly: 'audio', missingvideoonly: 'audio', videoonly: 'visual', missingaudioonly: 'visual', multimodal: 'both' };

// `session` is no longer used (nothing is classified here since tagging moved to index time); kept so
// callers do not change before the in-memory score cache replaces this module.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export async function searchByClass(library: Library, request: ClassSearchRequest, session: SessionOptions = {}): Promise<ClassSearchResponse> {
  const model = await resolveModel(library.dataDir, request.model);
  const numClasses = model.manifest.config.numClasses;
  if (numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier: --text needs a fine-tuned checkpoint (e.g. AudioSet or VGGSound)`);
  const modelId = modelRecord(library, model).id;
  const names = classNames(library, modelId, numClasses);
  if (names.source === null) throw new FoleyError(`model ${model.manifest.name} has ${numClasses} classes and no names: give them with foley label classes CSV`, { code: 'not_found' });
  const classes = classesForText(library, modelId, numClasses, request.text);
  if (classes.length === 0) throw new FoleyError(`no class of ${model.manifest.name} is called "${request.text}"`, { code: 'not_found' });
  const t0 = performance.now();
  // Tagging happens at index time (or `foley tag`); nothing is classified on demand here.
  const scored = 0;
  const t1 = performance.now();
  const top = request.top ?? 10;
  const offset = request.offset ?? 0;
  // Merged moments use several windows each; enough candidates for the page and to know if there is more.
  const hits = bestClassWindows(library.db, modelId, classes.map((c) => c.index), activationFor(numClasses), (offset + top + 1) * 8);
  const byWindow = new Map(hits.map((h) => [h.windowId, h]));
  const moments = toMoments(library.db, hits.map((h) => ({ id: h.windowId, score: h.score, scores: {} })), 'both', request.merge ?? true);
  const byIndex = new Map(classes.map((c) => [c.index, c]));
  const results = page(moments, offset, top).map((m) => {
    const hit = byWindow.get(m.window.id)!;
    const cls = byIndex.get(hit.classIndex)!;
    return { ...m, matched: MATCHED[hit.mode] ?? 'both', class: cls.name, classIndex: cls.index, mid: cls.mid };
  });
  return {
    results,
    query: { kind: 'text', text: request.text, model: model.manifest.name, classes, names: names.source },
    offset,
    top,
    hasMore: moments.length > offset + top,
    scored,
    timings: { scoreMs: t1 - t0, searchMs: performance.now() - t1 },
  };
}
