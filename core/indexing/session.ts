// Indexing as a long-lived process runs it (`foley serve`, the desktop app's library process): at most
// one run at a time, started, paused, resumed and cancelled on request, its state kept for status
// calls and pushed as events — progress at most every `progressIntervalMs`, state changes at once.
import type { ProviderName } from '../../base/types.ts';
import type { IndexState } from '../api/contract.ts';
import type { Library } from '../library/handle.ts';
import { hasFolders, requireFolder } from '../library/folders.ts';
import { resolveModel } from '../models/store.ts';
import { FoleyError } from '../../base/errors.ts';
import { JobControl } from './control.ts';
import { runIndex } from './indexer.ts';
import type { IndexProgress, IndexSummary } from './progress.ts';

export type IndexEvent =
  | { readonly type: 'index'; readonly state: IndexState }
  | { readonly type: 'index.failure'; readonly file: string; readonly error: string }
  /** A run ended: the library's files changed. */
  | { readonly type: 'library' };

export interface IndexSessionOptions {
  readonly library: Library;
  readonly runtime?: { readonly provider?: ProviderName | 'auto'; readonly threads?: number };
  readonly emit: (event: IndexEvent) => void;
  /** Progress events at most this often (phase changes always go out). Default 250 ms. */
  readonly progressIntervalMs?: number;
  /** After a run that finished (not cancelled, not failed): the server starts tagging the new windows here. */
  readonly onDone?: (summary: IndexSummary) => void;
}

export interface IndexRequest {
  readonly roots?: readonly string[];
  readonly retryFailed?: boolean;
  /** Frames per window (runIndex `frames`); default: what the model's last run used. */
  readonly frames?: number;
}

const IDLE: IndexState = { state: 'idle', progress: null, last: null, error: null, failures: [] };

export class IndexSession {
  private readonly options: IndexSessionOptions;
  private control: JobControl | null = null;
  private running: Promise<void> | null = null;
  private current: IndexState = IDLE;
  private lastProgressAt = 0;

  constructor(options: IndexSessionOptions) {
    this.options = options;
  }

  get state(): IndexState {
    return this.current;
  }

  /** A run of this session is going (paused counts): folders must not be removed under it. */
  get isRunning(): boolean {
    return this.running !== null;
  }

  /** Checks the request, then starts the run in the background; its outcome arrives as state. */
  async start(req: IndexRequest): Promise<IndexState> {
    if (this.running !== null) throw new FoleyError('indexing is already running', { code: 'conflict' });
    const { library } = this.options;
    const model = await resolveModel(library.dataDir, undefined);
    for (const r of req.roots ?? []) requireFolder(r);
    if ((req.roots ?? []).length === 0 && !hasFolders(library)) throw new FoleyError('add a folder to the library first');
    const c = new JobControl();
    this.control = c;
    const failures: Array<{ path: string; error: string }> = [];
    this.set({ state: 'running', progress: null, error: null, failures });
    this.running = runIndex({
      library,
      model,
      control: c,
      ...(req.roots !== undefined ? { roots: req.roots } : {}),
      ...(req.retryFailed === true ? { retryFailed: true } : {}),
      ...(req.frames !== undefined ? { frames: req.frames } : {}),
      ...this.options.runtime,
      onProgress: (p: IndexProgress) => {
        const state = p.phase === 'paused' ? 'paused' : c.current === 'cancelled' ? 'cancelling' : c.current === 'paused' ? 'paused' : 'running';
        this.set({ state, progress: p }, p.phase !== 'indexing' || state !== this.current.state);
      },
      onFailure: (file, error) => {
        failures.push({ path: file, error });
        this.set({ failures: [...failures] });
        this.options.emit({ type: 'index.failure', file, error });
      },
    })
      .then(
        (summary) => {
          this.set({ state: 'idle', last: summary, failures: [...summary.failed] });
          if (summary.status === 'done') this.options.onDone?.(summary);
        },
        (e: unknown) => this.set({ state: 'idle', error: e instanceof Error ? e.message.split('\n')[0]! : String(e) }),
      )
      .finally(() => {
        this.running = null;
        this.control = null;
        this.options.emit({ type: 'library' });
      });
    return this.current;
  }

  pause(): IndexState {
    this.runningControl().pause();
    this.set({ state: 'paused' });
    return this.current;
  }

  resume(): IndexState {
    this.runningControl().resume();
    this.set({ state: 'running' });
    return this.current;
  }

  cancel(): IndexState {
    this.runningControl().cancel();
    this.set({ state: 'cancelling' });
    return this.current;
  }

  /** Stops a run resumably (committed files stay; the next start continues its job) and waits for it. */
  async close(): Promise<void> {
    this.control?.interrupt();
    await this.running?.catch(() => undefined);
  }

  private runningControl(): JobControl {
    if (this.control === null) throw new FoleyError('indexing is not running', { code: 'conflict' });
    return this.control;
  }

  /** Updates the state; the event goes out when forced or when the last one is old enough. */
  private set(patch: Partial<IndexState>, force = true): void {
    this.current = { ...this.current, ...patch };
    const now = performance.now();
    if (force || now - this.lastProgressAt >= (this.options.progressIntervalMs ?? 250)) {
      this.lastProgressAt = now;
      this.options.emit({ type: 'index', state: this.current });
    }
  }
}
