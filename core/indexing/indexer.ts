// An index run: scan the roots, decide per file, embed what changed, commit one transaction per file,
// then bring the HNSW graphs up to date and persist them. Safe to kill at any moment: a file is either
// committed whole (windows + vectors + status in one transaction) or still pending, so the next run
// picks up exactly where this one stopped, with no duplicate windows. Thumbnails are written on the way,
// from the frames the visual encoder decodes anyway.
import os from 'node:os';
import { write } from '../../db/connection.ts';
import { updateFile } from '../../db/files.ts';
import { claimJob, getJob, setJobProgress, setJobStatus } from '../../db/jobs.ts';
import type { Job } from '../../db/jobs.ts';
import { MODALITIES } from '../../base/types.ts';
import { finishRun, latestFrames, startRun } from '../../db/runs.ts';
import { deleteFileClassLogits } from '../../db/class-logits.ts';
import { checkFramesPerWindow, CLIP_FRAME_SECONDS, FRAME_SLOTS, momentFrames } from '../../base/window-plan.ts';
import { listWindows, replaceFileWindows } from '../../db/windows.ts';
import { putEmbeddings } from '../../db/embeddings.ts';
import type { EmbeddingInput } from '../../db/embeddings.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { probeMedia } from '../../media/probe.ts';
import { startSpawner } from '../../media/spawner/spawn-tool.ts';
import type { MediaInfo } from '../../media/probe.ts';
import { mediaDuration, planMediaWindows } from '../../media/decode-windows.ts';
import { chooseProvider } from '../../native-models/runtime/providers.ts';
import type { ProviderName } from '../../base/types.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { encoderFor, releaseEncoder } from '../embedding/encoders.ts';
import { runtimeTuning } from '../embedding/tune.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { rootsToIndex } from '../library/folders.ts';
import type { InstalledModel } from '../models/store.ts';
import { DEFAULT_WINDOW_SECONDS } from '../../base/window-plan.ts';
import { Cancelled, JobControl } from './control.ts';
import type { Decision } from './decide.ts';
import { damageReason, damageSummary } from './damage.ts';
import { decodeFileWindows } from './embed-windows.ts';
import type { EmbeddedFile } from './embed-windows.ts';
import { planRun } from './plan.ts';
import type { IndexProgress, IndexStats, IndexSummary } from './progress.ts';
import { thumbnailWriter } from './thumbnails.ts';
import type { ThumbnailWriter } from './thumbnails.ts';
import { RunTracker } from './tracker.ts';

export interface IndexOptions {
  readonly library: Library;
  readonly model: InstalledModel;
  /** Folders to index (added as library roots). Empty: every root of the library. */
  readonly roots?: readonly string[];
  readonly window?: number;
  readonly hop?: number;
  /**
   * Frames averaged into each window's picture vector (1–16; the paper's frame aggregation). Default:
   * what this model's last run used (1 at first), so a plain re-run never undoes a chosen count.
   */
  readonly frames?: number;
  readonly batchSize?: number;
  readonly provider?: ProviderName | 'auto';
  readonly threads?: number;
  /** Lowest CPU priority and one inference thread: indexing in the background while you work. */
  readonly background?: boolean;
  readonly retryFailed?: boolean;
  /** Write each window's thumbnail into the library's data directory (default true). */
  readonly thumbnails?: boolean;
  readonly control?: JobControl;
  readonly onProgress?: (p: IndexProgress) => void;
  /** Time per stage is added here when given (benchmarks). */
  readonly stats?: IndexStats;
  /** Called for every file that fails, as it happens. */
  readonly onFailure?: (file: string, error: string) => void;
  /** Said once in words (a thumbnail problem such as a full disk); default: a line on stderr. */
  readonly onNotice?: (message: string) => void;
}

/** A running job's row is touched this often; one silent for STALE_MS belongs to a dead process. */
const HEARTBEAT_MS = 10_000;
const STALE_MS = 60_000;

