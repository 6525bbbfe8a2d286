// A library with known rules for the few-shot tests, written straight into a database (no media).
// Every window (one per file) has a picture class p and a sound class s, drawn independently; its
// picture embedding is normalise(c_v + V_p + nuisance + noise), its sound normalise(c_a + A_s +
// nuisance + noise), with a large shared offset c and nuisance directions common to both modalities
// (like real CAV-MAE output: anisotropic, with variance labels do not care about). Rules:
//   picture: p = 0 (any sound)   sound: s = 0 (any picture)   both: p = 0 and s = 0
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../db/connection.ts';
import { addFile } from '../../db/files.ts';
import { addLabel } from '../../db/labels.ts';
import { ensureModel } from '../../db/models.ts';
import { finishRun, startRun } from '../../db/runs.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { rng } from '../../core/learning/training/math.ts';
import type { EmbeddingTable } from '../../core/learning/training/embedding-table.ts';

export type Rule = 'picture' | 'sound' | 'both';

export interface RuleLibrary {
  readonly dir: string;
  readonly modelId: number;
  readonly windowIds: readonly number[];
  readonly picture: readonly number[];
  readonly sound: readonly number[];
  readonly files: readonly { readonly fileId: number; readonly windowId: number }[];
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function matches(lib: RuleLibrary, rule: Rule, i: number): boolean {
  const p = lib.picture[i] === 0;
  const s = lib.sound[i] === 0;
  return rule === 'picture' ? p : rule === 'sound' ? s : p && s;
}

/** `nuisance`: spread of the variation labels do not care about, against 1 for the classes (default 0.35). */
export function makeRuleLibrary(o: { windows?: number; classes?: number; dim?: number; seed?: number; nuisance?: number } = {}): RuleLibrary {
  const n = o.windows ?? 1200;
  const classes = o.classes ?? 6;
  const dim = o.dim ?? 64;
  const nuisance = 8;
  const u = rng(o.seed ?? 7);
  const vec = (scale: number): Float64Array => Float64Array.from({ length: dim }, () => normal(u) * scale);
  const cA = vec(2 / Math.sqrt(dim));
  const cV = vec(2 / Math.sqrt(dim));
  const A = Array.from({ length: classes }, () => vec(1 / Math.sqrt(dim)));
  const V = Array.from({ length: classes }, () => vec(1 / Math.sqrt(dim)));
  const N = Array.from({ length: nuisance }, () => vec((o.nuisance ?? 0.35) / Math.sqrt(dim)));
  const embed = (c: Float64Array, cls: Float64Array, g: Float64Array): Float32Array => {
    const x = new Float64Array(dim);
    for (let r = 0; r < dim; r++) {
      let t = c[r]! + cls[r]! + (0.35 * normal(u)) / Math.sqrt(dim);
      for (let j = 0; j < nuisance; j++) t += N[j]![r]! * g[j]!;
      x[r] = t;
    }
    const norm = Math.hypot(...x);
    return Float32Array.from(x, (t) => t / norm);
  };

  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-few-shot-'));
  const db = openDatabase(path.join(dir, 'foley.db'));
  const model = ensureModel(db, { name: 'rules', dim, checkpointSha256: `rules-${dim}`, precision: 'fp32', converterVersion: 'test' });
  const run = startRun(db, { modelId: model.id, provider: 'cpu' });
  const picture: number[] = [];
  const sound: number[] = [];
  const files: { fileId: number; windowId: number }[] = [];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const p = Math.floor(u() * classes);
      const s = Math.floor(u() * classes);
      const g = Float64Array.from({ length: nuisance }, () => normal(u));
      const f = addFile(db, { path: `/rules/clip-${String(i).padStart(5, '0')}-p${p}-s${s}.mp4`, size: 1000 + i, mtimeMs: 0 });
      const [windowId] = replaceFileWindows(db, f.id, run.id, [{ startS: 0, endS: 10, hasAudio: true, hasVisual: true, embeddings: { audio: embed(cA, A[s]!, g), visual: embed(cV, V[p]!, g) } }]);
      picture.push(p);
      sound.push(s);
      files.push({ fileId: f.id, windowId: windowId! });
    }
  })();
  finishRun(db, run.id);
  db.close();
  return { dir, modelId: model.id, windowIds: files.map((f) => f.windowId), picture, sound, files };
}

/** k positives and k negatives of a rule, seeded; returns the labelled indices. */
export function labelRule(lib: RuleLibrary, name: string, rule: Rule, k: number, seed: number): { positives: number[]; negatives: number[] } {
  const u = rng(seed);
  const pick = (want: boolean): number[] => {
    const pool = lib.windowIds.map((_, i) => i).filter((i) => matches(lib, rule, i) === want);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, k);
  };
  return writeLabels(lib, name, pick(true), pick(false));
}

/** Labels whole windows (by index) of `name` in the library's database. */
function writeLabels(lib: RuleLibrary, name: string, positives: number[], negatives: number[]): { positives: number[]; negatives: number[] } {
  const db = openDatabase(path.join(lib.dir, 'foley.db'));
  try {
    db.transaction(() => {
      for (const i of positives) addLabel(db, { name, fileId: lib.files[i]!.fileId, startS: 0, endS: 10, polarity: 'positive' });
      for (const i of negatives) addLabel(db, { name, fileId: lib.files[i]!.fileId, startS: 0, endS: 10, polarity: 'negative' });
    })();
  } finally {
    db.close();
  }
  return { positives, negatives };
}

/**
 * The issue's user, on the picture rule: k positives of picture 0 with k different sounds, and k
 * negatives with other pictures and the same k sounds (negatives that share the positives' sounds).
 */
export function labelCrossed(lib: RuleLibrary, name: string, k: number): { positives: number[]; negatives: number[] } {
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let s = 0; s < k; s++) {
    positives.push(lib.windowIds.findIndex((_, i) => lib.picture[i] === 0 && lib.sound[i] === s));
    negatives.push(lib.windowIds.findIndex((_, i) => lib.picture[i] === 1 + (s % 5) && lib.sound[i] === s));
  }
  if ([...positives, ...negatives].includes(-1)) throw new Error('the library lacks a picture/sound pair');
  return writeLabels(lib, name, positives, negatives);
}

/**
 * The baseline before this one, for comparison: ½ a·μ̂a + ½ v·μ̂v, cosine to the unit mean of the
 * positives in each modality, negatives unused.
 */
export function previousBaseline(table: EmbeddingTable, positives: readonly number[]): (row: number) => number {
  const d = table.dim;
  const unitMean = (x: Float32Array): Float64Array => {
    const m = new Float64Array(d);
    for (const r of positives) for (let c = 0; c < d; c++) m[c] = m[c]! + x[r * d + c]!;
    const n = Math.hypot(...m) || 1;
    return m.map((t) => t / n);
  };
  const ma = unitMean(table.audio);
  const mv = unitMean(table.visual);
  return (r) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (table.audio[r * d + c]! * ma[c]!) / 2 + (table.visual[r * d + c]! * mv[c]!) / 2;
    return s;
  };
}
