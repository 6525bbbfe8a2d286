// A library's state in one JSON-able object: what `foley status` prints and the UI's library page shows.
import { existsSync, statSync } from 'node:fs';
import type { Library } from './library.ts';

export interface LibraryStatus {
  readonly dataDir: string;
  readonly roots: ReadonlyArray<{ readonly path: string; readonly online: boolean; readonly files: number }>;
  readonly files: { readonly total: number; readonly pending: number; readonly indexed: number; readonly failed: number; readonly offline: number };
  readonly windows: number;
  readonly hours: number;
  readonly models: ReadonlyArray<{
    readonly name: string;
    readonly precision: string;
    readonly dim: number;
    readonly audioVectors: number;
    readonly visualVectors: number;
    readonly indexes: ReadonlyArray<{ readonly modality: string; readonly vectors: number; readonly bytes: number; readonly generation: number }>;
    readonly providers: readonly string[];
  }>;
  readonly failures: ReadonlyArray<{ readonly path: string; readonly error: string }>;
  readonly jobs: ReadonlyArray<{ readonly id: number; readonly kind: string; readonly status: string; readonly done: number; readonly total: number | null; readonly error: string | null }>;
}

export function libraryStatus(library: Library, { failureLimit = 100 } = {}): LibraryStatus {
  const { db } = library;
  const roots = db
    .prepare<[], { id: number; path: string; files: number }>('SELECT r.id, r.path, (SELECT count(*) FROM files f WHERE f.root_id = r.id) AS files FROM roots r ORDER BY r.path')
    .all();
  const byStatus = new Map(
    db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM files GROUP BY status').all().map((r) => [r.status, r.n] as const),
  );
  const windows = db.prepare<[], { n: number; seconds: number | null }>('SELECT count(*) AS n, sum(end_s - start_s) AS seconds FROM windows').get()!;
  const models = db.prepare<[], { id: number; name: string; precision: string; dim: number }>('SELECT id, name, precision, dim FROM models ORDER BY id').all();
  const vectors = db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM embeddings WHERE model_id = ? AND modality = ?');
  const indexes = db.prepare<[number], { modality: string; vector_count: number; byte_length: number; generation: number }>(
    'SELECT modality, vector_count, byte_length, generation FROM vector_indexes WHERE model_id = ? AND chunk_count > 0 ORDER BY modality',
  );
  const providers = db.prepare<[number], { provider: string }>('SELECT DISTINCT provider FROM embedding_runs WHERE model_id = ? ORDER BY provider');
  const failures = db
    .prepare<[number], { path: string; last_error: string | null }>("SELECT path, last_error FROM files WHERE status = 'failed' ORDER BY path LIMIT ?")
    .all(failureLimit);
  const jobs = db
    .prepare<[], { id: number; kind: string; status: string; progress_done: number; progress_total: number | null; error: string | null }>(
      'SELECT id, kind, status, progress_done, progress_total, error FROM jobs ORDER BY id DESC LIMIT 10',
    )
    .all();
  const count = (s: string): number => byStatus.get(s) ?? 0;
  return {
    dataDir: library.dataDir,
    roots: roots.map((r) => ({ path: r.path, online: existsDir(r.path), files: r.files })),
    files: {
      total: [...byStatus.values()].reduce((a, b) => a + b, 0),
      pending: count('pending'),
      indexed: count('indexed'),
      failed: count('failed'),
      offline: count('missing'),
    },
    windows: windows.n,
    hours: (windows.seconds ?? 0) / 3600,
    models: models.map((m) => ({
      name: m.name,
      precision: m.precision,
      dim: m.dim,
      audioVectors: vectors.get(m.id, 'audio')!.n,
      visualVectors: vectors.get(m.id, 'visual')!.n,
      indexes: indexes.all(m.id).map((i) => ({ modality: i.modality, vectors: i.vector_count, bytes: i.byte_length, generation: i.generation })),
      providers: providers.all(m.id).map((p) => p.provider),
    })),
    failures: failures.map((f) => ({ path: f.path, error: f.last_error ?? 'unknown error' })),
    jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, status: j.status, done: j.progress_done, total: j.progress_total, error: j.error })),
  };
}

function existsDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
