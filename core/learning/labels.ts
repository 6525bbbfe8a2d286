// Label services for every front door (CLI now, UI later): JSON-able inputs and outputs only.
// A label on a moment is snapped to the file's windows when it is added (the range becomes the union
// of the windows it overlaps; a single time becomes the window containing it), so what the user sees
// labelled is exactly what training and search use. A file not indexed yet keeps the range as given.
import path from 'node:path';
import { getFile, getFileByPath } from '../../db/files.ts';
import type { MediaFile } from '../../db/files.ts';
import { getModel } from '../../db/models.ts';
import { fitLabel } from './few-shot-predict.ts';
import type { LearnedFrom } from './few-shot.ts';
import { labelledWindows } from './label-search.ts';
import { addLabel, findSameLabel, getLabel, labelNames, listLabels, mergeLabels, removeLabel, removeLabelsByName, renameLabels } from '../../db/labels.ts';
import type { Label, Polarity } from '../../db/labels.ts';
import { listWindows } from '../../db/windows.ts';
import type { Database } from '../../db/connection.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { DEFAULT_WINDOW_SECONDS } from '../../base/window-plan.ts';
import { formatCsv, parseCsv } from './csv.ts';
import { notifyLabelsChanged } from './label-events.ts';

export interface LabelView {
  readonly id: number;
  readonly name: string;
  readonly fileId: number;
  readonly path: string;
  /** Both null: the whole file. */
  readonly startS: number | null;
  readonly endS: number | null;
  readonly polarity: Polarity;
  readonly createdAt: number;
}

export interface LabelInput {
  readonly name: string;
  /** A library file: its path (absolute or relative to the working directory) or id. */
  readonly file: string | number;
  /** Omitted: the whole file. */
  readonly startS?: number | null;
  /** Omitted with a start: the window containing startS. */
  readonly endS?: number | null;
  readonly polarity?: Polarity;
}

// ---- helpers ----

export function checkLabelName(name: string): string {
  const n = name.trim();
  if (n.length === 0) throw new FoleyError('a label name cannot be empty');
  if (/[\r\n\t]/.test(n)) throw new FoleyError('a label name cannot hold tabs or line breaks');
  if (n.length > 200) throw new FoleyError('a label name is at most 200 characters');
  return n;
}

/** Seconds from "12.5", "1:02.5" or "1:00:02". */
export function parseTime(text: string): number {
  const parts = text.trim().split(':');
  if (parts.length > 3 || parts.some((p) => p.trim() === '' || !Number.isFinite(Number(p)))) throw new FoleyError(`"${text}" is not a time (seconds, m:ss or h:mm:ss)`);
  const t = parts.reduce((s, p) => s * 60 + Number(p), 0);
  if (t < 0) throw new FoleyError(`"${text}" is before the start of the file`);
  return t;
}

/** "FILE", "FILE@START" or "FILE@START-END" (the last @ separates, so paths may contain @). */
export function parseMoment(spec: string): { file: string; startS: number | null; endS: number | null } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return { file: spec, startS: null, endS: null };
  const range = spec.slice(at + 1);
  const m = /^([^-]+)(?:-(.+))?$/.exec(range);
  if (m === null) throw new FoleyError(`"${range}" is not START or START-END`);
  const startS = parseTime(m[1]!);
  const endS = m[2] !== undefined ? parseTime(m[2]) : null;
  if (endS !== null && endS <= startS) throw new FoleyError(`the moment ${range} ends before it starts`);
  return { file: spec.slice(0, at), startS, endS };
}

export function resolveFile(db: Database, file: string | number): MediaFile {
  const f = typeof file === 'number' ? getFile(db, file) : (getFileByPath(db, path.resolve(file)) ?? getFileByPath(db, file));
  if (f === undefined) throw new FoleyError(`not in the library: ${String(file)} (index it first)`, { code: 'not_found' });
  return f;
}

