// Pause, resume and cancel for a running job, from this process (UI, signals) or another one (the
// job's row in the database: `foley jobs pause ID` from a second terminal, say). The runner calls
// checkpoint() between units of work; it returns when the job may go on and throws when cancelled.
import type { Database } from '../../db/connection.ts';
import { getJob } from '../../db/jobs.ts';

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export type ControlState = 'running' | 'paused' | 'cancelled';

export class JobControl {
  private state: ControlState = 'running';
  /** Stopped by the user for now (Ctrl-C, app quit), not cancelled: the job stays resumable. */
  interrupted = false;
  private wake: (() => void) | undefined;
  private readonly abort = new AbortController();

  /** Aborted on cancel: long operations (an ffmpeg decode) stop at once. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get current(): ControlState {
    return this.state;
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.wake?.();
  }

  /** Stop now but keep the job resumable (it becomes 'paused'). */
  interrupt(): void {
    this.interrupted = true;
    this.cancel();
  }

  cancel(): void {
    this.state = 'cancelled';
    this.abort.abort();
    this.wake?.();
  }

  private lastSeen: string | undefined;

  /** The runner wrote this status itself: not a request from elsewhere. */
  noteDatabaseStatus(status: string): void {
    this.lastSeen = status;
  }

  /**
   * Picks up a pause/resume/cancel written to the job row by another process. Only changes count, so
   * a pause asked for in this process is not undone by the row still saying "running".
   */
  syncFromDatabase(db: Database, jobId: number): void {
    const status = getJob(db, jobId)?.status;
    if (status === this.lastSeen) return;
    this.lastSeen = status;
    if (status === 'cancelled') this.cancel();
    else if (status === 'paused') this.pause();
    else if (status === 'running' && this.state === 'paused') this.resume();
  }

  /**
   * Returns when running; while paused waits (polling the database every `pollMs` when given).
   * `onPause` runs once when a pause begins (persist progress, report it).
   */
  async checkpoint(options: { db?: Database; jobId?: number; pollMs?: number; onPause?: () => void } = {}): Promise<void> {
    const { db, jobId, pollMs = 1000 } = options;
    if (db !== undefined && jobId !== undefined) this.syncFromDatabase(db, jobId);
    if (this.state === 'cancelled') throw new Cancelled();
    if (this.state === 'running') return;
    options.onPause?.();
    while (this.state === 'paused') {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        // Not unref'd: a paused CLI run must stay alive until it is resumed or cancelled.
        setTimeout(resolve, pollMs);
      });
      this.wake = undefined;
      if (db !== undefined && jobId !== undefined) this.syncFromDatabase(db, jobId);
    }
    if (this.state === 'cancelled') throw new Cancelled();
  }
}
