// One file's windows → embeddings. Decoding (ffmpeg processes), feature extraction (fbank, image
// tensor, on this thread) and inference (ONNX Runtime's own threads) overlap: a batch is handed to the
// encoder without waiting for it, and decoding goes on until two batches per modality are in flight.
import type { MediaWindow } from '../../base/window-plan.ts';
import { decodeWindows } from '../../media/decode-windows.ts';
import type { WindowFailure } from '../../media/decode-windows.ts';
import type { MediaInfo } from '../../media/probe.ts';
import type { RgbFrame } from '../../media/image.ts';
import { audioInput, imageInput } from '../../native-models/cavmae/preprocess.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import type { NewWindow } from '../../db/windows.ts';
import type { Modality } from '../../base/types.ts';
import type { IndexStats } from './progress.ts';

/** Fewer samples than one 25-ms fbank frame carry no audio the model can see. */
const MIN_AUDIO_SAMPLES = 400;
const MAX_IN_FLIGHT = 2;

export interface EmbedFileOptions {
  readonly batchSize: number;
  readonly signal?: AbortSignal;
  /** Only these modalities (re-embedding existing windows for a new model needs both, usually). */
  readonly modalities?: readonly Modality[];
  readonly onWindowEmbedded?: () => void;
  /**
   * (Added for the desktop app's thumbnails, core/thumbnails.ts.) Each window's full-resolution frame,
   * as decoded; a returned promise is awaited before decoding goes on. A throw here fails the file.
   */
  readonly onFrame?: (win: MediaWindow, frame: RgbFrame) => void | Promise<void>;
  /** Time per stage is added here when given. */
  readonly stats?: IndexStats;
}

export interface EmbeddedFile {
  /** Windows with at least one modality, in order, with their vectors. */
  readonly windows: NewWindow[];
  readonly failures: readonly WindowFailure[];
}

interface Slot {
  readonly win: MediaWindow;
  audio?: Float32Array;
  visual?: Float32Array;
  hasAudio: boolean;
  hasVisual: boolean;
  pending: number;
}

export async function embedFileWindows(
  file: string,
  info: MediaInfo,
  plan: readonly MediaWindow[],
  encoder: Encoder,
  options: EmbedFileOptions,
): Promise<EmbeddedFile> {
  const wantAudio = options.modalities?.includes('audio') ?? true;
  const wantVisual = options.modalities?.includes('visual') ?? true;
  const slots: Slot[] = [];
  const queued: Record<Modality, Array<{ slot: Slot; input: Float32Array }>> = { audio: [], visual: [] };
  const inFlight: Promise<void>[] = [];
  let failure: unknown;
  const d = encoder.config.embedDim;

  const done = (slot: Slot): void => {
    slot.pending--;
    if (slot.pending === 0) options.onWindowEmbedded?.();
  };

  const flush = (modality: Modality): void => {
    const items = queued[modality].splice(0);
    if (items.length === 0) return;
    const size = items[0]!.input.length;
    const batch = new Float32Array(items.length * size);
    items.forEach((it, i) => batch.set(it.input, i * size));
    const started = performance.now();
    const p = encoder.encode(modality, batch).then((out) => {
      if (options.stats) options.stats.inferenceMs += performance.now() - started;
      items.forEach((it, i) => {
        it.slot[modality] = out.embeddings.slice(i * d, (i + 1) * d);
        done(it.slot);
      });
    });
    // Remember the first failure; it is rethrown once decoding has stopped.
    inFlight.push(p.catch((e: unknown) => void (failure ??= e)));
  };

  const stats = options.stats;
  let inCallbacksMs = 0;
  const decodeStart = performance.now();
  const result = await decodeWindows(file, info, plan, {
    audio: wantAudio,
    frames: wantVisual,
    ...(options.signal ? { signal: options.signal } : {}),
    onWindow: async (win, audio, frame) => {
      const entered = performance.now();
      if (failure !== undefined) throw failure;
      const slot: Slot = { win, hasAudio: false, hasVisual: false, pending: 0 };
      let t = performance.now();
      if (audio !== null && audio.length >= MIN_AUDIO_SAMPLES) {
        slot.hasAudio = true;
        slot.pending++;
        queued.audio.push({ slot, input: audioInput(audio, encoder.config) });
      }
      if (stats) stats.featuresMs += performance.now() - t;
      // Thumbnails hook (desktop app): hand the frame over before it is reduced to a tensor.
      t = performance.now();
      if (frame !== null && options.onFrame !== undefined) await options.onFrame(win, frame);
      if (stats) stats.thumbnailsMs += performance.now() - t;
      t = performance.now();
      if (frame !== null) {
        slot.hasVisual = true;
        slot.pending++;
        queued.visual.push({ slot, input: imageInput(frame) });
      }
      if (stats) stats.featuresMs += performance.now() - t;
      if (slot.pending > 0) slots.push(slot);
      for (const m of ['audio', 'visual'] as const) if (queued[m].length >= options.batchSize) flush(m);
      while (inFlight.length > MAX_IN_FLIGHT * 2) await inFlight.shift();
      inCallbacksMs += performance.now() - entered;
    },
  });
  if (stats) stats.decodeMs += performance.now() - decodeStart - inCallbacksMs;
  flush('audio');
  flush('visual');
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;

  const windows: NewWindow[] = slots.map((s) => ({
    startS: s.win.start,
    endS: s.win.end,
    hasAudio: s.hasAudio,
    hasVisual: s.hasVisual,
    embeddings: {
      ...(s.audio !== undefined ? { audio: s.audio } : {}),
      ...(s.visual !== undefined ? { visual: s.visual } : {}),
    },
  }));
  return { windows, failures: result.failures };
}