/** Snaps [start, end) to the file's windows (see the header). */
export function snapToWindows(db: Database, fileId: number, startS: number, endS: number | null): { startS: number; endS: number } {
  const windows = listWindows(db, fileId);
  if (windows.length === 0) return { startS, endS: endS ?? startS + DEFAULT_WINDOW_SECONDS };
  if (endS === null) {
    const inside = windows.find((w) => w.startS <= startS && startS < w.endS);
    const w = inside ?? windows.reduce((best, w) => (Math.abs(w.startS - startS) < Math.abs(best.startS - startS) ? w : best));
    return { startS: w.startS, endS: w.endS };
  }
  const over = windows.filter((w) => Math.min(endS, w.endS) - Math.max(startS, w.startS) > 0);
  if (over.length === 0) throw new FoleyError(`no window of the file overlaps ${startS}-${endS} s (it has ${windows.length} windows up to ${Math.max(...windows.map((w) => w.endS))} s)`, { code: 'not_found' });
  return { startS: Math.min(...over.map((w) => w.startS)), endS: Math.max(...over.map((w) => w.endS)) };
}

function view(db: Database, l: Label, paths = new Map<number, string>()): LabelView {
  let p = paths.get(l.fileId);
  if (p === undefined) {
    p = getFile(db, l.fileId)?.path ?? '';
    paths.set(l.fileId, p);
  }
  return { id: l.id, name: l.name, fileId: l.fileId, path: p, startS: l.startS, endS: l.endS, polarity: l.polarity, createdAt: l.createdAt };
}

// ---- services ----

/** Adds a label (snapped); adding one that exists returns it unchanged (added: false). */
export function addLabelTo(library: Library, input: LabelInput, notify = true): { label: LabelView; added: boolean } {
  const db = library.db;
  const name = checkLabelName(input.name);
  const file = resolveFile(db, input.file);
  const times = input.startS === undefined || input.startS === null ? { startS: null, endS: null } : snapToWindows(db, file.id, input.startS, input.endS ?? null);
  const spec = { name, fileId: file.id, ...times, polarity: input.polarity ?? 'positive' };
  const same = findSameLabel(db, spec);
  if (same !== undefined) return { label: view(db, same), added: false };
  const label = view(db, addLabel(db, spec));
  if (notify) notifyLabelsChanged();
  return { label, added: true };
}

export function listLabelViews(library: Library, filter: { name?: string; file?: string | number } = {}): LabelView[] {
  const db = library.db;
  const paths = new Map<number, string>();
  const f = filter.file !== undefined ? resolveFile(db, filter.file).id : undefined;
  return listLabels(db, { ...(filter.name !== undefined ? { name: filter.name } : {}), ...(f !== undefined ? { fileId: f } : {}) }).map((l) => view(db, l, paths));
}

/**
 * Every label name with its counts and, given the model whose vectors predictions use, which modality
 * its few-shot baseline relies on (null without a model or a positive with an embedding).
 */
export function labelSummary(library: Library, modelId?: number): { name: string; positives: number; negatives: number; learnedFrom: LearnedFrom | null }[] {
  const model = modelId !== undefined ? getModel(library.db, modelId) : undefined;
  return labelNames(library.db).map((n) => {
    if (model === undefined || n.positives === 0) return { ...n, learnedFrom: null };
    const { positives, negatives } = labelledWindows(library.db, n.name);
    return { ...n, learnedFrom: fitLabel(library.db, model, n.name, positives, negatives)?.learnedFrom ?? null };
  });
}

export function renameLabel(library: Library, from: string, to: string): { renamed: number } {
  const target = checkLabelName(to);
  if (labelNames(library.db).some((n) => n.name === target) && target !== from) {
    throw new FoleyError(`a label "${target}" exists already; merge into it instead`);
  }
  const renamed = renameLabels(library.db, from, target);
  if (renamed === 0) throw new FoleyError(`no label called "${from}"`, { code: 'not_found' });
  notifyLabelsChanged();
  return { renamed };
}

export function mergeLabelNames(library: Library, from: readonly string[], into: string): { merged: number } {
  const merged = mergeLabels(library.db, from, checkLabelName(into));
  notifyLabelsChanged();
  return { merged };
}

