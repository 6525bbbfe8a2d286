// A library whose labels are learnable, written straight into a database (no media): every window has
// a hidden latent h ~ N(0, I_k); its audio embedding is normalise(c_a + P_a h + nuisance + noise) and its
// picture normalise(c_v + P_v h + nuisance + noise), with a large shared offset c and high-variance
// nuisance directions (both like real CAV-MAE output: anisotropic, with more variance in what labels
// do not care about than in what they do). Label k is positive when h_k > threshold (the hidden rule),
// which sound and picture both carry. P_v = ½·P_a·R + ½·random, so plain audio·visual similarity is
// only partly aligned (room for the adapter). With `learnable: false` the same windows get labels at
// random at the same rates: nothing to learn.
import { openDatabase } from '../../db/connection.ts';
import type { Database } from '../../db/connection.ts';
import { addFile } from '../../db/files.ts';
import { addLabel } from '../../db/labels.ts';
import { ensureModel } from '../../db/models.ts';
import { finishRun, startRun } from '../../db/runs.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { rng } from '../../core/learning/training/math.ts';

export interface SyntheticOptions {
  readonly dim?: number;
  readonly files?: number;
  readonly windowsPerFile?: number;
  /** How many windows get labels (positives where the rule holds, some explicit negatives). */
  readonly labelled?: number;
  readonly names?: readonly string[];
  readonly learnable?: boolean;
  readonly seed?: number;
  /** Share of labelled windows that get an explicit negative for a name whose rule does not hold. */
  readonly negativeRate?: number;
}

export interface SyntheticLibrary {
  readonly db: Database;
  readonly modelId: number;
  readonly dim: number;
  readonly windowIds: number[];
  /** Ground truth per name: the windows whose hidden rule holds (learnable case). */
  readonly truth: Map<string, Set<number>>;
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function makeSyntheticLibrary(file: string, o: SyntheticOptions = {}): SyntheticLibrary {
  const dim = o.dim ?? 32;
  const files = o.files ?? 40;
  const perFile = o.windowsPerFile ?? 10;
  const names = o.names ?? ['siren', 'dog', 'rain'];
  const k = Math.max(8, names.length + 4);
  const nuisance = 6;
  const u = rng(o.seed ?? 42);
  const mat = (rows: number, cols: number, scale: number): Float64Array => Float64Array.from({ length: rows * cols }, () => normal(u) * scale);
  const ca = mat(dim, 1, 1);
  const cv = mat(dim, 1, 1);
  const pa = mat(dim, k, 0.25);
  const mixR = mat(k, k, 1 / Math.sqrt(k));
  const pv = new Float64Array(dim * k);
  const pvr = mat(dim, k, 0.25);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += pa[r * k + t]! * mixR[t * k + c]!;
      pv[r * k + c] = 0.5 * s + 0.5 * pvr[r * k + c]!;
    }
  }
  const na = mat(dim, nuisance, 0.6);
  const nv = mat(dim, nuisance, 0.6);
  const embed = (c: Float64Array, p: Float64Array, n: Float64Array, h: Float64Array, g: Float64Array): Float32Array => {
    const x = new Float32Array(dim);
    let s = 0;
    for (let r = 0; r < dim; r++) {
      let t = c[r]!;
      for (let j = 0; j < k; j++) t += p[r * k + j]! * h[j]!;
      for (let j = 0; j < nuisance; j++) t += n[r * nuisance + j]! * g[j]!;
      t += 0.15 * normal(u);
      x[r] = t;
      s += t * t;
    }
    const nrm = Math.sqrt(s);
    for (let r = 0; r < dim; r++) x[r] = x[r]! / nrm;
    return x;
  };

  const db = openDatabase(file);
  const model = ensureModel(db, { name: 'synthetic', dim, checkpointSha256: `synthetic-${dim}`, precision: 'fp32', converterVersion: 'test' });
  const run = startRun(db, { modelId: model.id, provider: 'cpu' });
  const windowIds: number[] = [];
  const latents: Float64Array[] = [];
  const where: { fileId: number; startS: number; endS: number }[] = [];
  db.transaction(() => {
    for (let f = 0; f < files; f++) {
      const added = addFile(db, { path: `/synthetic/clip-${String(f).padStart(4, '0')}.mp4`, size: 1000 + f, mtimeMs: 0 });
      const windows = [];
      for (let w = 0; w < perFile; w++) {
        const h = Float64Array.from({ length: k }, () => normal(u));
        const g = Float64Array.from({ length: nuisance }, () => normal(u));
        latents.push(h);
        windows.push({ startS: w * 10, endS: w * 10 + 10, hasAudio: true, hasVisual: true, embeddings: { audio: embed(ca, pa, na, h, g), visual: embed(cv, pv, nv, h, g) } });
        where.push({ fileId: added.id, startS: w * 10, endS: w * 10 + 10 });
      }
      windowIds.push(...replaceFileWindows(db, added.id, run.id, windows));
    }
  })();
  finishRun(db, run.id);

  const threshold = 0.6; // P(h > 0.6) ≈ 27%
  const truth = new Map<string, Set<number>>(names.map((n, i) => [n, new Set(windowIds.filter((_, w) => latents[w]![i]! > threshold))]));
  const labelled = Math.min(o.labelled ?? 300, windowIds.length);
  const negRate = o.negativeRate ?? 0.5;
  const order = windowIds.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const learnable = o.learnable ?? true;
  db.transaction(() => {
    for (const w of order.slice(0, labelled)) {
      names.forEach((name, i) => {
        const positive = learnable ? latents[w]![i]! > threshold : u() < 0.27;
        if (positive) addLabel(db, { name, ...where[w]!, polarity: 'positive' });
        else if (u() < negRate) addLabel(db, { name, ...where[w]!, polarity: 'negative' });
      });
    }
  })();
  return { db, modelId: model.id, dim, windowIds, truth };
}
