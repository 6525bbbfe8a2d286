// Tags the library (or one file): every window without logits of the tagging model is decoded again
// (core/embedding/window-inputs.ts, the recipe's K pictures at start + (i + 0.5)·W/K, or the middle
// one), classified (window-tags.ts) and its logits stored with the mode and picture count. File by
// file, so each file is read once; stored every few windows, so a killed run loses little and the
// next one finds the rest by query. Background work: each window waits while a search runs in this
// process (base/interactive.ts), so a query waits for at most one window's inference, and while the
// run is paused (JobControl, as indexing: from the app, or `foley jobs pause ID` through the job row).
import { yieldToInteractive } from '../../base/interactive.ts';
import { JobControl } from '../indexing/control.ts';
import { putClassLogits, putTaggingRun, windowsWithoutClassLogits } from '../../db/class-logits.ts';
import type { StoredLogits } from '../../db/class-logits.ts';
import { getFile } from '../../db/files.ts';
import { probeMedia } from '../../media/probe.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { encoderFor } from '../embedding/encoders.ts';
import { decodeWindowInputs } from '../embedding/window-inputs.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import type { InstalledModel } from '../models/store.ts';
import { claimTagJob, endTagJob, tagCheckpoint, tagJobProgress } from './job.ts';
import { tagRecipe } from './tagger.ts';
import type { TagRecipe } from './tagger.ts';
import { recipeNeedsPictures, tagWindow } from './window-tags.ts';

export interface TagProgress {
  readonly done: number;
  readonly total: number;
  readonly windowsPerSecond: number;
  /** Seconds left at the current rate; null until there is one. */
  readonly etaSeconds: number | null;
  readonly currentFile: string | null;
}

/** ONNX session options for the tagging model (provider, threads). */
export type TagSession = SessionOptions;

export interface TagOptions {
  /** --frames K for a checkpoint without an official recipe (tagger.ts tagRecipe). */
  readonly frames?: number;
  /** Only this file's windows (the tags of one moment need not wait for the whole library). */
  readonly fileId?: number;
  readonly signal?: AbortSignal;
  /** Pause, resume and cancel from this process (the app); the job row's status is followed too (`foley jobs pause ID`). */
  readonly control?: JobControl;
  readonly session?: SessionOptions;
  readonly onProgress?: (p: TagProgress) => void;
}

export interface TagSummary {
  readonly status: 'done' | 'cancelled';
  readonly model: string;
  readonly recipe: TagRecipe;
  /** Windows tagged now. */
  readonly tagged: number;
  /** Windows that could not be tagged (their file is gone, or nothing of them decoded). */
  readonly skipped: number;
  readonly failed: ReadonlyArray<{ readonly path: string; readonly error: string }>;
  readonly seconds: number;
  /** Wall ms per tagged window, less the time spent holding back for searches or paused; null when none was tagged. */
  readonly msPerWindow: number | null;
}

/** Windows stored together: small enough that a killed run loses little, large enough for few transactions. */
const FLUSH_EVERY = 32;

