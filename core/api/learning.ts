// Labels, training and suggestions behind the API (the `labels.*`, `training.*` and `suggestions.*`
// methods): one TrainingScheduler per open library, for its default model, so training starts by
// itself a while after labels change (debounced) or on demand, runs in a worker thread (search never
// waits for it), and reports progress with an ETA as `training` events. Label changes made in this
// process go out as `labels` events. Errors the core reports for the user's input (FoleyError) become
// bad_request / not_found; everything else stays an internal failure.
import { listRoots } from '../../db/roots.ts';
import { listAnswers } from '../../db/learning.ts';
import { FoleyError } from '../../base/errors.ts';
import { modelRecord } from '../library.ts';
import type { Library } from '../library.ts';
import { searchByLabelOnDemand, searchByLabel } from '../learning/label-search.ts';
import { addLabelTo, exportLabels, importLabels, labelSummary, listLabelViews, mergeLabelNames, removeLabels, renameLabel } from '../learning/labels.ts';
import { resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { onLabelsChanged } from '../learning/label-events.ts';
import { runningTrainingJob } from '../learning/training/job.ts';
import type { TrainingHandle } from '../learning/training/job.ts';
import { TrainingScheduler } from '../learning/training/scheduler.ts';
import { rollback, trainedVersions, trainingStatus } from '../learning/training/versions.ts';
import { answerSuggestion, suggestions } from '../learning/suggestions.ts';
import type { TrainOptions, TrainProgress } from '../learning/training/trainer.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { MAX_LISTED_LABELS } from './contract.ts';
import type { ApiEvent, RequestOf, Responses, SuggestionsResponse, TrainingOutcomeView, TrainingState } from './contract.ts';
import { ApiError } from './errors.ts';
import { confineToRoots } from './media.ts';

export type LearningMethod = Extract<keyof Responses, `labels.${string}` | `training.${string}` | `suggestions.${string}`>;

export function isLearningMethod(method: string): method is LearningMethod {
  return method.startsWith('labels.') || method.startsWith('training.') || method.startsWith('suggestions.');
}

export interface LearningOptions {
  readonly library: Library;
  readonly dataDir: string;
  readonly emit: (event: ApiEvent) => void;
  readonly session?: SessionOptions;
  /** Quiet time after the last label change before training starts by itself. Default 60 s. */
  readonly debounceMs?: number;
  /** Look for label changes made by other processes (the CLI) this often. Default 5 s; 0: never. */
  readonly pollMs?: number;
  readonly trainOptions?: TrainOptions;
  /** Training events at most this often (stage changes always go out). Default 250 ms. */
  readonly progressIntervalMs?: number;
}

export interface Learning {
  dispatch<M extends LearningMethod>(method: M, params: RequestOf<M>): Promise<Responses[M]>;
  /** Stops scheduling; a running job is stopped resumably (the next start continues it). */
  close(): Promise<void>;
}

/** The core's user-facing errors as API errors (the message is already one line for the user). */
function userError(e: unknown): never {
  if (e instanceof FoleyError) {
    const message = e.message.split('\n')[0]!;
    throw new ApiError(/^(not in the library|no label|no window|no (head|adapter) version)/.test(message) ? 'not_found' : 'bad_request', message);
  }
  throw e;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    return userError(e);
  }
}

/** Reads FOLEY_TRAIN_DEBOUNCE_MS (tests shorten the wait); undefined when unset or not a number ≥ 0. */
export function debounceFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.FOLEY_TRAIN_DEBOUNCE_MS;
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

interface Current {
  readonly modelId: number;
  readonly model: InstalledModel;
  readonly scheduler: TrainingScheduler;
}

