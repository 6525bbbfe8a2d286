// One file's windows → embeddings: the embedding pipeline (core/embedding/) run over an index plan.
// Decoding (ffmpeg processes), input preparation (fbank, image tensor, on this thread) and inference
// (ONNX Runtime's own threads) overlap: decodeWindowInputs prepares each window's inputs and
// BatchEmbedder sends full batches without waiting, so decoding goes on while batches run.
import type { MediaWindow } from '../../base/window-plan.ts';
import type { WindowFailure } from '../../media/decode-windows.ts';
import type { MediaInfo } from '../../media/probe.ts';
import type { RgbFrame } from '../../media/image.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import type { NewWindow } from '../../db/windows.ts';
import type { Modality } from '../../base/types.ts';
import { framesMask } from '../../base/window-plan.ts';
import { BatchEmbedder } from '../embedding/batch.ts';
import { yieldToInteractive } from '../../base/interactive.ts';
import { concatFloat32 } from '../../native-models/tensor.ts';
import { decodeWindowInputs } from '../embedding/window-inputs.ts';
import { normaliseInPlace } from '../search/vectors.ts';
import type { IndexStats } from './progress.ts';

export interface EmbedFileOptions {
  readonly batchSize: number;
  readonly signal?: AbortSignal;
  /** Only these modalities (re-embedding existing windows for a new model needs both, usually). */
  readonly modalities?: readonly Modality[];
  readonly onWindowEmbedded?: () => void;
  /**
   * (Indexing writes thumbnails through this, core/indexing/thumbnails.ts.) Each window's full-resolution frame,
   * as decoded; a returned promise is awaited before decoding goes on. A throw here fails the file.
   */
  readonly onFrame?: (win: MediaWindow, frame: RgbFrame) => void | Promise<void>;
  /** Time per stage is added here when given. */
  readonly stats?: IndexStats;
  /** Frames averaged into each window's picture vector (default 1: the middle). */
  readonly framesPerWindow?: number;
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
  /** Per-frame picture embeddings as they arrive (frame aggregation, or a frame-level model's frames). */
  readonly frames: Float32Array[];
  /** Frame-level models: the clip frames, and each one's sound embedding as it arrives. */
  readonly clipFrames?: readonly number[];
  readonly audioFrames: Float32Array[];
  readonly hasAudio: boolean;
  readonly hasVisual: boolean;
  pending: number;
}

/**
 * The window's picture vector from its frames' (unit) embeddings: their mean, L2-normalised (the
 * paper's frame aggregation). One frame is kept as it is, so K = 1 stores exactly what it always did.
 */
export function aggregateFrames(frames: readonly Float32Array[]): Float32Array {
  if (frames.length === 1) return frames[0]!;
  const sum = new Float32Array(frames[0]!.length);
  for (const f of frames) for (let d = 0; d < sum.length; d++) sum[d]! += f[d]!;
  return normaliseInPlace(sum);
}

/** All of a file's windows, decoded and embedded. */
export async function embedFileWindows(
  file: string,
  info: MediaInfo,
  plan: readonly MediaWindow[],
  encoder: Encoder,
  options: EmbedFileOptions,
): Promise<EmbeddedFile> {
  return (await decodeFileWindows(file, info, plan, encoder, options)).embedded;
}

/**
 * Resolves once the file is decoded and every input is queued for inference; `embedded` resolves when
 * the last batches are done. Indexing starts the next file in between, so a file's last batches run
 * while the next one is probed and its first windows decode.
 */
export async function decodeFileWindows(
  file: string,
  info: MediaInfo,
  plan: readonly MediaWindow[],
  encoder: Encoder,
  options: EmbedFileOptions,
): Promise<{ readonly embedded: Promise<EmbeddedFile> }> {
  const stats = options.stats;
  const embedder = new BatchEmbedder(encoder, {
    batchSize: options.batchSize,
    ...(stats ? { onInference: (ms: number) => void (stats.inferenceMs += ms) } : {}),
  });
  const slots: Slot[] = [];
  const done = (slot: Slot): void => {
    slot.pending--;
    if (slot.pending === 0) options.onWindowEmbedded?.();
  };
  const embeddedAudio = (slot: Slot) => (vector: Float32Array): void => {
    slot.audio = vector;
    done(slot);
  };
  const embeddedFrame = (slot: Slot, i: number, of: number) => (vector: Float32Array): void => {
    slot.frames[i] = vector;
    if (slot.frames.filter(Boolean).length === of) slot.visual = slot.clipFrames === undefined ? aggregateFrames(slot.frames) : concatFloat32(slot.frames);
    done(slot);
  };
  const embeddedSound = (slot: Slot, i: number, of: number) => (vector: Float32Array): void => {
    slot.audioFrames[i] = vector;
    if (slot.audioFrames.filter(Boolean).length === of) slot.audio = concatFloat32(slot.audioFrames);
    done(slot);
  };
  const decoding = decodeWindowInputs(file, info, plan, encoder, {
    ...(options.modalities ? { modalities: options.modalities } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onFrame ? { onFrame: options.onFrame } : {}),
    ...(stats ? { times: stats } : {}),
    ...(options.framesPerWindow !== undefined ? { framesPerWindow: options.framesPerWindow } : {}),
    beforeWindow: () => embedder.throwIfFailed(),
    onInputs: async ({ win, audio, visual = [], clipFrames, audioFrames = [] }) => {
      // Decoding the next windows (ffmpeg, fbank) holds back while a search runs (base/interactive.ts).
      await yieldToInteractive();
      const slot: Slot = {
        win,
        frames: [],
        audioFrames: [],
        ...(clipFrames !== undefined ? { clipFrames } : {}),
        hasAudio: audio !== undefined || audioFrames.length > 0,
        hasVisual: visual.length > 0,
        pending: (audio ? 1 : 0) + audioFrames.length + visual.length,
      };
      slots.push(slot);
      if (audio !== undefined) await embedder.add('audio', audio, embeddedAudio(slot));
      for (const [i, input] of audioFrames.entries()) await embedder.add('audio', input, embeddedSound(slot, i, audioFrames.length));
      for (const [i, input] of visual.entries()) await embedder.add('visual', input, embeddedFrame(slot, i, visual.length));
    },
  });
  const result = await decoding.catch(async (e: unknown) => {
    await embedder.abandon();
    throw e;
  });
  const embedded = embedder.finish().then((): EmbeddedFile => ({ windows: slots.map(toWindow), failures: result.failures }));
  // Handled by whoever awaits it; this keeps a rejection before then from counting as unhandled.
  embedded.catch(() => undefined);
  return { embedded };
}

function toWindow(s: Slot): NewWindow {
  return {
    startS: s.win.start,
    endS: s.win.end,
    hasAudio: s.hasAudio,
    hasVisual: s.hasVisual,
    embeddings: {
      ...(s.audio !== undefined ? { audio: s.audio } : {}),
      ...(s.visual !== undefined ? { visual: s.visual } : {}),
    },
    ...(s.clipFrames !== undefined ? { frames: framesMask(s.clipFrames) } : {}),
  };
}
