// Embedding runs: one model pass over some windows, recording the execution provider that actually ran
// (after fallback), so every stored vector can be traced to cpu/cuda/... .
import type { ProviderName } from '../base/types.ts';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';

export interface EmbeddingRun {
  readonly id: number;
  readonly modelId: number;
  readonly provider: ProviderName;
  readonly threads: number | null;
  readonly jobId: number | null;
  /** Frames averaged per window for the picture vectors this run stored (1: the window's middle). */
  readonly frames: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

interface RunRow {
  id: number;
  model_id: number;
  provider: ProviderName;
  threads: number | null;
  job_id: number | null;
  frames: number;
  started_at: number;
  finished_at: number | null;
}

const toRun = (r: RunRow): EmbeddingRun => ({
  id: r.id,
  modelId: r.model_id,
  provider: r.provider,
  threads: r.threads,
  jobId: r.job_id,
  frames: r.frames,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export function startRun(db: Database, run: { modelId: number; provider: ProviderName; threads?: number | null; jobId?: number | null; frames?: number }): EmbeddingRun {
  return write(db, () => {
    const { lastInsertRowid } = db
      .prepare('INSERT INTO embedding_runs (model_id, provider, threads, job_id, frames, started_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(run.modelId, run.provider, run.threads ?? null, run.jobId ?? null, run.frames ?? 1, now());
    return getRun(db, Number(lastInsertRowid))!;
  });
}

export function finishRun(db: Database, id: number): void {
  write(db, () => db.prepare('UPDATE embedding_runs SET finished_at = ? WHERE id = ?').run(now(), id));
}

export function getRun(db: Database, id: number): EmbeddingRun | undefined {
  const r = db.prepare<[number], RunRow>('SELECT * FROM embedding_runs WHERE id = ?').get(id);
  return r === undefined ? undefined : toRun(r);
}

export function listRuns(db: Database, modelId?: number): EmbeddingRun[] {
  const rows =
    modelId === undefined
      ? db.prepare<[], RunRow>('SELECT * FROM embedding_runs ORDER BY id').all()
      : db.prepare<[number], RunRow>('SELECT * FROM embedding_runs WHERE model_id = ? ORDER BY id').all(modelId);
  return rows.map(toRun);
}

/** Frames per window of the model's newest run (1 before any): what the next run keeps unless told otherwise. */
export function latestFrames(db: Database, modelId: number, fallback = 1): number {
  return db.prepare<[number], { frames: number }>('SELECT frames FROM embedding_runs WHERE model_id = ? ORDER BY id DESC LIMIT 1').get(modelId)?.frames ?? fallback;
}

/** Picture vectors of a file stored by runs with another frame count than `frames` (they are re-embedded). */
export function visualVectorsWithOtherFrames(db: Database, fileId: number, modelId: number, frames: number): number {
  return db
    .prepare<[number, number, number], { n: number }>(
      `SELECT count(*) AS n FROM embeddings e JOIN windows w ON w.id = e.window_id JOIN embedding_runs r ON r.id = e.run_id
       WHERE w.file_id = ? AND e.model_id = ? AND e.modality = 'visual' AND r.frames != ?`,
    )
    .get(fileId, modelId, frames)!.n;
}