export async function tagLibrary(library: Library, model: InstalledModel, options: TagOptions = {}): Promise<TagSummary> {
  const { db } = library;
  const recipe = tagRecipe(model, options.frames);
  const modelId = modelRecord(library, model).id;
  const pending = windowsWithoutClassLogits(db, modelId, options.fileId);
  // A library run is a job (others can see it runs) and its cost is kept; one file on demand is neither.
  const job = options.fileId === undefined && pending.length > 0 ? claimTagJob(db, modelId) : undefined;
  const encoder = encoderFor(model, options.session ?? {});
  const control = options.control ?? new JobControl();
  if (job !== undefined) control.noteDatabaseStatus('running');
  const signal = options.signal === undefined ? control.signal : AbortSignal.any([options.signal, control.signal]);
  const checkpoint = tagCheckpoint(db, job, control);
  const started = performance.now();
  let heldBackMs = 0;
  let done = 0;
  let tagged = 0;
  const failed: { path: string; error: string }[] = [];
  let currentFile: string | null = null;
  let lastBeat = 0;
  const progress = (): void => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    options.onProgress?.({ done, total: pending.length, windowsPerSecond: rate, etaSeconds: rate > 0 ? (pending.length - done) / rate : null, currentFile });
    // The job row's progress is also its heartbeat (job.ts TAG_STALE_MS).
    if (job !== undefined && performance.now() - lastBeat > 1000) {
      lastBeat = performance.now();
      tagJobProgress(db, job.id, done, pending.length);
    }
  };
  const byFile = new Map<number, typeof pending>();
  for (const w of pending) {
    let list = byFile.get(w.fileId);
    if (list === undefined) byFile.set(w.fileId, (list = []));
    list.push(w);
  }
  const aborted = (): boolean => signal.aborted;
  let status: TagSummary['status'] = 'done';
  try {
    progress();
    for (const [fileId, windows] of byFile) {
      if (aborted()) break;
      const file = getFile(db, fileId);
      if (file === undefined || file.status === 'missing') {
        done += windows.length;
        continue;
      }
      currentFile = file.path;
      let batch: StoredLogits[] = [];
      const flush = (): void => {
        putClassLogits(db, modelId, batch);
        tagged += batch.length;
        batch = [];
      };
      const seen = new Set<number>();
      // One window classified while ffmpeg decodes the next (ONNX runs off this thread).
      let previous: Promise<void> = Promise.resolve();
      try {
        const info = await probeMedia(file.path);
        const plan = windows.map((w, index) => ({ index, start: w.startS, end: w.endS, middle: (w.startS + w.endS) / 2 }));
        await decodeWindowInputs(file.path, info, plan, encoder, {
          signal,
          modalities: recipeNeedsPictures(recipe) ? ['audio', 'visual'] : ['audio'],
          framesPerWindow: Math.max(1, recipe.frames),
          onInputs: async (input) => {
            await previous;
            const t = performance.now();
            await yieldToInteractive();
            await checkpoint();
            heldBackMs += performance.now() - t;
            const w = windows[input.win.index]!;
            seen.add(input.win.index);
            const next = tagWindow(encoder, recipe, { ...(input.audio !== undefined ? { audio: input.audio } : {}), ...(input.visual !== undefined ? { pictures: input.visual } : {}), seconds: w.endS - w.startS }).then((tags) => {
              done++;
              if (tags !== null) batch.push({ windowId: w.id, ...tags });
              if (batch.length >= FLUSH_EVERY) flush();
              progress();
            });
            // Awaited by the next window or after the file; a failure before then is not unhandled.
            next.catch(() => undefined);
            previous = next;
          },
        });
        await previous;
        // An audio-only recipe still tags the windows that gave no sound at all (they hear silence).
        if (!recipeNeedsPictures(recipe)) {
          for (const [index, w] of windows.entries()) {
            if (seen.has(index) || aborted()) continue;
            const tags = await tagWindow(encoder, recipe, { seconds: w.endS - w.startS });
            if (tags !== null) batch.push({ windowId: w.id, ...tags });
          }
        }
      } catch (e) {
        if (aborted()) break;
        failed.push({ path: file.path, error: e instanceof Error ? e.message.split('\n')[0]! : String(e) });
      } finally {
        // The window in flight when decoding stopped (a cancel, a failure) is kept if it finished.
        await previous.catch(() => undefined);
        flush();
      }
      // Windows ffmpeg gave nothing for are done too (tagged on silence above, or skipped).
      done += windows.length - seen.size;
      progress();
    }
    if (aborted()) status = 'cancelled';
  } catch (e) {
    if (job !== undefined) endTagJob(db, job.id, 'failed', e instanceof Error ? e.message : String(e));
    throw e;
  }
  const wallMs = performance.now() - started - heldBackMs;
  if (job !== undefined) {
    if (tagged > 0) putTaggingRun(db, modelId, tagged, wallMs);
    endTagJob(db, job.id, status === 'done' ? 'done' : 'cancelled');
  }
  return {
    status,
    model: model.manifest.name,
    recipe,
    tagged,
    skipped: status === 'done' ? pending.length - tagged : 0,
    failed,
    seconds: (performance.now() - started) / 1000,
    msPerWindow: tagged > 0 ? wallMs / tagged : null,
  };
}
