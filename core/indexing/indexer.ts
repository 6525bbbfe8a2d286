// An index run: scan the roots, decide per file, embed what changed, commit one transaction per file,
// then bring the HNSW graphs up to date and persist them. Safe to kill at any moment: a file is either
// committed whole (windows + vectors + status in one transaction) or still pending, so the next run
// picks up exactly where this one stopped, with no duplicate windows.
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deleteFile, listFiles, updateFile } from '../../db/files.ts';
import { createJob, getJob, listJobs, setJobProgress, setJobStatus } from '../../db/jobs.ts';
import type { Job } from '../../db/jobs.ts';
import { MODALITIES } from '../../base/types.ts';
import { addRoot, listRoots } from '../../db/roots.ts';
import type { Root } from '../../db/roots.ts';
import { finishRun, startRun } from '../../db/runs.ts';
import { listWindows, replaceFileWindows } from '../../db/windows.ts';
import { putEmbeddings } from '../../db/embeddings.ts';
import type { EmbeddingInput } from '../../db/embeddings.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { probeMedia } from '../../media/probe.ts';
import { planMediaWindows } from '../../media/decode-windows.ts';
import { chooseProvider } from '../../native-models/runtime/providers.ts';
import type { ProviderName } from '../../base/types.ts';
import type { RgbFrame } from '../../media/image.ts';
import type { MediaWindow } from '../../base/window-plan.ts';
import { encoderFor } from '../embedding/encoders.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library.ts';
import { modelRecord } from '../library.ts';
import { scanRoot } from '../library/scan.ts';
import type { ScannedFile } from '../library/scan.ts';
import type { InstalledModel } from '../models/store.ts';
import { DEFAULT_WINDOW_SECONDS } from '../../base/window-plan.ts';
import { Cancelled, JobControl } from './control.ts';
import { decide } from './decide.ts';
import type { Decision } from './decide.ts';
import { embedFileWindows } from './embed-windows.ts';
import type { IndexProgress, IndexStats, IndexSummary } from './progress.ts';

export interface IndexOptions {
  readonly library: Library;
  readonly model: InstalledModel;
  /** Folders to index (added as library roots). Empty: every root of the library. */
  readonly roots?: readonly string[];
  readonly window?: number;
  readonly hop?: number;
  readonly batchSize?: number;
  readonly provider?: ProviderName | 'auto';
  readonly threads?: number;
  /** Lowest CPU priority and one inference thread: indexing in the background while you work. */
  readonly background?: boolean;
  readonly retryFailed?: boolean;
  readonly control?: JobControl;
  readonly onProgress?: (p: IndexProgress) => void;
  /** Time per stage is added here when given (benchmarks). */
  readonly stats?: IndexStats;
  /** Called for every file that fails, as it happens. */
  readonly onFailure?: (file: string, error: string) => void;
  /**
   * (Added for the desktop app's thumbnails.) Each embedded window's full frame, with the file being
   * indexed: core/thumbnails.ts writes its thumbnail. Failures here are the callback's to handle.
   */
  readonly onFrame?: (file: { readonly id: number; readonly path: string; readonly fingerprint: string | null }, win: MediaWindow, frame: RgbFrame) => void | Promise<void>;
}

interface Params {
  roots: string[];
  model: string;
  window: number;
  hop: number;
}

/** A running job's row is touched this often; one silent for STALE_MS belongs to a dead process. */
const HEARTBEAT_MS = 10_000;
const STALE_MS = 60_000;

/** The unfinished index job to continue (left running by a killed process, queued, or paused), else a new one. */
function claimJob(library: Library, params: Params): Job {
  for (const j of listJobs(library.db, { kind: 'index', status: 'running' })) {
    if (Date.now() - j.updatedAt > STALE_MS) setJobStatus(library.db, j.id, 'queued');
  }
  const open = [...listJobs(library.db, { kind: 'index', status: 'paused' }), ...listJobs(library.db, { kind: 'index', status: 'queued' })];
  const same = open.find((j) => JSON.stringify(j.params) === JSON.stringify(params));
  const job = same ?? createJob(library.db, 'index', { ...params });
  return setJobStatus(library.db, job.id, 'running');
}

/**
 * Windows per inference call. On CPU, batching buys little (ORT already uses every core per call)
 * while it delays the first results and holds more inputs (0.5 MB of fbank per audio window), so 4;
 * accelerators need bigger batches to be kept busy, so 16 there.
 */
function defaultBatchSize(provider: ProviderName): number {
  return provider === 'cpu' ? 4 : 16;
}

