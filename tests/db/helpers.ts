// Shared by the db tests and bench/store.bench.ts: temp databases, a seeded RNG, and "latent32"
// vectors: normalize(P·z + 0.05·noise) with z ~ N(0, I_32) and a fixed random P, i.e. low intrinsic
// dimension like real embeddings (i.i.d. random vectors are all nearly equidistant, the worst case
// for HNSW and nothing like CAV-MAE output; toolchain notes §4).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../db/connection.ts';
import type { Database } from '../../db/connection.ts';
import { addFile } from '../../db/files.ts';
import { ensureModel } from '../../db/models.ts';
import type { Model } from '../../db/models.ts';
import { startRun } from '../../db/runs.ts';
import type { EmbeddingRun } from '../../db/runs.ts';
import { replaceFileWindows } from '../../db/windows.ts';

export function tempDir(prefix = 'foley-db-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function tempDatabase(): { db: Database; file: string; dir: string } {
  const dir = tempDir();
  const file = path.join(dir, 'foley.db');
  return { db: openDatabase(file), file, dir };
}

/** mulberry32 with Box-Muller normals: deterministic across runs and platforms. */
export function rng(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** A generator of latent32 unit vectors of dimension dim (the projection P is fixed by `seed`). */
export function latentVectors(dim: number, seed = 1, latent = 32): (n: number) => Float32Array {
  const r = rng(seed);
  const p = new Float32Array(dim * latent);
  for (let i = 0; i < p.length; i++) p[i] = r.normal() / Math.sqrt(latent);
  return (n) => {
    const out = new Float32Array(n * dim);
    const z = new Float32Array(latent);
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < latent; j++) z[j] = r.normal();
      let norm = 0;
      for (let i = 0; i < dim; i++) {
        let s = 0.05 * r.normal();
        for (let j = 0; j < latent; j++) s += p[i * latent + j]! * z[j]!;
        out[k * dim + i] = s;
        norm += s * s;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dim; i++) out[k * dim + i]! *= inv;
    }
    return out;
  };
}

export function row(vectors: Float32Array, dim: number, i: number): Float32Array {
  return vectors.subarray(i * dim, (i + 1) * dim);
}

export function testModel(db: Database, dim: number): { model: Model; run: EmbeddingRun } {
  const model = ensureModel(db, { name: 'test', dim, checkpointSha256: 'ab'.repeat(32), precision: 'fp32', converterVersion: '1' });
  return { model, run: startRun(db, { modelId: model.id, provider: 'cpu', threads: 1 }) };
}

/**
 * Adds `files` files of `perFile` 10-s windows each, with audio vectors from `next` (and visual ones
 * too when `visual`). Returns the window ids in insertion order.
 */
export function seedLibrary(db: Database, runId: number, next: (n: number) => Float32Array, dim: number, files: number, perFile: number, firstFile = 0): number[] {
  const ids: number[] = [];
  for (let f = firstFile; f < firstFile + files; f++) {
    const file = addFile(db, { path: `/media/clip-${f}.mp4`, size: 1000 + f, mtimeMs: 1_700_000_000_000 + f, fingerprint: `fp-${f}` });
    const vecs = next(perFile);
    const windows = Array.from({ length: perFile }, (_, w) => ({
      startS: w * 10,
      endS: w * 10 + 10,
      hasAudio: true,
      hasVisual: false,
      embeddings: { audio: row(vecs, dim, w) },
    }));
    ids.push(...replaceFileWindows(db, file.id, runId, windows));
  }
  return ids;
}
