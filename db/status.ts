// What `foley status` and the library page count, read in one place: roots, files by status, windows,
// per-model vectors/indexes/providers, recent failures and jobs. core/status.ts shapes it for users.
import type { Database } from './connection.ts';
import type { JobStatus } from './jobs.ts';

export interface StatusCounts {
  readonly roots: ReadonlyArray<{ readonly path: string; readonly files: number }>;
  /** Files per status ('pending', 'indexed', 'failed', 'missing'); absent statuses have no entry. */
  readonly filesByStatus: ReadonlyMap<string, number>;
  /** Indexed files with a damage note (all of them, not limited). */
  readonly damagedFiles: number;
  readonly windows: number;
  /** Sum of the windows' spans. */
  readonly windowSeconds: number;
  readonly models: ReadonlyArray<{
    readonly name: string;
    readonly precision: string;
    readonly dim: number;
    readonly audioVectors: number;
    readonly visualVectors: number;
    /** Stored search structures, HNSW graphs or int8 scan codes (pairs only tracked, with no chunks yet, are left out). */
    readonly indexes: ReadonlyArray<{
      readonly modality: string;
      readonly vectors: number;
      readonly bytes: number;
      readonly generation: number;
      /** What is stored: an HNSW graph, or an int8 scan's codes (core/search/scan-file.ts; meta m = 0). */
      readonly kind: 'hnsw' | 'int8-scan';
    }>;
    /** Providers the model's embedding runs used. */
    readonly providers: readonly string[];
    /** One vector per clip frame (CAV-MAE Sync): the counts above are windows, `frames` their moments. */
    readonly frameLevel: boolean;
    /** Frames per window of the picture vectors, with how many vectors each count made (frame aggregation). */
    readonly frames: ReadonlyArray<{ readonly frames: number; readonly visualVectors: number }>;
  }>;
  /** Failed files by path, at most `failureLimit`. */
  readonly failures: ReadonlyArray<{ readonly path: string; readonly error: string | null }>;
  /**
   * Damaged files (indexed, with a damage note in last_error) by path, at most `failureLimit`, with
   * their header's duration and their windows (what was indexed).
   */
  readonly damaged: ReadonlyArray<{
    readonly path: string;
    readonly error: string;
    readonly durationS: number | null;
    readonly windows: ReadonlyArray<{ readonly startS: number; readonly endS: number; readonly hasAudio: boolean; readonly hasVisual: boolean }>;
  }>;
  /** The ten newest jobs. */
  readonly jobs: ReadonlyArray<{ readonly id: number; readonly kind: string; readonly status: JobStatus; readonly done: number; readonly total: number | null; readonly error: string | null }>;
}

export function statusCounts(db: Database, failureLimit: number): StatusCounts {
  const roots = db
    .prepare<[], { path: string; files: number }>('SELECT r.path, (SELECT count(*) FROM files f WHERE f.root_id = r.id) AS files FROM roots r ORDER BY r.path')
    .all();
  const byStatus = db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM files GROUP BY status').all();
  const windows = db.prepare<[], { n: number; seconds: number | null }>('SELECT count(*) AS n, sum(end_s - start_s) AS seconds FROM windows').get()!;
  const models = db.prepare<[], { id: number; name: string; precision: string; dim: number; frame_level: number }>('SELECT id, name, precision, dim, frame_level FROM models ORDER BY id').all();
  const vectors = db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM embeddings WHERE model_id = ? AND modality = ?');
  const indexes = db.prepare<[number], { modality: string; vector_count: number; byte_length: number; generation: number; m: number }>(
    'SELECT modality, vector_count, byte_length, generation, m FROM vector_indexes WHERE model_id = ? AND chunk_count > 0 ORDER BY modality',
  );
  const providers = db.prepare<[number], { provider: string }>('SELECT DISTINCT provider FROM embedding_runs WHERE model_id = ? ORDER BY provider');
  const frames = db.prepare<[number], { frames: number; n: number }>(
    "SELECT r.frames, count(*) AS n FROM embeddings e JOIN embedding_runs r ON r.id = e.run_id WHERE e.model_id = ? AND e.modality = 'visual' GROUP BY r.frames ORDER BY r.frames",
  );
  const failures = db
    .prepare<[number], { path: string; last_error: string | null }>("SELECT path, last_error FROM files WHERE status = 'failed' ORDER BY path LIMIT ?")
    .all(failureLimit);
  const damaged = db
    .prepare<[number], { id: number; path: string; last_error: string; duration_s: number | null }>(
      "SELECT id, path, last_error, duration_s FROM files WHERE status = 'indexed' AND last_error IS NOT NULL ORDER BY path LIMIT ?",
    )
    .all(failureLimit);
  const damagedWindows = db.prepare<[number], { start_s: number; end_s: number; has_audio: number; has_visual: number }>(
    'SELECT start_s, end_s, has_audio, has_visual FROM windows WHERE file_id = ? ORDER BY start_s',
  );
  const jobs = db
    .prepare<[], { id: number; kind: string; status: JobStatus; progress_done: number; progress_total: number | null; error: string | null }>(
      'SELECT id, kind, status, progress_done, progress_total, error FROM jobs ORDER BY id DESC LIMIT 10',
    )
    .all();
  const damagedFiles = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM files WHERE status = 'indexed' AND last_error IS NOT NULL").get()!.n;
  return {
    roots,
    filesByStatus: new Map(byStatus.map((r) => [r.status, r.n])),
    damagedFiles,
    windows: windows.n,
    windowSeconds: windows.seconds ?? 0,
    models: models.map((m) => ({
      name: m.name,
      precision: m.precision,
      dim: m.dim,
      frameLevel: m.frame_level === 1,
      audioVectors: vectors.get(m.id, 'audio')!.n,
      visualVectors: vectors.get(m.id, 'visual')!.n,
      indexes: indexes.all(m.id).map((i) => ({ modality: i.modality, vectors: i.vector_count, bytes: i.byte_length, generation: i.generation, kind: i.m === 0 ? ('int8-scan' as const) : ('hnsw' as const) })),
      providers: providers.all(m.id).map((p) => p.provider),
      frames: frames.all(m.id).map((f) => ({ frames: f.frames, visualVectors: f.n })),
    })),
    failures: failures.map((f) => ({ path: f.path, error: f.last_error })),
    damaged: damaged.map((f) => ({
      path: f.path,
      error: f.last_error,
      durationS: f.duration_s,
      windows: damagedWindows.all(f.id).map((w) => ({ startS: w.start_s, endS: w.end_s, hasAudio: w.has_audio === 1, hasVisual: w.has_visual === 1 })),
    })),
    jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, status: j.status, done: j.progress_done, total: j.progress_total, error: j.error })),
  };
}
