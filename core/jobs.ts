// Jobs as `foley jobs` shows and steers them: the recent ones, and pause/resume/cancel by id. The
// process running a job sees the new status in its row at its next checkpoint (core/indexing/control.ts).
import { FoleyError } from '../base/errors.ts';
import { getJob, listJobs, setJobStatus } from '../db/jobs.ts';
import type { Job, JobStatus } from '../db/jobs.ts';
import type { Library } from './library/handle.ts';

export type JobAction = 'pause' | 'resume' | 'cancel';

const STATUS_AFTER: Record<JobAction, JobStatus> = { pause: 'paused', resume: 'running', cancel: 'cancelled' };

export function isJobAction(name: string): name is JobAction {
  return Object.hasOwn(STATUS_AFTER, name);
}

/** The `count` most recent jobs, oldest first. */
export function recentJobs(library: Library, count = 20): Job[] {
  return listJobs(library.db).slice(-count);
}

export function requireJob(library: Library, id: number): Job {
  const job = getJob(library.db, id);
  if (job === undefined) throw new FoleyError(`no job with id ${id}`, { code: 'not_found' });
  return job;
}

/** Asks job `id` to pause, resume or stop; a finished job refuses (its status is final). */
export function controlJob(library: Library, id: number, action: JobAction): Job {
  requireJob(library, id);
  return setJobStatus(library.db, id, STATUS_AFTER[action]);
}
