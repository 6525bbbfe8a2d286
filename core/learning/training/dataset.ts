// What training learns from, read from the store: every window's frozen CAV-MAE embeddings, the
// labels mapped onto windows, and a seeded split into training and held-out windows.
//
// A label covers the windows that overlap it by at least half of the window or half of the label (so
// a label snapped to one window does not also claim its overlapping neighbours when hop < window).
// For label l a window is: positive (a positive label l covers it), negative (a negative label l, or a
// positive label of another name and no positive l: "closed world" among the moments the user looked
// at), or unknown. Unknown windows enter training as weak negatives (a seeded sample, small weight),
// never the held-out evaluation.
import type { Database } from '../../../db/connection.ts';
import { readAllEmbeddings } from '../../../db/embeddings.ts';
import { labelsFingerprint, listLabels } from '../../../db/labels.ts';
import type { Label } from '../../../db/labels.ts';
import { rng, shuffle } from './math.ts';

export interface WindowRef {
  readonly id: number;
  readonly fileId: number;
  readonly startS: number;
  readonly endS: number;
}

export interface Store {
  readonly dim: number;
  readonly windows: readonly WindowRef[];
  /** Row of a window id in windows / audio / visual. */
  readonly row: ReadonlyMap<number, number>;
  /** count×dim; a missing modality is a zero row (hasAudio / hasVisual say which). */
  readonly audio: Float32Array;
  readonly visual: Float32Array;
  readonly hasAudio: Uint8Array;
  readonly hasVisual: Uint8Array;
}

export function readStore(db: Database, modelId: number): Store {
  return db.transaction(() => {
    const windows = db
      .prepare<[], { id: number; file_id: number; start_s: number; end_s: number }>('SELECT id, file_id, start_s, end_s FROM windows ORDER BY id')
      .all()
      .map((r) => ({ id: r.id, fileId: r.file_id, startS: r.start_s, endS: r.end_s }));
    const row = new Map<number, number>(windows.map((w, i) => [w.id, i]));
    const a = readAllEmbeddings(db, modelId, 'audio');
    const v = readAllEmbeddings(db, modelId, 'visual');
    const dim = a.dim || v.dim;
    const audio = new Float32Array(windows.length * dim);
    const visual = new Float32Array(windows.length * dim);
    const hasAudio = new Uint8Array(windows.length);
    const hasVisual = new Uint8Array(windows.length);
    const place = (batch: typeof a, out: Float32Array, has: Uint8Array): void => {
      for (let i = 0; i < batch.ids.length; i++) {
        const r = row.get(batch.ids[i]!);
        if (r === undefined) continue;
        out.set(batch.vectors.subarray(i * dim, (i + 1) * dim), r * dim);
        has[r] = 1;
      }
    };
    place(a, audio, hasAudio);
    place(v, visual, hasVisual);
    return { dim, windows, row, audio, visual, hasAudio, hasVisual };
  })();
}

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
  readonly store: Store;
  /** Label names, one head output each, sorted. */
  readonly names: string[];
  /** Rows (into store) of labelled windows with at least one embedding. */
  readonly labelled: number[];
  /** Per labelled row: +1 positive, −1 negative, 0 unknown, for each name (row-major labelled×names). */
  readonly state: Int8Array;
  readonly heldout: Uint8Array;
  /** Store rows of unlabelled windows used as weak negatives. */
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

export function buildDataset(db: Database, modelId: number, options: DatasetOptions = {}, store = readStore(db, modelId)): Dataset {
  const seed = options.seed ?? 1;
  const frac = options.heldoutFraction ?? 0.25;
  const labels = listLabels(db);
  const byFile = new Map<number, WindowRef[]>();
  for (const w of store.windows) {
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
      const r = store.row.get(w.id)!;
      if (store.hasAudio[r] === 0 && store.hasVisual[r] === 0) continue;
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
  for (let r = 0; r < store.windows.length; r++) if (!touched.has(r) && (store.hasAudio[r] === 1 || store.hasVisual[r] === 1)) unlabelled.push(r);
  const bgCount = Math.min(unlabelled.length, Math.max(options.minBackground ?? 200, Math.round((options.backgroundRatio ?? 1) * labelled.length)));
  const background = shuffle(unlabelled, random).slice(0, bgCount).sort((p, q) => p - q);
  const labelsHash = labelsFingerprint(db);
  const hash = `${labelsHash}|w${store.windows.length}|a${store.hasAudio.reduce((s, x) => s + x, 0)}|v${store.hasVisual.reduce((s, x) => s + x, 0)}|s${seed}|f${frac}`;
  const positives: Record<string, number> = {};
  for (const n of names) positives[n] = pos.get(n)!.size;
  return { store, names, labelled, state, heldout, background, labelsHash, hash, positives };
}
