// The evaluation a long-lived process (`foley serve`, Electron) runs in the background for the Models
// page: one at a time, in-process (library mode is SQLite reads plus similarity blocks that ONNX
// Runtime computes off the event loop), cancellable, pushing its state as it goes — progress at most
// every progressIntervalMs, state changes at once, like indexing (core/indexing/session.ts).
import type { StoredEvaluation } from '../../db/evaluations.ts';
import { lastEvaluation } from '../../db/evaluations.ts';
import { FoleyError } from '../../base/errors.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import type { Library } from '../library/handle.ts';
import { listModels as installedModels, resolveModel } from '../models/store.ts';
import { evaluate, findModelRow } from './evaluate.ts';

export interface EvalRequest {
  readonly model?: string;
  readonly limit?: number;
  readonly seed?: number;
  readonly adapter?: boolean;
}

export interface EvalState {
  readonly state: 'idle' | 'running' | 'cancelling';
  /** The model being evaluated (running, cancelling). */
  readonly model: string | null;
  readonly progress: { readonly done: number; readonly total: number; readonly etaMs: number | null } | null;
  /** Per installed model, its newest stored evaluation on this library (without adapter), or null. */
  readonly last: ReadonlyArray<{ readonly model: string; readonly evaluation: StoredEvaluation | null }>;
  /** The last run's error (null after a success or a cancel). */
  readonly error: string | null;
}

export interface EvaluationSessionOptions {
  readonly library: Library;
  readonly runtime: SessionOptions;
  readonly emit: (e: { readonly type: 'eval'; readonly state: EvalState }) => void;
  readonly progressIntervalMs?: number;
}

export class EvaluationSession {
  private running: { model: string; abort: AbortController; done: Promise<void>; cancelling: boolean } | null = null;
  private progress: EvalState['progress'] = null;
  private error: string | null = null;
  private lastProgressAt = 0;
  private readonly options: EvaluationSessionOptions;

  constructor(options: EvaluationSessionOptions) {
    this.options = options;
  }

  async state(): Promise<EvalState> {
    const { library } = this.options;
    const models = await installedModels(library.dataDir);
    const last = models.map((m) => {
      const row = findModelRow(library, m);
      return { model: m.manifest.name, evaluation: (row === undefined ? undefined : lastEvaluation(library.db, row.id)) ?? null };
    });
    const r = this.running;
    return { state: r === null ? 'idle' : r.cancelling ? 'cancelling' : 'running', model: r?.model ?? null, progress: r === null ? null : this.progress, last, error: this.error };
  }

  /** Starts one evaluation (a conflict while one runs); resolves with the state once it is under way. */
  async start(request: EvalRequest): Promise<EvalState> {
    if (this.running !== null) throw new FoleyError('an evaluation is already running (cancel it first)', { code: 'conflict' });
    // Resolved now: an unknown model is the caller's error, not a failed background run.
    const model = (await resolveModel(this.options.library.dataDir, request.model)).manifest.name;
    if (this.running !== null) throw new FoleyError('an evaluation is already running (cancel it first)', { code: 'conflict' });
    const abort = new AbortController();
    this.error = null;
    this.progress = { done: 0, total: 0, etaMs: null };
    const run = evaluate(this.options.library, {
      ...request,
      model,
      session: this.options.runtime,
      signal: abort.signal,
      onProgress: (p) => {
        this.progress = { done: p.done, total: p.total, etaMs: p.etaMs };
        void this.push(false);
      },
    });
    const done = run.then(
      () => this.finish(null),
      (e: unknown) => this.finish(abort.signal.aborted ? null : e instanceof Error ? e.message.split('\n')[0]! : String(e)),
    );
    this.running = { model, abort, done, cancelling: false };
    await this.push(true);
    return this.state();
  }

  async cancel(): Promise<EvalState> {
    if (this.running !== null && !this.running.cancelling) {
      this.running.cancelling = true;
      this.running.abort.abort(new FoleyError('evaluation cancelled', { code: 'conflict' }));
      await this.push(true);
    }
    return this.state();
  }

  /** Waits for a running evaluation to end (after a cancel, or for tests). */
  async settled(): Promise<void> {
    await this.running?.done;
  }

  async close(): Promise<void> {
    this.running?.abort.abort();
    await this.settled();
  }

  private async finish(error: string | null): Promise<void> {
    this.running = null;
    this.progress = null;
    this.error = error;
    await this.push(true);
  }

  private async push(force: boolean): Promise<void> {
    const now = performance.now();
    if (!force && now - this.lastProgressAt < (this.options.progressIntervalMs ?? 250)) return;
    this.lastProgressAt = now;
    try {
      this.options.emit({ type: 'eval', state: await this.state() });
    } catch {
      // A closed library (the API shutting down) leaves nothing to report.
    }
  }
}