export async function runIndex(options: IndexOptions): Promise<IndexSummary> {
  const { library, model } = options;
  const { db } = library;
  const started = performance.now();
  const window = options.window ?? DEFAULT_WINDOW_SECONDS;
  const hop = options.hop ?? window;
  if (!(window > 0) || !(hop > 0)) throw new FoleyError('window and hop must be positive numbers of seconds');
  if (options.background === true) {
    try {
      os.setPriority(process.pid, os.constants.priority.PRIORITY_LOW);
    } catch {
      // Not permitted on some systems; indexing still works, just at normal priority.
    }
  }

  const requested = (options.roots ?? []).map((r) => path.resolve(r));
  for (const r of requested) {
    if (!existsSync(r)) throw new FoleyError('no such folder', { file: r });
    if (!statSync(r).isDirectory()) throw new FoleyError('not a folder (index takes folders; files are found inside them)', { file: r });
  }
  const roots: Root[] = requested.length > 0 ? requested.map((r) => addRoot(db, r)) : listRoots(db);
  if (roots.length === 0) throw new FoleyError('the library has no folders yet: run "foley index DIR"');

  const modelRow = modelRecord(library, model);
  const params: Params = { roots: roots.map((r) => r.path), model: model.manifest.name, window, hop };
  const job = claimJob(library, params);
  const control = options.control ?? new JobControl();
  control.noteDatabaseStatus('running');
  const heartbeat = setInterval(() => {
    const j = getJob(db, job.id);
    if (j?.status === 'running') setJobProgress(db, job.id, j.progressDone, j.progressTotal);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const threads = options.background === true ? (options.threads ?? 1) : options.threads;
  const encoder = encoderFor(model, {
    ...(options.provider ? { provider: options.provider } : {}),
    ...(threads !== undefined ? { threads } : {}),
  });
  // The provider the sessions will get (a cheap, cached probe: no model is loaded for a run with nothing to do).
  const batchSize = options.batchSize ?? defaultBatchSize((await chooseProvider(options.provider ?? 'auto').catch(() => undefined))?.provider ?? 'cpu');

  let filesDone = 0;
  let filesTotal = 0;
  let windowsDone = 0;
  let windowsPlanned = 0;
  let filesPlanned = 0;
  let currentFile: string | null = null;
  let activeMs = 0;
  let activeSince = performance.now();
  const failed: Array<{ path: string; error: string }> = [];
  const counts = { scanned: 0, indexed: 0, skipped: 0, moved: 0, removed: 0, offline: 0 };
  let runId: number | null = null;
  let provider: ProviderName | null = null;

  const report = (phase: IndexProgress['phase']): void => {
    const elapsed = (activeMs + (phase === 'paused' ? 0 : performance.now() - activeSince)) / 1000;
    const rate = elapsed > 0 ? windowsDone / elapsed : 0;
    const perFile = filesPlanned > 0 ? windowsPlanned / filesPlanned : 0;
    const windowsTotal =
      phase === 'done' ? windowsDone : Math.max(windowsDone, Math.round(windowsPlanned + perFile * Math.max(0, filesTotal - filesPlanned)));
    options.onProgress?.({
      phase,
      filesDone,
      filesTotal,
      filesFailed: failed.length,
      windowsDone,
      windowsTotal,
      windowsPerSecond: rate,
      etaSeconds: rate > 0 && phase === 'indexing' ? (windowsTotal - windowsDone) / rate : null,
      currentFile,
    });
  };
  const checkpoint = (): Promise<void> =>
    control.checkpoint({
      db,
      jobId: job.id,
      onPause: () => {
        activeMs += performance.now() - activeSince;
        if (getJob(db, job.id)?.status === 'running') setJobStatus(db, job.id, 'paused');
        control.noteDatabaseStatus('paused');
        report('paused');
      },
    }).then(() => {
      if (getJob(db, job.id)?.status === 'paused') setJobStatus(db, job.id, 'running');
      control.noteDatabaseStatus('running');
      activeSince = performance.now();
    });

  const fail = (filePath: string, fileId: number, e: unknown): void => {
    if (e instanceof Cancelled) throw e;
    const message = (e instanceof Error ? e.message : String(e)).replace(`${filePath}: `, '');
    updateFile(db, fileId, { status: 'failed', lastError: message });
    failed.push({ path: filePath, error: message });
    options.onFailure?.(filePath, message);
  };

  try {
    // 1. Scan. A root that cannot be read is an unplugged drive: its files go offline, not away.
    report('scanning');
    const work: Array<{ root: Root; scanned: ScannedFile }> = [];
    const seen = new Set<string>();
    for (const root of roots) {
      if (!existsSync(root.path)) {
        for (const f of listFiles(db, { rootId: root.id })) {
          if (f.status !== 'missing') {
            updateFile(db, f.id, { status: 'missing' });
            counts.offline++;
          }
        }
        continue;
      }
      for await (const scanned of scanRoot(root.path, control.signal)) {
        seen.add(scanned.path);
        work.push({ root, scanned });
      }
    }
    counts.scanned = work.length;

    // 2. Decide: cheap for unchanged files, a fingerprint for new and changed ones.
    const todo: Decision[] = [];
    for (const { root, scanned } of work) {
      await checkpoint();
      const d = await decide(db, scanned, { modelId: modelRow.id, rootId: root.id, ...(options.retryFailed ? { retryFailed: true } : {}) });
      if (d.kind === 'skip') counts.skipped++;
      else if (d.kind === 'moved') counts.moved++;
      else todo.push(d);
    }

    // 3. Files gone from a readable root (and not found moved above) leave the library.
    for (const root of roots) {
      if (!existsSync(root.path)) continue;
      for (const f of listFiles(db, { rootId: root.id })) {
        if (!seen.has(f.path) && !existsSync(f.path)) {
          deleteFile(db, f.id);
          counts.removed++;
        }
      }
    }

    // 4. Embed.
    filesTotal = todo.length;
    setJobProgress(db, job.id, 0, filesTotal);
    report('indexing');
    for (const d of todo) {
      await checkpoint();
      const file = d.file;
      let planned = false;
      currentFile = file.path;
      report('indexing');
      try {
        const probeStart = performance.now();
        const info = await probeMedia(file.path, { timeoutMs: 60_000 });
        if (options.stats) options.stats.probeMs += performance.now() - probeStart;
        const hasAudio = info.audio.length > 0;
        const hasVideo = info.video.length > 0;
        if (!hasAudio && !hasVideo) throw new FoleyError('no audio or video stream (not a media file)');
        const plan =
          d.kind === 'embed'
            ? listWindows(db, file.id).map((w, index) => ({ index, start: w.startS, end: w.endS, middle: (w.startS + w.endS) / 2 }))
            : planMediaWindows(info, { window, hop });
        if (plan.length === 0) throw new FoleyError('too short to index (no window of audio or video)');
        filesPlanned++;
        planned = true;
        windowsPlanned += plan.length;
        runId ??= startRun(db, { modelId: modelRow.id, provider: (provider = await encoder.provider(hasAudio ? 'audio' : 'visual')), ...(threads !== undefined ? { threads } : {}), jobId: job.id }).id;
        const embedded = await embedFileWindows(file.path, info, plan, encoder, {
          batchSize,
          signal: control.signal,
          onWindowEmbedded: () => {
            windowsDone++;
            report('indexing');
          },
          // Thumbnails hook (desktop app): pass each window's frame on with the file it belongs to.
          ...(options.onFrame !== undefined ? { onFrame: (win: MediaWindow, frame: RgbFrame) => options.onFrame!(file, win, frame) } : {}),
          ...(options.stats !== undefined ? { stats: options.stats } : {}),
        });
        const storeStart = performance.now();
        if (embedded.windows.length === 0) {
          const why = embedded.failures[0]?.error.message ?? 'no window could be decoded';
          throw new FoleyError(why.replace(`${file.path}: `, ''));
        }
        updateFile(db, file.id, { durationS: info.duration ?? null, streams: { audio: info.audio, video: info.video } });
        if (d.kind === 'embed') {
          // Same windows, new model: add vectors next to the old model's, which search keeps using meanwhile.
          const existing = listWindows(db, file.id);
          const items: EmbeddingInput[] = [];
          embedded.windows.forEach((w, i) => {
            for (const m of MODALITIES) {
              const v = w.embeddings?.[m];
              if (v !== undefined && existing[i] !== undefined) items.push({ windowId: existing[i].id, modality: m, vector: v });
            }
          });
          putEmbeddings(db, runId, items);
          updateFile(db, file.id, { status: 'indexed', lastError: null });
        } else {
          replaceFileWindows(db, file.id, runId, embedded.windows);
        }
        if (options.stats !== undefined) {
          options.stats.storeMs += performance.now() - storeStart;
          options.stats.mediaSeconds += embedded.windows.reduce((sum, w) => sum + (w.endS - w.startS), 0);
        }
        counts.indexed++;
      } catch (e) {
        if (e instanceof Cancelled || control.current === 'cancelled') throw new Cancelled();
        // A file that failed before it was planned adds no windows to the estimate.
        if (!planned) filesPlanned++;
        fail(file.path, file.id, e);
      }
      filesDone++;
      setJobProgress(db, job.id, filesDone, filesTotal);
      report('indexing');
    }
    currentFile = null;
    report('finishing');
    persistGraphs(library, modelRow.id, model.manifest.config.embedDim);
    setJobStatus(db, job.id, 'done');
    report('done');
    return summary('done');
  } catch (e) {
    if (!(e instanceof Cancelled)) {
      if (getJob(db, job.id)?.status === 'running') setJobStatus(db, job.id, 'failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
    // Stopped: what was committed stays; the graphs catch up from the change log on next load.
    const status = control.interrupted ? 'paused' : 'cancelled';
    const now = getJob(db, job.id)?.status;
    if (now !== status && now !== 'cancelled') setJobStatus(db, job.id, status);
    report(status === 'paused' ? 'paused' : 'cancelled');
    return summary(status);
  } finally {
    clearInterval(heartbeat);
    if (runId !== null) finishRun(db, runId);
  }

  function summary(status: IndexSummary['status']): IndexSummary {
    return {
      jobId: job.id,
      status,
      ...counts,
      failed,
      windows: windowsDone,
      seconds: (performance.now() - started) / 1000,
      provider,
    };
  }
}

/** Loads each graph (catching up with the change log, or rebuilding) and stores it for fast start-up. */
export function persistGraphs(library: Library, modelId: number, dim: number): void {
  for (const modality of MODALITIES) {
    new VectorIndex({ modelId, modality }, dim).load(library.db, { persist: true });
  }
}
