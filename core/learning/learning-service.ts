// Labels, training and suggestions of one open library as one service (what the API's labels.*,
// training.* and suggestions.* methods call). Training starts by itself a while after labels change
// (debounced) or on demand, for the library's default model, in a worker thread, so search never waits
// for it; its state goes out as `training` events, and label changes made in this process as `labels`
// events. The parts: DefaultModelScheduler (which scheduler, for which model), TrainingRun (what the
// run of this process is doing), and here the label-change reaction and the calls themselves.
import { listFolders } from '../library/folders.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import type { ApiEvent, TrainingState } from '../api/contract.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { DefaultModelScheduler } from './default-model-scheduler.ts';
import type { ScheduledModel } from './default-model-scheduler.ts';
import { onLabelsChanged } from './label-events.ts';
import { searchByLabelOnDemand } from './label-search.ts';
import type { LabelSearchResponse } from './label-search.ts';
import { addLabelTo, exportLabels, importLabels, labelSummary, listLabelViews, mergeLabelNames, removeLabels, renameLabel } from './labels.ts';
import type { ImportResult, LabelFormat, LabelInput, LabelView } from './labels.ts';
import { answerSuggestion, suggestionsOrBaseline } from './suggestions.ts';
import type { Answer, SuggestionList } from './suggestions.ts';
import { TrainingRun } from './training-run.ts';
import { runningTrainingJob } from './training/job.ts';
import type { TrainOptions } from './training/trainer.ts';
import { rollback, trainedVersions, trainingStatus } from './training/versions.ts';
import type { TrainedVersion, VersionKind } from './training/versions.ts';

export interface LearningOptions {
  readonly library: Library;
  readonly dataDir: string;
  readonly emit: (event: Extract<ApiEvent, { type: 'training' | 'labels' }>) => void;
  readonly session?: SessionOptions;
  /** Quiet time after the last label change before training starts by itself. Default 60 s. */
  readonly debounceMs?: number;
  /** Look for label changes made by other processes (the CLI) this often. Default 5 s; 0: never. */
  readonly pollMs?: number;
  readonly trainOptions?: TrainOptions;
  /** Training events at most this often (stage changes always go out). Default 250 ms. */
  readonly progressIntervalMs?: number;
}

export interface LearningService {
  /** The library's folders (paths given to the service must lie inside one). */
  folders(): string[];
  labelNames(): ReturnType<typeof labelSummary>;
  listLabels(filter: { name?: string; file?: string | number }): LabelView[];
  addLabel(input: LabelInput): Promise<{ label: LabelView; added: boolean }>;
  removeLabels(target: { ids: readonly number[] } | { name: string }): Promise<{ removed: number }>;
  renameLabel(from: string, to: string): Promise<{ renamed: number }>;
  mergeLabels(from: readonly string[], into: string): Promise<{ merged: number }>;
  /** The labels as a file's text, and how many there are. */
  exportLabels(format: LabelFormat, filter: { name?: string }): { text: string; count: number };
  importLabels(text: string, format: LabelFormat): Promise<ImportResult>;
  searchLabel(name: string, options: { top?: number; model?: string }): Promise<LabelSearchResponse>;
  trainingState(): Promise<TrainingState>;
  startTraining(): Promise<TrainingState>;
  pauseTraining(): TrainingState;
  resumeTraining(): TrainingState;
  cancelTraining(): TrainingState;
  versions(kind?: VersionKind): Promise<TrainedVersion[]>;
  rollback(kind: VersionKind, versionId?: number): Promise<{ active: TrainedVersion | null; state: TrainingState }>;
  suggestions(name: string, top: number): Promise<SuggestionList>;
  answerSuggestion(name: string, windowId: number, answer: Answer): Promise<{ label: LabelView; answer: Answer }>;
  /** Stops scheduling; a running job is stopped resumably (the next start continues it). */
  close(): Promise<void>;
}

