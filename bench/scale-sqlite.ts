// The product's re-rank store for bench/search-scale.bench.ts: the bench rows written through the real db/
// code (float16 BLOBs in `embeddings`), read back for the candidates with embeddingsOfWindows exactly as
// core/search/engine.ts does after a projected graph proposes them.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../db/connection.ts';
import type { Database } from '../db/connection.ts';
import { embeddingsOfWindows } from '../db/embeddings.ts';
import { dotRow, normaliseInPlace, topK } from '../core/search/vectors.ts';
import { seedLibrary, tempDir, testModel } from '../tests/db/helpers.ts';
import { D } from './scale-kernels.ts';

const PER_FILE = 100;

export interface SqliteStore {
  readonly db: Database;
  /** The database file (another process may open it). */
  readonly file: string;
  readonly modelId: number;
  /** Window id of bench row i. */
  readonly windowOf: Float64Array;
  readonly writeS: number;
  close(): void;
}

export function sqliteStore(rows: Float32Array): SqliteStore {
  const n = rows.length / D;
  const dir = tempDir('foley-scale-');
  const file = path.join(dir, 'scale.db');
  const db = openDatabase(file);
  const { model, run } = testModel(db, D);
  const windowOf = new Float64Array(n);
  let next = 0;
  const gen = (m: number): Float32Array => rows.subarray(next * D, (next += m) * D);
  const t = performance.now();
  for (let f = 0; f < n / PER_FILE; f += 100) {
    const files = Math.min(100, Math.ceil(n / PER_FILE) - f);
    const from = next;
    const ids = db.transaction(() => seedLibrary(db, run.id, gen, D, files, PER_FILE, f))();
    windowOf.set(ids, from);
  }
  const writeS = (performance.now() - t) / 1000;
  return { db, file, modelId: model.id, windowOf, writeS, close: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** The engine's re-rank: read the candidates' float16 rows from SQLite, normalise, dot, top k (bench row numbers). */
export function rerankSqlite(s: SqliteStore, cands: readonly number[], q: Float32Array, k: number): number[] {
  const ids = cands.map((r) => s.windowOf[r]!);
  const { vectors, found } = embeddingsOfWindows(s.db, s.modelId, 'audio', ids, D);
  const scores = new Float32Array(ids.length).fill(Number.NaN);
  for (let i = 0; i < ids.length; i++) {
    if (!found[i]) continue;
    normaliseInPlace(vectors.subarray(i * D, (i + 1) * D));
    scores[i] = dotRow(vectors, i, q);
  }
  return topK(scores, k).map((i) => cands[i]!);
}
