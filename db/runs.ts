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
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

interface RunRow {
  id: number;
  model_id: number;
  provider: ProviderName;
  threads: number | null;
  job_id: number | null;
  started_at: number;
  finished_at: number | null;
}

const toRun = (r: RunRow): EmbeddingRun => ({
  id: r.id,
  modelId: r.model_id,
  provider: r.provider,
  threads: r.threads,
  jobId: r.job_id,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export function startRun(db: Database, run: { modelId: number; provider: ProviderName; threads?: number | null; jobId?: number | null }): EmbeddingRun {
  return write(db, () => {
    const { lastInsertRowid } = db
      .prepare('INSERT INTO embedding_runs (model_id, provider, threads, job_id, started_at) VALUES (?, ?, ?, ?, ?)')
      .run(run.modelId, run.provider, run.threads ?? null, run.jobId ?? null, now());
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
