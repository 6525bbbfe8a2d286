// Library mode: every indexed file is its own answer key (a window's sound belongs with its own
// picture). One window per file, not all of them: neighbouring windows of one file are near-duplicates
// of each other, so with several per file a query's "wrong" neighbours would often be the same scene
// and R@1 would say little. Which window is drawn with a seeded PRNG (the trainer's mulberry32), so a
// seed names one exact evaluation set of this library.
import type { Database } from '../../db/connection.ts';
import { embeddingsOfWindows, frameEmbeddingsOfWindows } from '../../db/embeddings.ts';
import type { FrameVectors } from '../../db/embeddings.ts';
import { framesMask } from '../../base/window-plan.ts';
import { pairedWindows } from '../../db/evaluations.ts';
import { rng, shuffle } from '../learning/training/math.ts';

export const DEFAULT_LIMIT = 5000;
export const DEFAULT_SEED = 1;

export interface PairedWindow {
  readonly fileId: number;
  readonly windowId: number;
}

export interface LibraryPairs {
  /** Pairs used (one per file), ≤ limit. */
  readonly n: number;
  /** Files that have a window with both vectors. */
  readonly eligibleFiles: number;
  /** Width of a row: the model's, or frames × the model's for a frame-level model (clipVector). */
  readonly dim: number;
  /** Frame-level models: frames per row (each a `dim / frames`-wide block). */
  readonly frames?: number;
  readonly windows: readonly PairedWindow[];
  /** n×dim each, row i for windows[i]. */
  readonly audio: Float32Array;
  readonly visual: Float32Array;
}

/**
 * One window per file among `candidates` (any order): files are shuffled with the seed and the first
 * `limit` kept, then one of each file's windows is drawn. Same candidates and seed, same picks.
 */
export function pickOnePerFile(candidates: readonly PairedWindow[], limit: number, seed: number): PairedWindow[] {
  const byFile = new Map<number, number[]>();
  for (const c of candidates) {
    const list = byFile.get(c.fileId);
    if (list === undefined) byFile.set(c.fileId, [c.windowId]);
    else list.push(c.windowId);
  }
  const random = rng(seed);
  const files = shuffle([...byFile.keys()].sort((x, y) => x - y), random).slice(0, limit);
  return files.map((fileId) => {
    const ws = byFile.get(fileId)!.sort((x, y) => x - y);
    return { fileId, windowId: ws[Math.floor(random() * ws.length)]! };
  });
}

/**
 * A frame-level window as one unit vector whose inner products are the paper's clip score (spec §6,
 * `diagonal_mean`): one slot per frame the model indexes (`slots`), each frame normalised, side by
 * side, the whole scaled to unit length. For two windows holding all F frames, dot = mean_k
 * cos(a_k, b_k) exactly; a short last window's missing frames are zeros, so it is compared on the
 * frames it has. Frames outside `slots` (another run's) are left out. False when none is left.
 */
export function clipVector(f: FrameVectors, dim: number, slots: readonly number[], out: Float32Array, offset: number): boolean {
  let present = 0;
  for (const [i, k] of f.frames.entries()) {
    const slot = slots.indexOf(k);
    if (slot < 0) continue;
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += f.vectors[i * dim + d]! ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let d = 0; d < dim; d++) out[offset + slot * dim + d] = f.vectors[i * dim + d]! * inv;
    present++;
  }
  if (present === 0) return false;
  const scale = 1 / Math.sqrt(present);
  for (let j = 0; j < slots.length * dim; j++) out[offset + j]! *= scale;
  return true;
}

/** Frame-level library mode: one window per file, compared whole by clip vectors over `frames`. */
function frameLevelPairs(db: Database, model: { readonly id: number; readonly dim: number }, frames: readonly number[], limit: number, seed: number): LibraryPairs {
  // Windows compared on the model's frames: those holding at least one of them in both modalities (a
  // window shorter than 1.28 s may hold only a frame between them).
  const slots = framesMask(frames);
  const candidates = pairedWindows(db, model.id).filter((c) => ((c.audioFrames ?? 0) & slots) !== 0 && ((c.visualFrames ?? 0) & slots) !== 0);
  const eligibleFiles = new Set(candidates.map((c) => c.fileId)).size;
  const windows = pickOnePerFile(candidates, limit, seed);
  const ids = windows.map((w) => w.windowId);
  const a = frameEmbeddingsOfWindows(db, model.id, 'audio', ids);
  const v = frameEmbeddingsOfWindows(db, model.id, 'visual', ids);
  const width = frames.length * model.dim;
  const audio = new Float32Array(windows.length * width);
  const visual = new Float32Array(windows.length * width);
  const kept: PairedWindow[] = [];
  for (const w of windows) {
    const fa = a.get(w.windowId);
    const fv = v.get(w.windowId);
    if (fa === undefined || fv === undefined) continue;
    const at = kept.length * width;
    if (!clipVector(fa, model.dim, frames, audio, at) || !clipVector(fv, model.dim, frames, visual, at)) {
      audio.fill(0, at, at + width);
      visual.fill(0, at, at + width);
      continue;
    }
    kept.push(w);
  }
  const n = kept.length;
  return { n, eligibleFiles, dim: width, frames: frames.length, windows: kept, audio: audio.slice(0, n * width), visual: visual.slice(0, n * width) };
}

/**
 * The picked windows' stored vectors (float16 in the database, widened here). A frame-level model
 * (`frames`: the clip frames its last run indexed, and their mask) is compared by clip vectors.
 */
export function libraryPairs(
  db: Database,
  model: { readonly id: number; readonly dim: number },
  limit = DEFAULT_LIMIT,
  seed = DEFAULT_SEED,
  frameLevel?: { readonly frames: readonly number[] },
): LibraryPairs {
  if (frameLevel !== undefined) return db.transaction(() => frameLevelPairs(db, model, frameLevel.frames, limit, seed))();
  return db.transaction(() => {
    const candidates = pairedWindows(db, model.id);
    const eligibleFiles = new Set(candidates.map((c) => c.fileId)).size;
    const windows = pickOnePerFile(candidates, limit, seed);
    const ids = windows.map((w) => w.windowId);
    const a = embeddingsOfWindows(db, model.id, 'audio', ids, model.dim);
    const v = embeddingsOfWindows(db, model.id, 'visual', ids, model.dim);
    // The join above found both vectors; a length mismatch (a corrupt row) drops the pair.
    const keep = ids.map((_, i) => a.found[i]! && v.found[i]!);
    if (keep.every(Boolean)) return { n: windows.length, eligibleFiles, dim: model.dim, windows, audio: a.vectors, visual: v.vectors };
    const d = model.dim;
    const rows = keep.flatMap((k, i) => (k ? [i] : []));
    const take = (src: Float32Array): Float32Array => {
      const out = new Float32Array(rows.length * d);
      rows.forEach((r, i) => out.set(src.subarray(r * d, (r + 1) * d), i * d));
      return out;
    };
    return { n: rows.length, eligibleFiles, dim: d, windows: rows.map((r) => windows[r]!), audio: take(a.vectors), visual: take(v.vectors) };
  })();
}
