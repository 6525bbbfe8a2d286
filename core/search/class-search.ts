// Search by class name (`foley search --text NAME`): the windows a fine-tuned classifier gives the
// highest probability for the class(es) the name stands for, merged into moments like every search
// (adjacent windows of a file). It reads the logits tagging stored (core/tagging/), ranked in memory
// (class-rank-cache.ts), and never classifies at query time: untagged windows are simply not found
// yet, and the response says how many are tagged. Class names only label indices, so renaming never
// re-scores.
import type { ModelClass } from '../../db/learning.ts';
import { classLogitsCoverage } from '../../db/class-logits.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { classNames } from '../learning/classes.ts';
import type { ClassNamesSource } from '../learning/classes.ts';
import { classesForText } from '../learning/class-suggest.ts';
import { activationFor, probabilityOfRank } from '../tagging/probability.ts';
import type { Activation } from '../tagging/probability.ts';
import { topWindowsForClasses } from './class-rank-cache.ts';
import { textSearchModel } from '../tagging/tagging-model.ts';
import { page, toMoments } from './moments.ts';
import type { SearchIn, SearchResult } from './types.ts';

export interface ClassSearchRequest {
  readonly text: string;
  /** Installed model name; default: the best installed model that can tag (core/tagging/tagger.ts). */
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
    /** How probabilities are read from the stored logits: sigmoid (AudioSet) or softmax (VGGSound). */
    readonly activation: Activation;
  };
  readonly offset: number;
  readonly top: number;
  readonly hasMore: boolean;
  /** Windows the model has tagged, of all the library's: results come from the tagged ones. */
  readonly tagged: number;
  readonly windows: number;
  readonly timings: { readonly rankMs: number; readonly searchMs: number };
}

const MATCHED: Readonly<Record<string, SearchIn>> = { audioonly: 'audio', missingvideoonly: 'audio', videoonly: 'visual', missingaudioonly: 'visual', multimodal: 'both' };

/** A typed name resolved against a model: the classes it stands for and how to read their scores. */
export interface ClassQuery {
  readonly model: InstalledModel;
  readonly modelId: number;
  readonly numClasses: number;
  readonly names: ClassNamesSource;
  readonly classes: readonly ModelClass[];
  readonly activation: Activation;
}

/** The model (named, else the tagging model) and the classes `text` stands for; clear errors otherwise. */
export async function resolveClassQuery(library: Library, text: string, modelName?: string): Promise<ClassQuery> {
  const model = await resolveModel(library.dataDir, await textSearchModel(library.dataDir, modelName));
  const numClasses = model.manifest.config.numClasses;
  if (numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier: --text needs a fine-tuned checkpoint (e.g. AudioSet or VGGSound)`);
  const modelId = modelRecord(library, model).id;
  const names = classNames(library, modelId, numClasses);
  if (names.source === null) throw new FoleyError(`model ${model.manifest.name} has ${numClasses} classes and no names: give them with foley label classes CSV`, { code: 'not_found' });
  const classes = classesForText(library, modelId, numClasses, text);
  if (classes.length === 0) throw new FoleyError(`no class of ${model.manifest.name} is called "${text}"`, { code: 'not_found' });
  return { model, modelId, numClasses, names: names.source, classes, activation: activationFor(numClasses) };
}

/** Said when a model has tagged nothing yet. */
export function notTaggedYet(model: string, named: boolean): FoleyError {
  return new FoleyError(`model ${model} has not tagged the library yet: run foley tag${named ? ` --model ${model}` : ''} (or let the app tag it in the background)`, { code: 'conflict' });
}

export async function searchByClass(library: Library, request: ClassSearchRequest): Promise<ClassSearchResponse> {
  const { model, modelId, numClasses, names, classes, activation } = await resolveClassQuery(library, request.text, request.model);
  const { windows } = classLogitsCoverage(library.db, modelId);
  const top = request.top ?? 10;
  const offset = request.offset ?? 0;
  const t0 = performance.now();
  // Merged moments use several windows each; enough candidates for the page and to know if there is more.
  const { ranked, tagged } = topWindowsForClasses(library.db, modelId, classes.map((c) => c.index), (offset + top + 1) * 8, { numClasses, activation });
  if (tagged === 0) throw notTaggedYet(model.manifest.name, request.model !== undefined);
  const t1 = performance.now();
  const byWindow = new Map(ranked.map((h) => [h.windowId, h]));
  const moments = toMoments(
    library.db,
    ranked.map((h) => ({ id: h.windowId, score: probabilityOfRank(h.value, activation), scores: {} })),
    'both',
    request.merge ?? true,
  );
  const byIndex = new Map(classes.map((c) => [c.index, c]));
  const results = page(moments, offset, top).map((m) => {
    const hit = byWindow.get(m.window.id)!;
    const cls = byIndex.get(hit.classIndex)!;
    return { ...m, matched: MATCHED[hit.mode] ?? 'both', class: cls.name, classIndex: cls.index, mid: cls.mid };
  });
  return {
    results,
    query: { kind: 'text', text: request.text, model: model.manifest.name, classes, names, activation },
    offset,
    top,
    hasMore: moments.length > offset + top,
    tagged,
    windows,
    timings: { rankMs: t1 - t0, searchMs: performance.now() - t0 },
  };
}