/**
 * Windows per inference call in the background (elsewhere it is measured, core/embedding/tune.ts). On
 * CPU, batching buys little (5 % for the full-size int8 audio encoder at 4 against 1) while it delays
 * the first results and holds more inputs (0.5 MB of fbank per audio window), so 4; accelerators need
 * bigger batches to be kept busy, so 16 there.
 */
function defaultBatchSize(provider: ProviderName): number {
  return provider === 'cpu' ? 4 : 16;
}

/** What the per-file steps of one run share. */
interface Run {
  readonly options: IndexOptions;
  readonly job: Job;
  readonly modelId: number;
  readonly window: number;
  readonly hop: number;
  readonly frames: number;
  /** Set up when the first file needs embeddings (a run with nothing to do loads no model). */
  runtime: Runtime | undefined;
  readonly thumbnails: ThumbnailWriter;
  readonly control: JobControl;
  readonly tracker: RunTracker;
  /** The inference run's row, started with the first file that needs the encoder. */
  runId: number | null;
}

/**
 * Moments per window a frame-level model (CAV-MAE Sync) indexes when the user names none, on its first
 * run (later runs keep the last one). Chosen by `npm run bench sync` on this 2-core CPU: see README.
 */
export const DEFAULT_SYNC_MOMENTS = 4;

/** A FoleyError unless `frames` suits the model: 1–16 averaged frames, or 1/2/4/8/16 moments within a 10.24-s clip. */
function checkRunFrames(frames: number, frameLevel: boolean, window: number): void {
  try {
    if (frameLevel) momentFrames(frames);
    else checkFramesPerWindow(frames);
  } catch (e) {
    throw new FoleyError((e as Error).message);
  }
  if (frameLevel && window > FRAME_SLOTS * CLIP_FRAME_SECONDS) {
    throw new FoleyError(`a frame-level model (CAV-MAE Sync) sees at most ${FRAME_SLOTS * CLIP_FRAME_SECONDS} s per window (16 frames of ${CLIP_FRAME_SECONDS} s); use --window 10`);
  }
}

