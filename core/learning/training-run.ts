// What this process knows of its own training run, for the UI: the running job's handle and progress,
// whether it is paused or being cancelled, when the next debounced run starts, and how the last one
// ended. Every change goes out through `changed` (the learning service turns it into a `training`
// event); progress is throttled to one event per interval, except that a new stage always goes out.
import { FoleyError } from '../../base/errors.ts';
import type { TrainingHandle, TrainingOutcome } from './training/job.ts';
import type { TrainProgress, TrainSummary } from './training/trainer.ts';

/** How a run of this process ended, with when (epoch ms). */
export type RunOutcome =
  | { readonly status: 'done'; readonly jobId: number; readonly summary: TrainSummary; readonly at: number }
  | { readonly status: 'paused' | 'cancelled'; readonly jobId: number; readonly at: number }
  | { readonly status: 'failed'; readonly error: string; readonly at: number };

export type RunPhase = 'running' | 'paused' | 'cancelling';

export class TrainingRun {
  private handleNow: TrainingHandle | null = null;
  private progressNow: TrainProgress | null = null;
  private pausedNow = false;
  private cancelling = false;
  private lastOutcome: RunOutcome | null = null;
  private nextStart: number | null = null;
  private lastEmit = 0;
  private lastStage = '';
  private readonly changed: () => void;
  private readonly intervalMs: number;

  /** `changed` is called on every change worth telling; progress at most every `intervalMs`. */
  constructor(changed: () => void, intervalMs: number) {
    this.changed = () => {
      this.lastEmit = performance.now();
      changed();
    };
    this.intervalMs = intervalMs;
  }

  get handle(): TrainingHandle | null {
    return this.handleNow;
  }

  /** null when no run of this process is going on. */
  get phase(): RunPhase | null {
    if (this.handleNow === null) return null;
    return this.cancelling ? 'cancelling' : this.pausedNow ? 'paused' : 'running';
  }

  get progress(): TrainProgress | null {
    return this.handleNow !== null ? this.progressNow : null;
  }

  get last(): RunOutcome | null {
    return this.lastOutcome;
  }

  /** Epoch ms when the debounced run was last said to start (meaningful while one is scheduled). */
  get startsAt(): number | null {
    return this.nextStart;
  }

  /** Labels changed: the debounced run starts `debounceMs` from now (unless a run is going on). */
  scheduleIn(debounceMs: number): void {
    if (this.handleNow === null) this.nextStart = Date.now() + debounceMs;
  }

  started(handle: TrainingHandle): void {
    this.handleNow = handle;
    this.progressNow = null;
    this.pausedNow = false;
    this.cancelling = false;
    this.nextStart = null;
    this.changed();
  }

  progressed(p: TrainProgress): void {
    this.progressNow = p;
    if (p.stage !== this.lastStage || performance.now() - this.lastEmit >= this.intervalMs) {
      this.lastStage = p.stage;
      this.changed();
    }
  }

  /** The worker says it paused or resumed (also when paused from another process via the job row). */
  pausedChanged(paused: boolean): void {
    this.pausedNow = paused;
    this.changed();
  }

  /** The run ended; the caller emits once the scheduler has decided whether another run follows. */
  finished(outcome: TrainingOutcome | { status: 'failed'; error: string }): void {
    const at = Date.now();
    this.lastOutcome = outcome.status === 'failed' ? { status: 'failed', error: firstLine(outcome.error), at } : { ...outcome, at };
    this.handleNow = null;
    this.progressNow = null;
    this.pausedNow = false;
    this.cancelling = false;
  }

  /** A run that could not start (or failed outside the worker). */
  failed(e: unknown): void {
    this.lastOutcome = { status: 'failed', error: firstLine(e instanceof Error ? e.message : String(e)), at: Date.now() };
    this.changed();
  }

  pause(): void {
    this.running().pause();
    this.pausedNow = true;
    this.changed();
  }

  resume(): void {
    this.running().resume();
    this.pausedNow = false;
    this.changed();
  }

  cancel(): void {
    this.running().cancel();
    this.cancelling = true;
    this.changed();
  }

  private running(): TrainingHandle {
    if (this.handleNow === null) throw new FoleyError('training is not running', { code: 'conflict' });
    return this.handleNow;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
