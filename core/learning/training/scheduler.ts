// Starts training by itself a while after labels change (debounced), or on demand, one job at a time.
import { labelsFingerprint } from '../../../db/labels.ts';
import { listVersions } from '../../../db/learning.ts';
import type { Library } from '../../library/handle.ts';
import { onLabelsChanged } from '../label-events.ts';
import { startTraining } from './job.ts';
import type { StartTrainingOptions, TrainingHandle, TrainingOutcome } from './job.ts';

export interface SchedulerOptions extends StartTrainingOptions {
  /** Quiet time after the last label change before training starts. Default 60 s. */
  readonly debounceMs?: number;
  /** Also look for label changes made by other processes (the CLI) this often; 0: never. */
  readonly pollMs?: number;
  readonly onStart?: (handle: TrainingHandle) => void;
  readonly onFinish?: (outcome: TrainingOutcome | { status: 'failed'; error: string }) => void;
}

/**
 * Starts training by itself a while after labels change (debounced: every change restarts the wait),
 * or on demand (trainNow). One job at a time; changes during a run schedule another run after it.
 * Skips a run when the labels are exactly those the newest version was trained on.
 */
export class TrainingScheduler {
  private readonly library: Library;
  private readonly options: SchedulerOptions;
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private unsubscribe: () => void;
  private handle: TrainingHandle | undefined;
  private again = false;
  private lastSeen: string;
  private closed = false;
  /** Runs started by this scheduler (for status and tests). */
  runs = 0;

  constructor(library: Library, options: SchedulerOptions) {
    this.library = library;
    this.options = options;
    this.lastSeen = labelsFingerprint(library.db);
    this.unsubscribe = onLabelsChanged(() => this.labelsChanged());
    const poll = options.pollMs ?? 0;
    if (poll > 0) {
      this.poller = setInterval(() => {
        const f = labelsFingerprint(library.db);
        if (f !== this.lastSeen) this.labelsChanged();
      }, poll);
      this.poller.unref();
    }
  }

  get running(): TrainingHandle | undefined {
    return this.handle;
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** A label changed: (re)start the quiet-time wait. */
  labelsChanged(): void {
    if (this.closed) return;
    this.lastSeen = labelsFingerprint(this.library.db);
    if (this.handle !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.start(false);
    }, this.options.debounceMs ?? 60_000);
    this.timer.unref();
  }

  /** Train now (the debounce wait, if any, is skipped). */
  trainNow(): Promise<TrainingOutcome | undefined> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return this.start(true);
  }

  private async start(force: boolean): Promise<TrainingOutcome | undefined> {
    if (this.closed) return undefined;
    if (this.handle !== undefined) return this.handle.done;
    const newest = listVersions(this.library.db, { modelId: this.options.modelId }).pop();
    if (!force && newest !== undefined && newest.labelsHash === labelsFingerprint(this.library.db)) return undefined;
    const handle = startTraining(this.library, this.options);
    this.handle = handle;
    this.runs++;
    this.options.onStart?.(handle);
    try {
      const outcome = await handle.done;
      this.options.onFinish?.(outcome);
      return outcome;
    } catch (e) {
      this.options.onFinish?.({ status: 'failed', error: e instanceof Error ? e.message : String(e) });
      return undefined;
    } finally {
      this.handle = undefined;
      if (this.again) {
        this.again = false;
        this.labelsChanged();
      }
    }
  }

  /** Stops scheduling; a running job is stopped resumably (it continues on the next start). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.poller !== undefined) clearInterval(this.poller);
    this.unsubscribe();
    const h = this.handle;
    if (h !== undefined) {
      h.stop();
      await h.done.catch(() => undefined);
    }
  }
}
