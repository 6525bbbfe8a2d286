// Jobs (indexing, import, training…): a persistent queue, so the UI can show, pause and resume work
// across restarts. Status changes are checked here, so no front door can resurrect a finished job.
import os from 'node:os';
import { FoleyError } from '../base/errors.ts';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import { equals, whereClause } from './where.ts';
import type { SqlValue } from './where.ts';

export type JobStatus = 'queued' | 'running' | 'paused' | 'cancelled' | 'done' | 'failed';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly status: JobStatus;
  readonly params: JsonValue;
  readonly progressDone: number;
  readonly progressTotal: number | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly updatedAt: number;
}

interface JobRow {
  id: number;
  kind: string;
  status: JobStatus;
  params: string;
  progress_done: number;
  progress_total: number | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  params: JSON.parse(r.params) as JsonValue,
  progressDone: r.progress_done,
  progressTotal: r.progress_total,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

/** Which status may follow which. done, failed and cancelled are final. */
const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'cancelled'],
  running: ['paused', 'done', 'failed', 'cancelled', 'queued'],
  paused: ['running', 'queued', 'cancelled'],
  cancelled: [],
  done: [],
  failed: [],
};

const FINAL: readonly JobStatus[] = ['cancelled', 'done', 'failed'];

export function createJob(db: Database, kind: string, params: JsonValue = {}): Job {
  return write(db, () => {
    const t = now();
    const { lastInsertRowid } = db
      .prepare('INSERT INTO jobs (kind, params, created_at, updated_at) VALUES (?, ?, ?, ?)')
      .run(kind, JSON.stringify(params), t, t);
    return getJob(db, Number(lastInsertRowid))!;
  });
}

export function getJob(db: Database, id: number): Job | undefined {
  const r = db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
  return r === undefined ? undefined : toJob(r);
}

export function listJobs(db: Database, filter: { status?: JobStatus; kind?: string } = {}): Job[] {
  const where = whereClause([equals('status', filter.status), equals('kind', filter.kind)]);
  return db.prepare<SqlValue[], JobRow>(`SELECT * FROM jobs${where.sql} ORDER BY created_at, id`).all(...where.params).map(toJob);
}

export function setJobStatus(db: Database, id: number, status: JobStatus, error: string | null = null): Job {
  return write(db, () => {
    const job = getJob(db, id);
    if (job === undefined) throw new FoleyError(`no job with id ${id}`);
    if (job.status !== status && !NEXT[job.status].includes(status)) throw new FoleyError(`job ${id} is ${job.status}; it cannot become ${status}`);
    const t = now();
    db.prepare(
      `UPDATE jobs SET status = ?, error = ?, updated_at = ?,
         started_at = CASE WHEN ? = 'running' THEN coalesce(started_at, ?) ELSE started_at END,
         finished_at = CASE WHEN ? THEN ? ELSE NULL END
       WHERE id = ?`,
    ).run(status, error, t, status, t, FINAL.includes(status) ? 1 : 0, t, id);
    return getJob(db, id)!;
  });
}

export function setJobProgress(db: Database, id: number, done: number, total: number | null): void {
  write(db, () => db.prepare('UPDATE jobs SET progress_done = ?, progress_total = ?, updated_at = ? WHERE id = ?').run(done, total, now(), id));
}

/** The oldest queued job (of a kind), or undefined. */
export function nextQueuedJob(db: Database, kind?: string): Job | undefined {
  const r =
    kind === undefined
      ? db.prepare<[], JobRow>("SELECT * FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1").get()
      : db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE status = 'queued' AND kind = ? ORDER BY created_at, id LIMIT 1").get(kind);
  return r === undefined ? undefined : toJob(r);
}

/** At start-up: jobs left 'running' by a process that died go back to the queue. Returns how many. */
export function requeueInterruptedJobs(db: Database): number {
  return write(db, () => db.prepare("UPDATE jobs SET status = 'queued', updated_at = ? WHERE status = 'running'").run(now()).changes);
}

export interface ClaimOptions {
  readonly kind: string;
  readonly params: JsonValue;
  /** A 'running' job not touched for this long belongs to a dead process: it goes back to the queue. */
  readonly staleMs: number;
  /** Whether an open job's params make it this job; default: the same params (as JSON). */
  readonly same?: (params: JsonValue) => boolean;
  /**
   * When given, a live process already running this job refuses the claim (code 'conflict', this
   * message) instead of a second one being started.
   */
  readonly busy?: (job: Job) => string;
  /**
   * Record this process as the job's owner (params.owner: host and pid), so that once it is gone —
   * killed, crashed — the job is taken over at once instead of after `staleMs` of silence.
   */
  readonly recordOwner?: boolean;
}

interface JobOwner {
  readonly host: string;
  readonly pid: number;
}

function ownerOf(job: Job): JobOwner | undefined {
  const p = job.params;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
  const o = p.owner;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  return typeof o.host === 'string' && typeof o.pid === 'number' ? { host: o.host, pid: o.pid } : undefined;
}

/** The owner is a process of this machine that no longer exists (signal 0 probes without sending). */
function ownerGone(job: Job): boolean {
  const owner = ownerOf(job);
  if (owner === undefined || owner.host !== os.hostname() || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A 'running' job whose process is alive: its heartbeat is recent and its recorded owner still exists. */
export function isLiveJob(job: Job, staleMs: number): boolean {
  return job.status === 'running' && Date.now() - job.updatedAt <= staleMs && !ownerGone(job);
}

/**
 * The job to run now, marked 'running': the unfinished one of `kind` with the same params (left running
 * by a killed process, queued, or paused) so its work goes on, else a new one.
 */
export function claimJob(db: Database, options: ClaimOptions): Job {
  const { kind, staleMs } = options;
  const same = options.same ?? ((p: JsonValue) => JSON.stringify(p) === JSON.stringify(options.params));
  for (const j of listJobs(db, { kind, status: 'running' })) {
    if (!isLiveJob(j, staleMs)) setJobStatus(db, j.id, 'queued');
    else if (options.busy !== undefined && same(j.params)) throw new FoleyError(options.busy(j), { code: 'conflict' });
  }
  const open = [...listJobs(db, { kind, status: 'paused' }), ...listJobs(db, { kind, status: 'queued' })];
  const job = open.find((j) => same(j.params)) ?? createJob(db, kind, options.params);
  if (options.recordOwner === true) {
    const owner: JobOwner = { host: os.hostname(), pid: process.pid };
    write(db, () => db.prepare("UPDATE jobs SET params = json_set(params, '$.owner', json(?)) WHERE id = ?").run(JSON.stringify(owner), job.id));
  }
  return setJobStatus(db, job.id, 'running');
}
