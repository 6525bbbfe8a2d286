// A library tagging run as a row of the jobs table (kind 'tag'), so that any process — `foley status`,
// the app's Models page — can tell that one is going, and a second `foley tag` beside `foley serve`
// is refused instead of doing the same work twice. The row carries no state to resume from: the
// windows still untagged are found by query, so a killed run's successor just starts.
import { claimJob, getJob, isLiveJob, listJobs, setJobProgress, setJobStatus } from '../../db/jobs.ts';
import type { JobControl } from '../indexing/control.ts';
import type { Job, JobStatus } from '../../db/jobs.ts';
import type { Database } from '../../db/connection.ts';

export const TAG_JOB = 'tag';
/** A running job's row is touched at least this often while it works (progress); silent longer, it is dead. */
export const TAG_STALE_MS = 60_000;

interface TagParams {
  readonly modelId: number;
}

const isFor = (job: Job, modelId: number): boolean => {
  const p = job.params;
  return typeof p === 'object' && p !== null && !Array.isArray(p) && p.modelId === modelId;
};

/** Claims the model's tagging job; refused (code 'conflict') while a live process runs one. */
export function claimTagJob(db: Database, modelId: number): Job {
  const params: TagParams = { modelId };
  return claimJob(db, {
    kind: TAG_JOB,
    params: { ...params },
    staleMs: TAG_STALE_MS,
    same: (p) => typeof p === 'object' && p !== null && !Array.isArray(p) && p.modelId === modelId,
    busy: (j) => `tagging with this model is already running (job ${j.id})`,
    recordOwner: true,
  });
}

/** The model's live tagging job, if a process is running one now. */
export function runningTagJob(db: Database, modelId: number): Job | undefined {
  return listJobs(db, { kind: TAG_JOB, status: 'running' }).find((j) => isFor(j, modelId) && isLiveJob(j, TAG_STALE_MS));
}

/** The model's tagging job if it is paused (a paused run waits in its process, or was left paused). */
export function pausedTagJob(db: Database, modelId: number): Job | undefined {
  return listJobs(db, { kind: TAG_JOB, status: 'paused' }).find((j) => isFor(j, modelId));
}

export function tagJobProgress(db: Database, jobId: number, done: number, total: number): void {
  setJobProgress(db, jobId, done, total);
}

export function endTagJob(db: Database, jobId: number, status: Extract<JobStatus, 'done' | 'cancelled' | 'failed'>, error: string | null = null): void {
  setJobStatus(db, jobId, status, error);
}

/**
 * Between windows: waits while the run is paused (from this process, or through the job row:
 * `foley jobs pause ID`), keeping the row's status in step so other processes see it; throws when
 * cancelled. Without a job row (one file on demand) only this process's control counts.
 */
export function tagCheckpoint(db: Database, job: Job | undefined, control: JobControl): () => Promise<void> {
  return async () => {
    if (job === undefined) return control.checkpoint();
    await control.checkpoint({
      db,
      jobId: job.id,
      onPause: () => {
        if (getJob(db, job.id)?.status === 'running') setJobStatus(db, job.id, 'paused');
        control.noteDatabaseStatus('paused');
      },
    });
    if (getJob(db, job.id)?.status === 'paused') {
      setJobStatus(db, job.id, 'running');
      control.noteDatabaseStatus('running');
    }
  };
}
