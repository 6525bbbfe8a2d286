// Training jobs from the main thread: claim (or resume) a 'train' job row, run it in a worker, and
// expose pause / resume / cancel / stop. Nothing here blocks: the worker has its own connection and
// the caller gets a handle with a promise.
//
// Resuming: a paused or queued train job of the same model is continued; a 'running' one whose
// heartbeat (updated_at) is older than staleMs, or whose recorded owner process on this machine is
// gone (kill -9 a moment ago), belongs to a dead process and is taken over. Its
// training_checkpoints let it continue from the last finished epoch (same labels and options), or it
// starts from scratch.
import { Worker } from 'node:worker_threads';
import { interactiveCounter } from '../../../base/interactive.ts';
import { databasePath } from '../../../db/connection.ts';
import { claimJob, getJob, isLiveJob, listJobs, setJobStatus } from '../../../db/jobs.ts';
import type { Job } from '../../../db/jobs.ts';
import { FoleyError } from '../../../base/errors.ts';
import type { Library } from '../../library/handle.ts';
import type { TrainOptions, TrainProgress, TrainSummary } from './trainer.ts';
import type { WorkerCommand, WorkerInput, WorkerMessage } from './worker.ts';

export const TRAIN_JOB = 'train';
/** A running train job silent for this long belongs to a dead process. */
export const STALE_MS = 30_000;

export type TrainingOutcome =
  | { readonly status: 'done'; readonly jobId: number; readonly summary: TrainSummary }
  | { readonly status: 'paused' | 'cancelled'; readonly jobId: number };

export interface TrainingHandle {
  readonly jobId: number;
  /** Resolves when the worker ends (done, stopped or cancelled); rejects when training fails. */
  readonly done: Promise<TrainingOutcome>;
  readonly progress: TrainProgress | null;
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** Stop now, keep the job resumable (app quit, Ctrl-C). */
  stop(): void;
  /** Ends the worker thread at once, as a crash would (tests, a hung worker). */
  kill(): Promise<void>;
}

export interface StartTrainingOptions {
  readonly modelId: number;
  readonly options?: TrainOptions;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onMessage?: (m: WorkerMessage) => void;
  readonly lowPriority?: boolean;
  readonly staleMs?: number;
  readonly pollMs?: number;
}

interface Params {
  modelId: number;
}

/** The open train job of this model, if one is running in a live process. */
export function runningTrainingJob(library: Library, modelId: number, staleMs = STALE_MS): Job | undefined {
  return listJobs(library.db, { kind: TRAIN_JOB, status: 'running' }).find(
    (j) => (j.params as unknown as Params).modelId === modelId && isLiveJob(j, staleMs),
  );
}

export function startTraining(library: Library, o: StartTrainingOptions): TrainingHandle {
  // The job this model's training continues (stopped, paused or left by a dead process), else a new one.
  const job = claimJob(library.db, {
    kind: TRAIN_JOB,
    params: { modelId: o.modelId },
    staleMs: o.staleMs ?? STALE_MS,
    same: (p) => (p as unknown as Params).modelId === o.modelId,
    busy: (j) => `training job ${j.id} is already running for this model`,
    recordOwner: true,
  });
  const input: WorkerInput = {
    dbFile: databasePath(library.dataDir),
    jobId: job.id,
    modelId: o.modelId,
    options: o.options ?? {},
    lowPriority: o.lowPriority ?? true,
    pollMs: o.pollMs ?? 500,
    yieldTo: interactiveCounter(),
  };
  // Compiled (Electron's dist/app), this module is job.js and its worker worker.js.
  const worker = new Worker(new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url), { workerData: input });
  let progress: TrainProgress | null = null;
  let paused = false;
  let settled = false;
  const send = (c: WorkerCommand): void => {
    if (!settled) worker.postMessage(c);
  };
  const done = new Promise<TrainingOutcome>((resolve, reject) => {
    let outcome: TrainingOutcome | undefined;
    let failure: Error | undefined;
    worker.on('message', (m: WorkerMessage) => {
      o.onMessage?.(m);
      if (m.type === 'progress') {
        progress = m.progress;
        o.onProgress?.(m.progress);
      } else if (m.type === 'paused') paused = true;
      else if (m.type === 'resumed') paused = false;
      else if (m.type === 'done') outcome = { status: 'done', jobId: job.id, summary: m.summary };
      else if (m.type === 'stopped') outcome = { status: m.status, jobId: job.id };
      else failure = new FoleyError(`training failed: ${m.message}`, { code: 'failed' });
    });
    worker.on('error', (e) => (failure = e));
    worker.on('exit', (code) => {
      settled = true;
      if (outcome !== undefined) resolve(outcome);
      else reject(failure ?? new FoleyError(`training worker ended (exit code ${code}) before finishing job ${job.id}; run it again to resume`, { code: 'failed' }));
    });
  });
  const setStatus = (status: 'paused' | 'running' | 'cancelled'): void => {
    const j = getJob(library.db, job.id);
    if (j !== undefined && j.status !== status && (j.status === 'running' || j.status === 'paused')) setJobStatus(library.db, job.id, status);
  };
  return {
    jobId: job.id,
    done,
    get progress() {
      return progress;
    },
    get paused() {
      return paused;
    },
    pause: () => {
      setStatus('paused');
      send({ type: 'pause' });
    },
    resume: () => {
      setStatus('running');
      send({ type: 'resume' });
    },
    cancel: () => {
      setStatus('cancelled');
      send({ type: 'cancel' });
    },
    stop: () => send({ type: 'interrupt' }),
    kill: async () => {
      settled = true;
      await worker.terminate();
    },
  };
}

/** Waits (polling each second) until a train job has ended, in whichever process runs it; its final row. */
export async function waitForTrainingJob(library: Library, jobId: number): Promise<Job | undefined> {
  for (;;) {
    const j = getJob(library.db, jobId);
    if (j === undefined || j.status === 'done' || j.status === 'failed' || j.status === 'cancelled') return j;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