export async function runIndex(options: IndexOptions): Promise<IndexSummary> {
  const { library, model } = options;
  const { db } = library;
  const window = options.window ?? DEFAULT_WINDOW_SECONDS;
  const hop = options.hop ?? window;
  if (!(window > 0) || !(hop > 0)) throw new FoleyError('window and hop must be positive numbers of seconds');
  if (options.background === true) lowerPriority();
  const roots = rootsToIndex(library, options.roots ?? []);
  const modelRow = modelRecord(library, model);
  const frames = options.frames ?? latestFrames(db, modelRow.id, modelRow.frameLevel ? DEFAULT_SYNC_MOMENTS : 1);
  checkRunFrames(frames, modelRow.frameLevel, window);
  const params = { roots: roots.map((r) => r.path), model: model.manifest.name, window, hop, frames };
  const job = claimJob(db, { kind: 'index', params, staleMs: STALE_MS });
  const control = options.control ?? new JobControl();
  control.noteDatabaseStatus('running');
  const heartbeat = setInterval(() => {
    const j = getJob(db, job.id);
    if (j?.status === 'running') setJobProgress(db, job.id, j.progressDone, j.progressTotal);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const tracker = new RunTracker(options.onProgress);
  const run: Run = { options, job, modelId: modelRow.id, window, hop, frames, runtime: undefined, thumbnails: thumbnailWriter(library.dataDir, options.onNotice), control, tracker, runId: null };

  try {
    startSpawner();
    tracker.report('scanning');
    const todo = await planRun(db, roots, tracker, {
      modelId: modelRow.id,
      retryFailed: options.retryFailed === true,
      frames,
      frameLevel: modelRow.frameLevel,
      signal: control.signal,
      checkpoint: () => checkpoint(run),
    });
    tracker.filesTotal = todo.length;
    setJobProgress(db, job.id, 0, todo.length);
    tracker.report('indexing');
    // A file's last batches run while the next file is probed and decoded; its commit follows them.
    let finishing: Promise<void> = Promise.resolve();
    try {
      for (const d of todo) {
        await checkpoint(run);
        const { finished } = await indexFile(run, d);
        await finishing;
        finishing = finished;
      }
    } finally {
      // Stopped or not, the file whose vectors are on their way is committed (or recorded as failed).
      await finishing.catch(() => undefined);
    }
    await finishing;
    tracker.currentFile = null;
    tracker.report('finishing');
    persistGraphs(library, modelRow.id, model.manifest.config.embedDim, modelRow.frameLevel);
    setJobStatus(db, job.id, 'done');
    tracker.report('done');
    return tracker.summary(job.id, 'done');
  } catch (e) {
    if (!(e instanceof Cancelled)) {
      if (getJob(db, job.id)?.status === 'running') setJobStatus(db, job.id, 'failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
    // Stopped: what was committed stays; the graphs catch up from the change log on next load.
    const status = control.interrupted ? 'paused' : 'cancelled';
    const now = getJob(db, job.id)?.status;
    if (now !== status && now !== 'cancelled') setJobStatus(db, job.id, status);
    tracker.report(status === 'paused' ? 'paused' : 'cancelled');
    return tracker.summary(job.id, status);
  } finally {
    clearInterval(heartbeat);
    if (run.runId !== null) finishRun(db, run.runId);
    // The run's inference thread and its sessions (hundreds of MiB with a full-size model) are not
    // kept for the life of a long-running process (foley serve, the app): searches use their own.
    if (run.runtime !== undefined) await releaseEncoder(run.runtime.encoder);
  }
}

function lowerPriority(): void {
  try {
    os.setPriority(process.pid, os.constants.priority.PRIORITY_LOW);
  } catch {
    // Not permitted on some systems; indexing still works, just at normal priority.
  }
}

/** Between units of work: returns when the job may go on (a pause is mirrored in its row), throws Cancelled. */
async function checkpoint(run: Run): Promise<void> {
  const { db } = run.options.library;
  const { job, control, tracker } = run;
  await control.checkpoint({
    db,
    jobId: job.id,
    onPause: () => {
      tracker.paused();
      if (getJob(db, job.id)?.status === 'running') setJobStatus(db, job.id, 'paused');
      control.noteDatabaseStatus('paused');
      tracker.report('paused');
    },
  });
  if (getJob(db, job.id)?.status === 'paused') setJobStatus(db, job.id, 'running');
  control.noteDatabaseStatus('running');
  tracker.resumed();
}

interface Runtime {
  readonly encoder: Encoder;
  /** What the sessions run on (chooseProvider's answer, which they are created with). */
  readonly provider: ProviderName;
  /** Inference threads in all (lanes × intra-op threads). */
  readonly threads: number;
  readonly batchSize: number;
}

/**
 * The encoder indexing uses, on an inference thread so decoding the next windows goes on while a
 * batch runs (native-models/runtime/session-host.ts says why that needs a thread). Threads and batch
 * size: as asked; in the background one thread; otherwise measured once per model and machine
 * (core/embedding/tune.ts).
 */
async function setUpRuntime(options: IndexOptions): Promise<Runtime> {
  const provider = (await chooseProvider(options.provider ?? 'auto').catch(() => undefined))?.provider ?? 'cpu';
  let threads = options.threads;
  let batchSize = options.batchSize;
  let lanes = 1;
  if (options.background === true) {
    threads ??= 1;
    batchSize ??= defaultBatchSize(provider);
  } else if (threads === undefined || batchSize === undefined) {
    const tuned = await runtimeTuning(options.model, provider);
    // Lanes come with the measured threads: a thread count asked for runs as one lane.
    if (threads === undefined) lanes = tuned.lanes;
    threads ??= tuned.threads;
    batchSize ??= tuned.batchSize;
  }
  // Background: each batch waits while a search runs in this process (base/interactive.ts). Threads
  // that sleep instead of spinning between parallel sections leave the cores to ffmpeg and the fbank:
  // 3.44 against 3.28 windows/s on a quiet machine, 1.56–1.60 against 1.21 with other work on it
  // (full-size int8, 2 × 5 min of 640×360, alternating runs).
  const encoder = encoderFor(options.model, { thread: true, background: true, spinning: false, provider, threads, lanes });
  // Both sessions are created on the inference thread while the first windows decode (seconds for a
  // full-size graph); a failure shows again, with its message, at the first batch.
  for (const m of MODALITIES) encoder.provider(m).catch(() => undefined);
  // Recorded on the run: all the inference threads, lanes included.
  return { encoder, provider, threads: threads * lanes, batchSize };
}

/**
 * Probes, windows and decodes one file; resolves when its inputs are all queued for inference, with
 * `finished` settling once its vectors are in and committed. A failure is recorded on the file and
 * the run goes on; only a cancellation rejects (either promise).
 */
async function indexFile(run: Run, d: Decision): Promise<{ readonly finished: Promise<void> }> {
  const { options, tracker, control } = run;
  const { db } = options.library;
  const file = d.file;
  let planned = false;
  // Windows of this file counted as done; taken back if the file fails after all.
  let embeddedHere = 0;
  tracker.currentFile = file.path;
  tracker.report('indexing');
  const failed = (e: unknown): void => {
    if (e instanceof Cancelled || control.current === 'cancelled') throw new Cancelled();
    // A file that failed before it was planned adds no windows to the estimate.
    if (!planned) tracker.planned(0);
    tracker.windowsDone -= embeddedHere;
    recordFailure(run, file.path, file.id, e);
  };
  const done = (): void => {
    tracker.filesDone++;
    setJobProgress(db, run.job.id, tracker.filesDone, tracker.filesTotal);
    tracker.report('indexing');
  };
  let decoded: { info: MediaInfo; embedded: Promise<EmbeddedFile> };
  try {
    const probeStart = performance.now();
    const info = await probeMedia(file.path, { timeoutMs: 60_000 });
    if (options.stats) options.stats.probeMs += performance.now() - probeStart;
    const hasAudio = info.audio.length > 0;
    if (!hasAudio && info.video.length === 0) throw new FoleyError('no audio or video stream (not a media file)');
    const plan =
      d.kind === 'embed'
        ? listWindows(db, file.id).map((w, index) => ({ index, start: w.startS, end: w.endS, middle: (w.startS + w.endS) / 2 }))
        : planMediaWindows(info, { window: run.window, hop: run.hop });
    if (plan.length === 0) throw new FoleyError('too short to index (no window of audio or video)');
    tracker.planned(plan.length);
    planned = true;
    const runtime = (run.runtime ??= await setUpRuntime(options));
    if (run.runId === null) {
      tracker.provider = runtime.provider;
      run.runId = startRun(db, { modelId: run.modelId, provider: tracker.provider, threads: runtime.threads, jobId: run.job.id, frames: run.frames }).id;
    }
    const { embedded } = await decodeFileWindows(file.path, info, plan, runtime.encoder, {
      batchSize: runtime.batchSize,
      framesPerWindow: run.frames,
      ...(d.kind === 'embed' && d.modalities !== undefined ? { modalities: d.modalities } : {}),
      signal: control.signal,
      onWindowEmbedded: () => {
        tracker.windowsDone++;
        embeddedHere++;
        tracker.report('indexing');
      },
      ...(options.thumbnails !== false ? { onFrame: (win, frame) => run.thumbnails(file, win, frame) } : {}),
      ...(options.stats !== undefined ? { stats: options.stats } : {}),
    });
    decoded = { info, embedded };
  } catch (e) {
    failed(e);
    done();
    return { finished: Promise.resolve() };
  }
  const finished = decoded.embedded
    .then((embedded) => {
      // A damaged file is indexed for its intact part and says so (core/indexing/damage.ts); with
      // nothing intact it fails with the damage as its reason.
      const damage = damageSummary(file.path, embedded.failures, embedded.windows, mediaDuration(decoded.info));
      if (embedded.windows.length === 0 && damage !== undefined) throw new FoleyError(`nothing could be indexed: ${damageReason(file.path, embedded.failures)}`);
      write(db, () => {
        commitFile(run, d, decoded.info, embedded);
        if (damage !== undefined) updateFile(db, file.id, { lastError: damage });
      });
      tracker.counts.indexed++;
      if (damage !== undefined) tracker.damaged.push({ path: file.path, error: damage });
    })
    .catch(failed)
    .then(done);
  // Awaited by the loop after the next file is decoded; a cancellation before then is not unhandled.
  finished.catch(() => undefined);
  return { finished };
}

/** One transaction per file: its windows and vectors (or, for a model change, just the new vectors). */
function commitFile(run: Run, d: Decision, info: MediaInfo, embedded: EmbeddedFile): void {
  const { db } = run.options.library;
  const { stats } = run.options;
  const file = d.file;
  const storeStart = performance.now();
  if (embedded.windows.length === 0) {
    const why = embedded.failures[0]?.error.message ?? 'no window could be decoded';
    throw new FoleyError(why.replace(`${file.path}: `, ''));
  }
  updateFile(db, file.id, { durationS: info.duration ?? null, streams: { audio: info.audio, video: info.video } });
  if (d.kind === 'embed') {
    // Same windows, new model: add vectors next to the old model's, which search keeps using meanwhile.
    // Matched by start, not position: a window whose frame failed is missing from `embedded`.
    const existing = new Map(listWindows(db, file.id).map((w) => [w.startS, w.id]));
    const items: EmbeddingInput[] = [];
    for (const w of embedded.windows) {
      const windowId = existing.get(w.startS);
      for (const m of MODALITIES) {
        const v = w.embeddings?.[m];
        if (v !== undefined && windowId !== undefined) items.push({ windowId, modality: m, vector: v, ...(w.frames !== undefined ? { frames: w.frames } : {}) });
      }
    }
    // One transaction: the file was re-embedded (a modality that failed before, or other pictures), so
    // what every tagging model saw of it may differ from what the index now holds; its tags go with the
    // old vectors and the next tagging run makes them again (found by query).
    write(db, () => {
      putEmbeddings(db, run.runId!, items);
      if (items.length > 0) deleteFileClassLogits(db, null, file.id);
    });
    // lastError of an indexed file is its damage note: new vectors for the same windows keep it.
    updateFile(db, file.id, { status: 'indexed' });
  } else {
    replaceFileWindows(db, file.id, run.runId, embedded.windows);
  }
  if (stats !== undefined) {
    stats.storeMs += performance.now() - storeStart;
    stats.mediaSeconds += embedded.windows.reduce((sum, w) => sum + (w.endS - w.startS), 0);
  }
}

function recordFailure(run: Run, filePath: string, fileId: number, e: unknown): void {
  const message = (e instanceof Error ? e.message : String(e)).replace(`${filePath}: `, '');
  updateFile(run.options.library.db, fileId, { status: 'failed', lastError: message });
  run.tracker.failed.push({ path: filePath, error: message });
  run.options.onFailure?.(filePath, message);
}

/** Loads each graph (catching up with the change log, or rebuilding) and stores it for fast start-up. */
export function persistGraphs(library: Library, modelId: number, dim: number, frameLevel = false): void {
  for (const modality of MODALITIES) {
    new VectorIndex({ modelId, modality }, dim, { frameLevel }).load(library.db, { persist: true });
  }
}