export function createLearning(options: LearningOptions): Learning {
  const { library, dataDir, emit } = options;
  const debounceMs = options.debounceMs ?? 60_000;
  const interval = options.progressIntervalMs ?? 250;
  let current: Current | null = null;
  let opening: Promise<Current | null> | null = null;
  let handle: TrainingHandle | null = null;
  let progress: TrainProgress | null = null;
  let paused = false;
  let cancelling = false;
  let startsAt: number | null = null;
  let last: TrainingOutcomeView | null = null;
  let lastEmit = 0;
  let lastStage = '';
  let recheck: NodeJS.Timeout | undefined;
  let closed = false;

  function state(): TrainingState {
    const c = current;
    const s = c !== null ? trainingStatus(library, c.modelId) : null;
    const phase: TrainingState['state'] =
      handle !== null
        ? cancelling ? 'cancelling' : paused ? 'paused' : 'running'
        : c?.scheduler.pending === true ? 'scheduled' : s !== null && s.runningJobId !== null ? 'elsewhere' : 'idle';
    return {
      state: phase,
      model: c?.model.manifest.name ?? null,
      jobId: handle?.jobId ?? s?.runningJobId ?? null,
      progress: handle !== null ? progress : null,
      startsAt: phase === 'scheduled' ? startsAt : null,
      debounceMs,
      last,
      activeHead: s?.activeHead ?? null,
      activeAdapter: s?.activeAdapter ?? null,
      labelsChanged: s?.labelsChanged ?? false,
      versions: s?.versions ?? 0,
    };
  }

  const emitState = (): void => {
    if (closed) return;
    lastEmit = performance.now();
    emit({ type: 'training', state: state() });
  };

  /** The scheduler of the default model (re-made when the default model changes); null without a model. */
  async function ensure(): Promise<Current | null> {
    if (closed) return null;
    const model = await resolveModel(dataDir, undefined).catch(() => undefined);
    if (model === undefined) return current;
    const modelId = modelRecord(library, model).id;
    if (current !== null && current.modelId === modelId) return current;
    opening ??= (async () => {
      if (current !== null) await current.scheduler.close();
      const scheduler = new TrainingScheduler(library, {
        modelId,
        debounceMs,
        pollMs: options.pollMs ?? 5000,
        ...(options.trainOptions !== undefined ? { options: options.trainOptions } : {}),
        onStart: (h) => {
          handle = h;
          progress = null;
          paused = false;
          cancelling = false;
          startsAt = null;
          emitState();
        },
        onProgress: (p) => {
          progress = p;
          const now = performance.now();
          if (p.stage !== lastStage || now - lastEmit >= interval) {
            lastStage = p.stage;
            emitState();
          }
        },
        onMessage: (m) => {
          if (m.type === 'paused' || m.type === 'resumed') {
            paused = m.type === 'paused';
            emitState();
          }
        },
        onFinish: (o) => {
          const at = Date.now();
          last = o.status === 'failed' ? { status: 'failed', error: o.error.split('\n')[0]!, at } : o.status === 'done' ? { ...o, at } : { ...o, at };
          handle = null;
          progress = null;
          paused = false;
          cancelling = false;
          // The scheduler may schedule another run right after this (labels changed meanwhile).
          setImmediate(() => {
            if (current?.scheduler.pending === true) startsAt = Date.now() + debounceMs;
            emitState();
          });
        },
      });
      current = { modelId, model, scheduler };
      return current;
    })().finally(() => {
      opening = null;
    });
    return opening;
  }

  async function need(): Promise<Current> {
    const c = await ensure();
    if (c === null) throw new ApiError('conflict', 'install a model first (Models)');
    return c;
  }

  // Every label change in this process: tell the UI, and show the debounced run as scheduled.
  const unsubscribe = onLabelsChanged(() => {
    if (closed) return;
    if (handle === null) startsAt = Date.now() + debounceMs;
    setImmediate(() => {
      if (closed) return;
      emit({ type: 'labels', names: labelSummary(library) });
      emitState();
    });
    // When the wait is over and the scheduler skipped the run (labels back as they were), say so.
    clearTimeout(recheck);
    recheck = setTimeout(emitState, debounceMs + 100);
    recheck.unref();
  });
  // The scheduler listens from when the library opens, so changes made before any call count too.
  void ensure().catch(() => undefined);

  /** A file id or a path inside the library folders (the same confinement as media). */
  async function fileOf(file: number | string): Promise<number | string> {
    if (typeof file === 'number') return file;
    await confineToRoots(listRoots(library.db).map((r) => r.path), file);
    return file;
  }

  async function suggestionsFor(name: string, top: number): Promise<SuggestionsResponse> {
    const c = await need();
    const trained = guard(() => suggestions(library, c.modelId, name, top));
    const status = trainingStatus(library, c.modelId);
    if (trained.length > 0 || status.activeHead?.labelSet.includes(name) === true) {
      return { name, source: 'trained', suggestions: trained.map((s) => ({ label: s.label, windowId: s.windowId, fileId: s.fileId, path: s.path, startS: s.startS, endS: s.endS, score: s.score })) };
    }
    // No trained head knows this label yet: the zero-shot baseline's best unlabelled windows.
    const r = guard(() => searchByLabel(library, { name, modelId: c.modelId, top: top + 50 }));
    if (r.predictions === null) return { name, source: null, suggestions: [] };
    const answered = new Set(listAnswers(library.db, name).map((a) => a.windowId));
    const list = r.moments
      .filter((m) => m.source === 'prediction' && m.windowId !== null && !answered.has(m.windowId))
      .slice(0, top)
      .map((m) => ({ label: name, windowId: m.windowId!, fileId: m.fileId, path: m.path, startS: m.startS, endS: m.endS ?? m.startS, score: m.score }));
    return { name, source: 'zero-shot', suggestions: list };
  }

  async function dispatch(method: LearningMethod, params: RequestOf<LearningMethod>): Promise<Responses[LearningMethod]> {
    switch (method) {
      case 'labels.list': {
        const req = params as RequestOf<'labels.list'>;
        const names = labelSummary(library);
        if (req.name === undefined && req.file === undefined) return { names, labels: [], truncated: false } satisfies Responses['labels.list'];
        const file = req.file !== undefined ? await fileOf(req.file) : undefined;
        const all = guard(() => listLabelViews(library, { ...(req.name !== undefined ? { name: req.name } : {}), ...(file !== undefined ? { file } : {}) }));
        return { names, labels: all.slice(0, MAX_LISTED_LABELS), truncated: all.length > MAX_LISTED_LABELS } satisfies Responses['labels.list'];
      }
      case 'labels.add': {
        const req = params as RequestOf<'labels.add'>;
        if (req.end !== undefined && req.start === undefined) throw new ApiError('bad_request', 'labels.add.end: needs a start');
        if (req.end !== undefined && req.start !== undefined && req.end <= req.start) throw new ApiError('bad_request', 'labels.add.end: must be after start');
        await ensure();
        const file = await fileOf(req.file);
        return guard(() =>
          addLabelTo(library, { name: req.name, file, ...(req.start !== undefined ? { startS: req.start, endS: req.end ?? null } : {}), polarity: req.polarity ?? 'positive' }),
        ) satisfies Responses['labels.add'];
      }
      case 'labels.remove': {
        const req = params as RequestOf<'labels.remove'>;
        if ((req.ids === undefined) === (req.name === undefined)) throw new ApiError('bad_request', 'labels.remove: give either ids or name');
        await ensure();
        return guard(() => removeLabels(library, req.ids !== undefined ? { ids: req.ids } : { name: req.name! })) satisfies Responses['labels.remove'];
      }
      case 'labels.rename': {
        const req = params as RequestOf<'labels.rename'>;
        await ensure();
        return guard(() => renameLabel(library, req.from, req.to)) satisfies Responses['labels.rename'];
      }
      case 'labels.merge': {
        const req = params as RequestOf<'labels.merge'>;
        await ensure();
        return guard(() => mergeLabelNames(library, req.from, req.into)) satisfies Responses['labels.merge'];
      }
      case 'labels.export': {
        const req = params as RequestOf<'labels.export'>;
        const filter = req.name !== undefined ? { name: req.name } : {};
        const text = exportLabels(library, req.format, filter);
        return { format: req.format, text, count: listLabelViews(library, filter).length } satisfies Responses['labels.export'];
      }
      case 'labels.import': {
        const req = params as RequestOf<'labels.import'>;
        await ensure();
        try {
          return importLabels(library, req.text, req.format) satisfies Responses['labels.import'];
        } catch (e) {
          if (e instanceof SyntaxError) throw new ApiError('bad_request', `labels.import.text: not valid JSON (${e.message.split('\n')[0]})`);
          return userError(e);
        }
      }
      case 'labels.search': {
        const req = params as RequestOf<'labels.search'>;
        const model = await resolveModel(dataDir, req.model).catch(userError);
        return (await searchByLabelOnDemand(library, model, { name: req.name, ...(req.top !== undefined ? { top: req.top } : {}) }, options.session ?? {}).catch(userError)) satisfies Responses['labels.search'];
      }
      case 'training.status':
        await ensure();
        return state();
      case 'training.start': {
        const c = await need();
        if (handle !== null) return state();
        if (runningTrainingJob(library, c.modelId) !== undefined) throw new ApiError('conflict', 'another process is training this model (foley train); wait for it or pause it there');
        if (!labelSummary(library).some((n) => n.positives > 0)) throw new ApiError('bad_request', 'label a few moments first: training learns from positive labels');
        // trainNow starts the worker synchronously (onStart has run when it returns) and resolves when the run ends.
        c.scheduler.trainNow().catch((e: unknown) => {
          last = { status: 'failed', error: e instanceof Error ? e.message.split('\n')[0]! : String(e), at: Date.now() };
          emitState();
        });
        return state();
      }
      case 'training.pause':
      case 'training.resume':
      case 'training.cancel': {
        if (handle === null) throw new ApiError('conflict', 'training is not running');
        if (method === 'training.pause') {
          handle.pause();
          paused = true;
        } else if (method === 'training.resume') {
          handle.resume();
          paused = false;
        } else {
          handle.cancel();
          cancelling = true;
        }
        emitState();
        return state();
      }
      case 'training.versions': {
        const req = params as RequestOf<'training.versions'>;
        const c = await need();
        return { versions: trainedVersions(library, c.modelId, req.kind) } satisfies Responses['training.versions'];
      }
      case 'training.rollback': {
        const req = params as RequestOf<'training.rollback'>;
        const c = await need();
        if (handle !== null) throw new ApiError('conflict', 'wait for training to finish (or cancel it) before rolling back');
        const active = guard(() => rollback(library, c.modelId, req.kind, req.versionId));
        emitState();
        return { active, state: state() } satisfies Responses['training.rollback'];
      }
      case 'suggestions.list': {
        const req = params as RequestOf<'suggestions.list'>;
        return suggestionsFor(req.name, req.top ?? 10);
      }
      case 'suggestions.answer': {
        const req = params as RequestOf<'suggestions.answer'>;
        const c = await need();
        return guard(() => answerSuggestion(library, c.modelId, req.name, req.windowId, req.answer)) satisfies Responses['suggestions.answer'];
      }
    }
  }

  return {
    dispatch: async <M extends LearningMethod>(method: M, params: RequestOf<M>) => (await dispatch(method, params as RequestOf<LearningMethod>)) as Responses[M],
    async close() {
      closed = true;
      unsubscribe();
      clearTimeout(recheck);
      await opening?.catch(() => undefined);
      await current?.scheduler.close();
    },
  };
}
