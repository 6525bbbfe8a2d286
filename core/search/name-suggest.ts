// The search bar's type-ahead: what has been typed so far against the class names of the tagging model
// (core/learning/class-suggest.ts: ontology synonyms and children, case and plurals ignored) and the
// user's own label names. One ranked list, so the bar needs one call per pause in typing.
import { labelNames } from '../../db/labels.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { listModels } from '../models/store.ts';
import { suggestClasses } from '../learning/class-suggest.ts';
import { classNames } from '../learning/classes.ts';
import type { MatchKind } from '../learning/class-matcher.ts';
import { taggingModels } from '../tagging/tagger.ts';

export interface ClassNameSuggestion {
  readonly source: 'class';
  /** The class's display name: what a text search for it is sent with. */
  readonly name: string;
  readonly kind: MatchKind;
  /** The synonym that matched, or for `related` the parent class (or qualifier) that did. */
  readonly matched: string;
  readonly index: number;
  readonly model: string;
}

export interface LabelNameSuggestion {
  readonly source: 'label';
  readonly name: string;
  /** exact: the name is what was typed (any case); prefix: it starts with it; words: one of its words does. */
  readonly kind: Extract<MatchKind, 'exact' | 'prefix' | 'words'>;
  readonly positives: number;
}

export type NameSuggestion = ClassNameSuggestion | LabelNameSuggestion;

/** Why no class names are offered: no installed model has a classifier, or the tagging model's classes have no names. */
export type NoClassNames = 'no-tagging-model' | 'no-class-names';

export interface NameSuggestions {
  readonly text: string;
  readonly suggestions: readonly NameSuggestion[];
  /** The model whose class names are offered; null when none is. */
  readonly model: string | null;
  readonly noClassNames: NoClassNames | null;
}

export interface SuggestRequest {
  readonly text: string;
  /** Default 12. */
  readonly limit?: number;
  /** A model with class names; default: the tagging model. */
  readonly model?: string;
}

const RANK: Readonly<Record<MatchKind, number>> = { exact: 0, prefix: 1, words: 2, related: 3 };

const fold = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();

/** How a label name matches what was typed (accents and case ignored), if it does. */
export function matchLabel(name: string, typed: string): LabelNameSuggestion['kind'] | undefined {
  const n = fold(name);
  const t = fold(typed);
  if (t === '') return undefined;
  if (n === t) return 'exact';
  if (n.startsWith(t)) return 'prefix';
  if (n.split(/[^\p{L}\p{N}]+/u).some((w) => w.startsWith(t))) return 'words';
  return undefined;
}

async function classSuggestions(library: Library, req: SuggestRequest, limit: number): Promise<{ model: string | null; found: ClassNameSuggestion[]; why: NoClassNames | null }> {
  const installed = await listModels(library.dataDir);
  const wanted = req.model?.toLowerCase();
  const model = wanted !== undefined ? installed.find((m) => m.manifest.name === wanted) : taggingModels(installed)[0];
  const numClasses = model?.manifest.config.numClasses ?? null;
  if (model === undefined || numClasses === null) return { model: null, found: [], why: 'no-tagging-model' };
  const modelId = modelRecord(library, model).id;
  if (classNames(library, modelId, numClasses).source === null) return { model: model.manifest.name, found: [], why: 'no-class-names' };
  const found = suggestClasses(library, modelId, numClasses, req.text, limit).map((m): ClassNameSuggestion => ({ source: 'class', name: m.name, kind: m.kind, matched: m.matched, index: m.index, model: model.manifest.name }));
  return { model: model.manifest.name, found, why: null };
}

/**
 * Labels and classes in one list, by how well they match (exact, then prefix, then words, then
 * related); within a kind the user's own labels come first, since they name what this library holds.
 */
export async function suggestNames(library: Library, req: SuggestRequest): Promise<NameSuggestions> {
  const limit = req.limit ?? 12;
  const classes = await classSuggestions(library, req, limit);
  const labels: LabelNameSuggestion[] = [];
  // Names with positive examples only: a label search finds nothing for a name that has none.
  for (const l of labelNames(library.db)) {
    const kind = matchLabel(l.name, req.text);
    if (kind !== undefined && l.positives > 0) labels.push({ source: 'label', name: l.name, kind, positives: l.positives });
  }
  // Stable sort: labels (listed first) stay ahead of classes of the same kind; each keeps its own order.
  const merged = [...labels, ...classes.found].sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  return { text: req.text, suggestions: merged.slice(0, limit), model: classes.model, noClassNames: classes.why };
}
