// Class names of a fine-tuned checkpoint. A classifier with 527 outputs is named by the shipped AudioSet
// list and one with 309 by the VGGSound list (native-models/cavmae/class-lists.ts); the user can give
// any model names with `index,mid,display_name` (the official class_labels_indices format), stored with
// the model's row, and those win. Names only label logit indices, so changing them never re-tags.
// The logits themselves are made by the tagger (core/tagging/tag-library.ts).
import { readFileSync } from 'node:fs';
import { findModelClass, listModelClasses, setModelClasses } from '../../db/learning.ts';
import type { ModelClass } from '../../db/learning.ts';
import { shippedClassList } from '../../native-models/cavmae/class-lists.ts';
import type { ClassListName } from '../../native-models/cavmae/class-lists.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import type { InstalledModel } from '../models/store.ts';
import { parseCsv } from './csv.ts';

export function parseClassCsv(text: string): ModelClass[] {
  const rows = parseCsv(text);
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  if (header === undefined || header[0] !== 'index' || header[1] !== 'mid' || header[2] !== 'display_name') {
    throw new FoleyError('a class-labels CSV starts with the header index,mid,display_name');
  }
  const out = rows.map((r, i) => {
    const index = Number(r[0]);
    if (!Number.isInteger(index) || index < 0) throw new FoleyError(`class CSV row ${i + 2}: index "${r[0]}" is not a whole number`);
    const name = (r[2] ?? '').trim();
    if (name === '') throw new FoleyError(`class CSV row ${i + 2}: empty display_name`);
    return { index, mid: (r[1] ?? '').trim(), name };
  });
  out.forEach((c, i) => {
    if (c.index !== i) throw new FoleyError(`class CSV row ${i + 2}: index ${c.index}, expected ${i} (rows in order, from 0)`);
  });
  return out;
}

/** Stores the class names of an installed fine-tuned model (replacing earlier ones). */
export function setClassNames(library: Library, model: InstalledModel, csvFile: string): { classes: number } {
  const numClasses = model.manifest.config.numClasses;
  if (numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier (it is not a fine-tuned checkpoint)`);
  const classes = parseClassCsv(readFileSync(csvFile, 'utf8'));
  if (classes.length !== numClasses) throw new FoleyError(`the CSV has ${classes.length} classes, the model ${numClasses}`, { file: csvFile });
  setModelClasses(library.db, modelRecord(library, model).id, classes);
  return { classes: classes.length };
}

/** Where a model's class names come from: the user's CSV, a shipped list, or nowhere. */
export type ClassNamesSource = 'user' | ClassListName;

export interface ModelClassNames {
  readonly source: ClassNamesSource | null;
  readonly classes: readonly ModelClass[];
}

/**
 * A model's class names: the user's (stored) if any, else the shipped list for its number of outputs
 * (`numClasses`: the manifest's; null for a model without a classifier).
 */
export function classNames(library: Library, modelId: number, numClasses: number | null): ModelClassNames {
  const stored = listModelClasses(library.db, modelId);
  if (stored.length > 0) return { source: 'user', classes: stored };
  const shipped = shippedClassList(numClasses);
  if (shipped === undefined) return { source: null, classes: [] };
  return { source: shipped.list, classes: shipped.classes.map(({ index, mid, name }) => ({ index, mid, name })) };
}

/** The class whose display name (any case) or mid is `name`, among the model's class names. */
export function findClass(library: Library, modelId: number, name: string, numClasses: number | null): ModelClass | undefined {
  const stored = findModelClass(library.db, modelId, name);
  if (stored !== undefined || listModelClasses(library.db, modelId).length > 0) return stored;
  const wanted = name.toLowerCase();
  const hit = shippedClassList(numClasses)?.classes.find((c) => c.name.toLowerCase() === wanted || (c.mid !== '' && c.mid === name));
  return hit === undefined ? undefined : { index: hit.index, mid: hit.mid, name: hit.name };
}
