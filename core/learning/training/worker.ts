// The training worker (worker_threads). Runs one training job on its own database connection, so
// search and the UI on the main thread never wait for it. Low priority: on Linux os.setPriority(19)
// from this thread renices only this thread (Linux keeps nice values per thread; verified: the main
// thread stays at 0). On macOS and Windows the same call would renice the whole process, so there it
// is not called and the worker relies on being one thread that yields between mini-batches.
//
// Messages in: { type: 'pause' | 'resume' | 'cancel' | 'interrupt' }. The job row is polled too, so
// `foley jobs pause ID` from another process works. Messages out: WorkerMessage.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { waitWhileInteractive } from '../../../base/interactive.ts';
import { openDatabase } from '../../../db/connection.ts';
import { getJob, setJobProgress, setJobStatus } from '../../../db/jobs.ts';
import { clearCheckpoints } from '../../../db/learning.ts';
import { Cancelled, JobControl } from '../../indexing/control.ts';
import { runTraining } from './trainer.ts';
import type { TrainOptions, TrainProgress, TrainSummary } from './trainer.ts';

export interface WorkerInput {
  readonly dbFile: string;
  readonly jobId: number;
  readonly modelId: number;
  readonly options: TrainOptions;
  readonly lowPriority: boolean;
  /** Milliseconds between pause/cancel polls of the job row. */
  readonly pollMs: number;
  /** base/interactive.ts's count: each step waits while a search runs in the starting process. */
  readonly yieldTo?: Int32Array;
}

export type WorkerCommand = { type: 'pause' } | { type: 'resume' } | { type: 'cancel' } | { type: 'interrupt' };

export type WorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; summary: TrainSummary }
  | { type: 'stopped'; status: 'paused' | 'cancelled' }
  | { type: 'error'; message: string };

const input = workerData as WorkerInput;
const port = parentPort!;
const post = (m: WorkerMessage): void => port.postMessage(m);

if (input.lowPriority && process.platform === 'linux') {
  try {
    os.setPriority(19);
  } catch {
    // Not allowed (some containers): run at normal priority.
  }
}

const db = openDatabase(input.dbFile);
const control = new JobControl();
control.noteDatabaseStatus('running');
port.on('message', (m: WorkerCommand) => {
  if (m.type === 'pause') control.pause();
  else if (m.type === 'resume') control.resume();
  else if (m.type === 'cancel') control.cancel();
  else control.interrupt();
});

let lastSync = 0;
let lastBeat = 0;
const checkpoint = async (): Promise<void> => {
  // A search in the serving process goes first: this step waits while one runs (base/interactive.ts).
  if (input.yieldTo !== undefined) waitWhileInteractive(input.yieldTo);
  const t = Date.now();
  const poll = t - lastSync >= input.pollMs;
  if (poll) lastSync = t;
  if (poll || control.current !== 'running') {
    let wasPaused = false;
    await control.checkpoint({
      db,
      jobId: input.jobId,
      pollMs: input.pollMs,
      onPause: () => {
        wasPaused = true;
        if (getJob(db, input.jobId)?.status === 'running') setJobStatus(db, input.jobId, 'paused');
        control.noteDatabaseStatus('paused');
        post({ type: 'paused' });
      },
    });
    if (wasPaused) {
      if (getJob(db, input.jobId)?.status === 'paused') setJobStatus(db, input.jobId, 'running');
      control.noteDatabaseStatus('running');
      post({ type: 'resumed' });
    }
  }
  // Let messages (pause, cancel) in between mini-batches.
  await new Promise<void>((resolve) => setImmediate(resolve));
};

try {
  const summary = await runTraining({
    db,
    modelId: input.modelId,
    jobId: input.jobId,
    options: input.options,
    checkpoint,
    onProgress: (p) => {
      post({ type: 'progress', progress: p });
      const t = Date.now();
      // The job row doubles as a heartbeat: a running job silent for long belongs to a dead worker.
      if (t - lastBeat >= 500 || p.stage === 'done') {
        lastBeat = t;
        setJobProgress(db, input.jobId, p.done, p.total);
      }
    },
  });
  setJobStatus(db, input.jobId, 'done');
  post({ type: 'done', summary });
} catch (e) {
  if (e instanceof Cancelled) {
    if (control.interrupted) {
      // Stopped, not cancelled: checkpoints stay, the next `foley train` resumes from them.
      if (getJob(db, input.jobId)?.status !== 'paused') setJobStatus(db, input.jobId, 'paused');
      post({ type: 'stopped', status: 'paused' });
    } else {
      if (getJob(db, input.jobId)?.status !== 'cancelled') setJobStatus(db, input.jobId, 'cancelled');
      clearCheckpoints(db, input.jobId);
      post({ type: 'stopped', status: 'cancelled' });
    }
  } else {
    const message = e instanceof Error ? e.message : String(e);
    try {
      setJobStatus(db, input.jobId, 'failed', message);
    } catch {
      // The row may be final already; the message still reaches the caller.
    }
    post({ type: 'error', message });
  }
} finally {
  db.close();
  // The message listener would keep the thread alive; let it end once the last message is out.
  port.unref();
}