export function createLearning(options: LearningOptions): LearningService {
  const { library, dataDir, emit } = options;
  const debounceMs = options.debounceMs ?? 60_000;
  let closed = false;
  const run = new TrainingRun(() => emitState(), options.progressIntervalMs ?? 250);
  const models = new DefaultModelScheduler(library, dataDir, {
    debounceMs,
    pollMs: options.pollMs ?? 5000,
    ...(options.trainOptions !== undefined ? { options: options.trainOptions } : {}),
    onStart: (h) => run.started(h),
    onProgress: (p) => run.progressed(p),
    onMessage: (m) => {
      if (m.type === 'paused' || m.type === 'resumed') run.pausedChanged(m.type === 'paused');
    },
    onFinish: (o) => {
      run.finished(o);
      // The scheduler may schedule another run right after this (labels changed meanwhile).
      setImmediate(() => {
        if (models.current?.scheduler.pending === true) run.scheduleIn(debounceMs);
        emitState();
      });
    },
  });

  const state = (): TrainingState => trainingStateOf(library, models.current, run, debounceMs);

  function emitState(): void {
    if (!closed) emit({ type: 'training', state: state() });
  }

  const stopWatchingLabels = watchLabelChanges(() => closed, debounceMs, {
    changed: () => run.scheduleIn(debounceMs),
    tell: () => {
      emit({ type: 'labels', names: labelSummary(library, models.current?.modelId) });
      emitState();
    },
    recheck: emitState,
  });
  // The scheduler listens from when the library opens, so changes made before any call count too.
  void models.ensure().catch(() => undefined);

  /** Label changes wait for the scheduler, so that it sees them and schedules a run. */
  async function changingLabels<T>(change: () => T): Promise<T> {
    await models.ensure();
    return change();
  }

  return {
    folders: () => listFolders(library).map((r) => r.path),
    labelNames: () => labelSummary(library, models.current?.modelId),
    listLabels: (filter) => listLabelViews(library, filter),
    addLabel: (input) => changingLabels(() => addLabelTo(library, input)),
    removeLabels: (target) => changingLabels(() => removeLabels(library, target)),
    renameLabel: (from, to) => changingLabels(() => renameLabel(library, from, to)),
    mergeLabels: (from, into) => changingLabels(() => mergeLabelNames(library, from, into)),
    exportLabels: (format, filter) => ({ text: exportLabels(library, format, filter), count: listLabelViews(library, filter).length }),
    importLabels: (text, format) => changingLabels(() => importLabels(library, text, format)),
    async searchLabel(name, o) {
      const model = await resolveModel(dataDir, o.model);
      return searchByLabelOnDemand(library, model, { name, ...(o.top !== undefined ? { top: o.top } : {}) }, options.session ?? {});
    },
    async trainingState() {
      await models.ensure();
      return state();
    },
    async startTraining() {
      const c = await models.need();
      if (run.handle === null) trainNow(library, c, run);
      return state();
    },
    pauseTraining() {
      run.pause();
      return state();
    },
    resumeTraining() {
      run.resume();
      return state();
    },
    cancelTraining() {
      run.cancel();
      return state();
    },
    async versions(kind) {
      const c = await models.need();
      return trainedVersions(library, c.modelId, kind);
    },
    async rollback(kind, versionId) {
      const c = await models.need();
      if (run.handle !== null) throw new FoleyError('wait for training to finish (or cancel it) before rolling back', { code: 'conflict' });
      const active = rollback(library, c.modelId, kind, versionId);
      emitState();
      return { active, state: state() };
    },
    async suggestions(name, top) {
      const c = await models.need();
      return suggestionsOrBaseline(library, c.modelId, name, top);
    },
    async answerSuggestion(name, windowId, answer) {
      const c = await models.need();
      return answerSuggestion(library, c.modelId, name, windowId, answer);
    },
    async close() {
      closed = true;
      stopWatchingLabels();
      await models.close();
    },
  };
}

/** What the UI shows of training: this process's run, else a scheduled run, else another process's. */
function trainingStateOf(library: Library, c: ScheduledModel | null, run: TrainingRun, debounceMs: number): TrainingState {
  const s = c !== null ? trainingStatus(library, c.modelId) : null;
  const phase: TrainingState['state'] = run.phase ?? (c?.scheduler.pending === true ? 'scheduled' : s !== null && s.runningJobId !== null ? 'elsewhere' : 'idle');
  return {
    state: phase,
    model: c?.model.manifest.name ?? null,
    jobId: run.handle?.jobId ?? s?.runningJobId ?? null,
    progress: run.progress,
    startsAt: phase === 'scheduled' ? run.startsAt : null,
    debounceMs,
    last: run.last,
    activeHead: s?.activeHead ?? null,
    activeAdapter: s?.activeAdapter ?? null,
    labelsChanged: s?.labelsChanged ?? false,
    versions: s?.versions ?? 0,
  };
}

/** Starts a run of the default model now (training.start), unless another process trains it or no label is positive. */
function trainNow(library: Library, c: ScheduledModel, run: TrainingRun): void {
  if (runningTrainingJob(library, c.modelId) !== undefined) {
    throw new FoleyError('another process is training this model (foley train); wait for it or pause it there', { code: 'conflict' });
  }
  if (!labelSummary(library).some((n) => n.positives > 0)) throw new FoleyError('label a few moments first: training learns from positive labels');
  // trainNow starts the worker synchronously (onStart has run when it returns) and resolves when the run ends.
  c.scheduler.trainNow().catch((e: unknown) => run.failed(e));
}

/**
 * Every label change in this process: the debounced run counts as scheduled now (`changed`), the UI is
 * told on the next turn (`tell`), and once the wait is over `recheck` runs, so that a run the
 * scheduler skipped (labels back as they were) shows as not scheduled any more.
 */
function watchLabelChanges(isClosed: () => boolean, debounceMs: number, on: { changed: () => void; tell: () => void; recheck: () => void }): () => void {
  let recheck: NodeJS.Timeout | undefined;
  const unsubscribe = onLabelsChanged(() => {
    if (isClosed()) return;
    on.changed();
    setImmediate(() => {
      if (!isClosed()) on.tell();
    });
    clearTimeout(recheck);
    recheck = setTimeout(on.recheck, debounceMs + 100);
    recheck.unref();
  });
  return () => {
    unsubscribe();
    clearTimeout(recheck);
  };
}
