// An index run's counters and the progress it reports from them: files and windows done, failures,
// the windows-per-second rate over active (unpaused) time, and the estimate of windows still to come.
import type { ProviderName } from '../../base/types.ts';
import type { IndexProgress, IndexSummary } from './progress.ts';

export type Phase = IndexProgress['phase'];

export class RunTracker {
  filesDone = 0;
  filesTotal = 0;
  windowsDone = 0;
  currentFile: string | null = null;
  provider: ProviderName | null = null;
  readonly failed: Array<{ path: string; error: string }> = [];
  /** Indexed for their intact part only, with what was wrong and what was indexed. */
  readonly damaged: Array<{ path: string; error: string }> = [];
  readonly counts = { scanned: 0, indexed: 0, skipped: 0, moved: 0, removed: 0, offline: 0 };
  private windowsPlanned = 0;
  private filesPlanned = 0;
  private activeMs = 0;
  private activeSince = performance.now();
  private readonly started = performance.now();

  private readonly onProgress: ((p: IndexProgress) => void) | undefined;

  constructor(onProgress: ((p: IndexProgress) => void) | undefined) {
    this.onProgress = onProgress;
  }

  /** A file was probed and cut into `windows` windows (0: it failed before that; it still counts as seen). */
  planned(windows: number): void {
    this.filesPlanned++;
    this.windowsPlanned += windows;
  }

  paused(): void {
    this.activeMs += performance.now() - this.activeSince;
  }

  resumed(): void {
    this.activeSince = performance.now();
  }

  report(phase: Phase): void {
    const elapsed = (this.activeMs + (phase === 'paused' ? 0 : performance.now() - this.activeSince)) / 1000;
    const rate = elapsed > 0 ? this.windowsDone / elapsed : 0;
    // Files not probed yet are estimated at the average number of windows of those that were.
    const perFile = this.filesPlanned > 0 ? this.windowsPlanned / this.filesPlanned : 0;
    const windowsTotal =
      phase === 'done'
        ? this.windowsDone
        : Math.max(this.windowsDone, Math.round(this.windowsPlanned + perFile * Math.max(0, this.filesTotal - this.filesPlanned)));
    this.onProgress?.({
      phase,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      filesFailed: this.failed.length,
      windowsDone: this.windowsDone,
      windowsTotal,
      windowsPerSecond: rate,
      etaSeconds: rate > 0 && phase === 'indexing' ? (windowsTotal - this.windowsDone) / rate : null,
      currentFile: this.currentFile,
    });
  }

  summary(jobId: number, status: IndexSummary['status']): IndexSummary {
    return {
      jobId,
      status,
      ...this.counts,
      failed: this.failed,
      damaged: this.damaged,
      windows: this.windowsDone,
      seconds: (performance.now() - this.started) / 1000,
      provider: this.provider,
    };
  }
}