/** Removes labels by id, or every label of a name. */
export function removeLabels(library: Library, target: { ids: readonly number[] } | { name: string }): { removed: number } {
  let removed = 0;
  if ('ids' in target) {
    for (const id of target.ids) {
      if (getLabel(library.db, id) === undefined) throw new FoleyError(`no label with id ${id}`, { code: 'not_found' });
      removed += removeLabel(library.db, id) ? 1 : 0;
    }
  } else removed = removeLabelsByName(library.db, target.name);
  if (removed > 0) notifyLabelsChanged();
  return { removed };
}

// ---- import / export ----

export type LabelFormat = 'csv' | 'json';

export interface ExportedLabel {
  readonly name: string;
  readonly path: string;
  readonly start: number | null;
  readonly end: number | null;
  readonly polarity: Polarity;
}

const CSV_HEADER = ['name', 'path', 'start', 'end', 'polarity'] as const;

export function exportLabels(library: Library, format: LabelFormat, filter: { name?: string } = {}): string {
  const rows: ExportedLabel[] = listLabelViews(library, filter).map((l) => ({ name: l.name, path: l.path, start: l.startS, end: l.endS, polarity: l.polarity }));
  if (format === 'json') return `${JSON.stringify({ version: 1, labels: rows }, null, 1)}\n`;
  return formatCsv([[...CSV_HEADER], ...rows.map((r) => [r.name, r.path, r.start, r.end, r.polarity])]);
}

export interface ImportResult {
  readonly added: number;
  readonly duplicates: number;
  /** Rows naming files that are not in the library (path, and why). */
  readonly skipped: { readonly row: number; readonly path: string; readonly reason: string }[];
}

function readRows(text: string, format: LabelFormat): ExportedLabel[] {
  if (format === 'json') {
    const data = JSON.parse(text) as unknown;
    const list = Array.isArray(data) ? data : (data as { labels?: unknown }).labels;
    if (!Array.isArray(list)) throw new FoleyError('a label JSON file is {"labels": [...]} or an array of labels');
    return list.map((x: unknown, i) => {
      const o = x as Record<string, unknown>;
      if (typeof o.name !== 'string' || typeof o.path !== 'string') throw new FoleyError(`label ${i + 1}: needs "name" and "path" strings`);
      const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
      const polarity = o.polarity === undefined ? 'positive' : o.polarity;
      if (polarity !== 'positive' && polarity !== 'negative') throw new FoleyError(`label ${i + 1}: polarity is "positive" or "negative"`);
      return { name: o.name, path: o.path, start: num(o.start), end: num(o.end), polarity };
    });
  }
  const rows = parseCsv(text);
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  const col = (n: string): number => header?.indexOf(n) ?? -1;
  if (header === undefined || col('name') < 0 || col('path') < 0) throw new FoleyError(`a label CSV starts with the header ${CSV_HEADER.join(',')}`);
  return rows.map((r, i) => {
    const get = (n: string): string => (col(n) >= 0 ? (r[col(n)] ?? '').trim() : '');
    const polarity = get('polarity') === '' ? 'positive' : get('polarity');
    if (polarity !== 'positive' && polarity !== 'negative') throw new FoleyError(`row ${i + 2}: polarity is "positive" or "negative"`);
    return { name: get('name'), path: r[col('path')] ?? '', start: get('start') === '' ? null : parseTime(get('start')), end: get('end') === '' ? null : parseTime(get('end')), polarity };
  });
}

/** Imports labels; all rows that resolve are added in one transaction, the rest are reported. */
export function importLabels(library: Library, text: string, format: LabelFormat): ImportResult {
  const rows = readRows(text, format);
  let added = 0;
  let duplicates = 0;
  const skipped: { row: number; path: string; reason: string }[] = [];
  library.db.transaction(() => {
    rows.forEach((r, i) => {
      try {
        const { added: isNew } = addLabelTo(library, { name: r.name, file: r.path, startS: r.start, endS: r.end, polarity: r.polarity }, false);
        if (isNew) added++;
        else duplicates++;
      } catch (e) {
        if (!(e instanceof FoleyError)) throw e;
        skipped.push({ row: i + 1, path: r.path, reason: e.message });
      }
    });
  }).immediate();
  if (added > 0) notifyLabelsChanged();
  return { added, duplicates, skipped };
}
