// Tagging as a long-lived process runs it (`foley serve`, the desktop app's library process): a
// background run after each index run, at most one at a time (a request during a run makes it go
// round once more, for the windows indexed meanwhile). Low priority by construction: tag-library.ts
// waits for searches in this process. Its state is read through taggingStatus (core/tagging/status.ts),
// which sees the job row, so the Models page shows a run of `foley tag` in another process as well.
import { FoleyError } from '../../base/errors.ts';
import { JobControl } from '../indexing/control.ts';
import type { Library } from '../library/handle.ts';
import { tagLibrary } from './tag-library.ts';
import type { TagSession, TagSummary } from './tag-library.ts';
import { taggingModel } from './tagging-model.ts';

export interface TaggingSessionOptions {
  readonly library: Library;
  readonly runtime?: TagSession;
}

export class TaggingSession {
  private readonly options: TaggingSessionOptions;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private again = false;
  /** The current run's pause/resume/cancel. */
  private control: JobControl | null = null;
  /** The last run's outcome in this process (for diagnostics and tests). */
  last: TagSummary | null = null;
  lastError: string | null = null;

  constructor(options: TaggingSessionOptions) {
    this.options = options;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  /** Tags what is untagged, in the background; a no-op without a tagging model. */
  start(): void {
    if (this.running !== null) {
      this.again = true;
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.running = this.loop(abort.signal).finally(() => {
      this.running = null;
      this.abort = null;
      this.control = null;
    });
  }

  /** Resolves when the current run (and any round it owes) has ended. */
  async idle(): Promise<void> {
    await this.running;
  }

  private runningControl(): JobControl {
    if (this.control === null) throw new FoleyError('no tagging run is going in this app', { code: 'conflict' });
    return this.control;
  }

  /** Holds the run after the window in hand; resume() goes on where it stopped. */
  pause(): void {
    this.runningControl().pause();
  }

  resume(): void {
    this.runningControl().resume();
  }

  /** Stops the run (what it stored stays) and the round it may owe; the next index run or install starts another. */
  cancel(): void {
    this.again = false;
    this.runningControl().cancel();
  }

  /** Stops a run; what it stored stays, and the next run finds the rest by query. */
  async close(): Promise<void> {
    this.abort?.abort();
    // A paused run waits on its control, not the signal: stop it there too.
    this.control?.interrupt();
    await this.running;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    do {
      this.again = false;
      try {
        const model = await taggingModel(this.options.library.dataDir);
        if (model === undefined) return;
        this.control = new JobControl();
        this.last = await tagLibrary(this.options.library, model, { signal, control: this.control, ...(this.options.runtime !== undefined ? { session: this.options.runtime } : {}) });
        this.lastError = null;
      } catch (e) {
        // A `foley tag` in another process holds the job (conflict), or the model failed to load.
        this.lastError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
        return;
      }
    } while (this.again && !signal.aborted);
  }
}
