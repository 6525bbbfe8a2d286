// What training learns from, read from the database: every window's frozen CAV-MAE embeddings, the
// labels mapped onto windows, and a seeded split into training and held-out windows.
//
// A label covers the windows that overlap it by at least half of the window or half of the label (so
// a label snapped to one window does not also claim its overlapping neighbours when hop < window).
// For label l a window is: positive (a positive label l covers it), negative (a negative label l, or a
// positive label of another name and no positive l: "closed world" among the moments the user looked
// at), or unknown. Unknown windows enter training as weak negatives (a seeded sample, small weight),
// never the held-out evaluation.
import type { Database } from '../../../db/connection.ts';
import { labelsFingerprint, listLabels } from '../../../db/labels.ts';
import type { Label } from '../../../db/labels.ts';
import { readEmbeddingTable } from './embedding-table.ts';
import type { EmbeddingTable, WindowRef } from './embedding-table.ts';
import { rng, shuffle } from './math.ts';

/** Windows a label covers (see the header for the overlap rule). */
export function labelWindows(label: Pick<Label, 'fileId' | 'startS' | 'endS'>, windowsOfFile: readonly WindowRef[]): WindowRef[] {
  if (label.startS === null || label.endS === null) return [...windowsOfFile];
  const ls = label.startS;
  const le = label.endS;
  return windowsOfFile.filter((w) => {
    const overlap = Math.min(le, w.endS) - Math.max(ls, w.startS);
    return overlap > 1e-6 && (overlap >= 0.5 * (w.endS - w.startS) - 1e-6 || overlap >= 0.5 * (le - ls) - 1e-6);
  });
}

export interface Dataset {
  readonly table: EmbeddingTable;
  /** Label names, one head output each, sorted. */
  readonly names: string[];
  /** Rows (into table) of labelled windows with at least one embedding. */
  readonly labelled: number[];
  /** Per labelled row: +1 positive, −1 negative, 0 unknown, for each name (row-major labelled×names). */
  readonly state: Int8Array;
  readonly heldout: Uint8Array;
  /** EmbeddingTable rows of unlabelled windows used as weak negatives. */
  readonly background: number[];
  readonly labelsHash: string;
  readonly hash: string;
  readonly positives: Record<string, number>;
}

export interface DatasetOptions {
  readonly seed?: number;
  /** Fraction of labelled windows held out for the keep/reject decision. */
  readonly heldoutFraction?: number;
  /** Unlabelled windows sampled as weak negatives: max(minBackground, ratio × labelled). */
  readonly backgroundRatio?: number;
  readonly minBackground?: number;
}

export function buildDataset(db: Database, modelId: number, options: DatasetOptions = {}, table = readEmbeddingTable(db, modelId)): Dataset {
  const seed = options.seed ?? 1;
  const frac = options.heldoutFraction ?? 0.25;
  const labels = listLabels(db);
  const byFile = new Map<number, WindowRef[]>();
  for (const w of table.windows) {
    let list = byFile.get(w.fileId);
    if (list === undefined) byFile.set(w.fileId, (list = []));
    list.push(w);
  }
  const pos = new Map<string, Set<number>>();
  const neg = new Map<string, Set<number>>();
  const touched = new Set<number>();
  for (const l of labels) {
    const map = l.polarity === 'positive' ? pos : neg;
    let set = map.get(l.name);
    if (set === undefined) map.set(l.name, (set = new Set()));
    for (const w of labelWindows(l, byFile.get(l.fileId) ?? [])) {
      const r = table.row.get(w.id)!;
      if (table.hasAudio[r] === 0 && table.hasVisual[r] === 0) continue;
      set.add(r);
      touched.add(r);
    }
  }
  const names = [...pos.keys()].filter((n) => pos.get(n)!.size > 0).sort();
  const labelled = [...touched].sort((p, q) => p - q);
  const L = names.length;
  const state = new Int8Array(labelled.length * L);
  const anyPositive = new Set<number>();
  for (const s of pos.values()) for (const r of s) anyPositive.add(r);
  labelled.forEach((r, i) => {
    names.forEach((name, l) => {
      const isPos = pos.get(name)!.has(r);
      const isNeg = neg.get(name)?.has(r) ?? false;
      // A window labelled both ways for one name: the negative wins (the user corrected it).
      state[i * L + l] = isNeg ? -1 : isPos ? 1 : anyPositive.has(r) ? -1 : 0;
    });
  });
  // Split: per name, a share of its positives is held out (at least one once it has 3), then the same
  // share of the rest, all seeded, so reruns on the same labels split the same way.
  const random = rng(seed);
  const heldout = new Uint8Array(labelled.length);
  const index = new Map(labelled.map((r, i) => [r, i]));
  for (const name of names) {
    const rows = shuffle([...pos.get(name)!].sort((p, q) => p - q), random);
    const want = rows.length >= 3 ? Math.max(1, Math.round(frac * rows.length)) : 0;
    let held = rows.filter((r) => heldout[index.get(r)!] === 1).length;
    for (const r of rows) {
      // Keep at least two positives to train on.
      if (held >= want || rows.length - held <= 2) break;
      const i = index.get(r)!;
      if (heldout[i] === 1) continue;
      heldout[i] = 1;
      held++;
    }
  }
  for (const i of shuffle(labelled.map((_, i) => i).filter((i) => !names.some((_, l) => state[i * L + l] === 1)), random)) {
    if (random() < frac) heldout[i] = 1;
  }
  const unlabelled: number[] = [];
  for (let r = 0; r < table.windows.length; r++) if (!touched.has(r) && (table.hasAudio[r] === 1 || table.hasVisual[r] === 1)) unlabelled.push(r);
  const bgCount = Math.min(unlabelled.length, Math.max(options.minBackground ?? 200, Math.round((options.backgroundRatio ?? 1) * labelled.length)));
  const background = shuffle(unlabelled, random).slice(0, bgCount).sort((p, q) => p - q);
  const labelsHash = labelsFingerprint(db);
  const hash = `${labelsHash}|w${table.windows.length}|a${table.hasAudio.reduce((s, x) => s + x, 0)}|v${table.hasVisual.reduce((s, x) => s + x, 0)}|s${seed}|f${frac}`;
  const positives: Record<string, number> = {};
  for (const n of names) positives[n] = pos.get(n)!.size;
  return { table, names, labelled, state, heldout, background, labelsHash, hash, positives };
}
