// Query sources → query embeddings. Audio longer than one window is cut into the same windows the
// indexer uses (base/window-plan.ts planWindows) and their embeddings averaged, then L2-normalised again;
// a moment of an indexed file reuses its stored vectors. Embeddings of files are cached by (model,
// path, size, mtime, start, duration), and the encoder sessions by core/embedding/encoders.ts, so
// repeating or paging a query never runs the model again while the process (app, server) lives.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../../db/connection.ts';
import { getEmbedding, getFrameEmbedding } from '../../db/embeddings.ts';
import type { FrameVectors } from '../../db/embeddings.ts';
import { getFileByPath } from '../../db/files.ts';
import type { Model } from '../../db/models.ts';
import { windowAt } from '../../db/windows.ts';
import { decodeAudio } from '../../media/audio.ts';
import { probeMedia } from '../../media/probe.ts';
import { mediaDuration } from '../../media/decode-windows.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { BatchEmbedder } from '../embedding/batch.ts';
import { encoderFor } from '../embedding/encoders.ts';
import { embedImageFile } from '../embedding/file.ts';
import { hasUsableAudio, soundQueryInputs } from '../embedding/inputs.ts';
import { FoleyError } from '../../base/errors.ts';
import type { InstalledModel } from '../models/store.ts';
import { DEFAULT_WINDOW_SECONDS, planWindows, SAMPLE_RATE, toSamples } from '../../base/window-plan.ts';
import { normaliseInPlace, normalised } from './vectors.ts';
import type { QuerySource } from './types.ts';
import type { Modality } from '../../base/types.ts';

/** At most this many windows of a long audio query are embedded (evenly spread over it). */
export const MAX_QUERY_WINDOWS = 32;
const BATCH = 8;

export interface QueryEmbeddings {
  readonly audio?: Float32Array;
  readonly visual?: Float32Array;
  /** Audio windows averaged. */
  readonly windows?: number;
  /** A moment query: its own window. */
  readonly selfWindowId?: number;
  /** A moment query on a frame-level model: its window's frames (compared whole, core/search/clips.ts). */
  readonly audioFrames?: FrameVectors;
  readonly visualFrames?: FrameVectors;
  readonly cached: boolean;
}

const CACHE_SIZE = 128;
const cache = new Map<string, Omit<QueryEmbeddings, 'cached'>>();

function remember(key: string, value: Omit<QueryEmbeddings, 'cached'>): QueryEmbeddings {
  cache.delete(key);
  cache.set(key, value);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return { ...value, cached: false };
}

function recall(key: string, hit: Omit<QueryEmbeddings, 'cached'>): QueryEmbeddings {
  cache.delete(key);
  cache.set(key, hit);
  return { ...hit, cached: true };
}

export function clearQueryCache(): void {
  cache.clear();
}

/** Seconds → embedding of the windows of some 16-kHz samples, averaged and normalised. */
async function embedSamples(model: InstalledModel, chunks: readonly Float32Array[], options: SessionOptions): Promise<{ embedding: Float32Array; windows: number }> {
  const encoder = encoderFor(model, options);
  const usable = chunks.filter(hasUsableAudio);
  if (usable.length === 0) throw new FoleyError('the query audio is too short (less than one 25-ms frame)');
  const vectors: Float32Array[] = [];
  const embedder = new BatchEmbedder(encoder, { batchSize: BATCH });
  const inputs = usable.flatMap((c) => soundQueryInputs(encoder, c));
  for (const [i, input] of inputs.entries()) await embedder.add('audio', input, (v) => (vectors[i] = v));
  await embedder.finish();
  // Summed in window order, so the average does not depend on which batch finished first.
  const sum = new Float32Array(encoder.config.embedDim);
  for (const v of vectors) for (let d = 0; d < sum.length; d++) sum[d]! += v[d]!;
  return { embedding: normaliseInPlace(sum), windows: usable.length };
}

/** Up to MAX_QUERY_WINDOWS windows evenly spread (all of them when there are fewer). */
function spread<T>(items: readonly T[]): T[] {
  if (items.length <= MAX_QUERY_WINDOWS) return [...items];
  return Array.from({ length: MAX_QUERY_WINDOWS }, (_, i) => items[Math.round((i * (items.length - 1)) / (MAX_QUERY_WINDOWS - 1))]!);
}

function windowsOfSamples(samples: Float32Array): Float32Array[] {
  return spread(planWindows(samples.length / SAMPLE_RATE, { window: DEFAULT_WINDOW_SECONDS })).map((w) => samples.subarray(toSamples(w.start), toSamples(w.end)));
}

async function audioFileQuery(model: InstalledModel, file: string, start: number, duration: number | undefined, options: SessionOptions): Promise<QueryEmbeddings> {
  if (!(Number.isFinite(start) && start >= 0)) throw new FoleyError(`start must be a number of seconds >= 0 (got ${start})`);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) throw new FoleyError(`duration must be a number of seconds > 0 (got ${duration})`);
  const abs = path.resolve(file);
  const st = await stat(abs).catch((cause: unknown) => {
    throw new FoleyError('cannot read the query file', { file: abs, cause });
  });
  const key = `audio|${model.dir}|${model.manifest.source.sha256}|${model.manifest.precision}|${abs}|${st.size}|${st.mtimeMs}|${start}|${duration ?? ''}`;
  const hit = cache.get(key);
  if (hit !== undefined) return recall(key, hit);
  let length = duration;
  if (length === undefined) {
    const total = mediaDuration(await probeMedia(abs));
    if (total <= start) throw new FoleyError(`no audio at ${start} s (the file lasts ${total.toFixed(2)} s)`, { file: abs });
    length = total - start;
  }
  const plan = planWindows(length, { window: DEFAULT_WINDOW_SECONDS });
  let chunks: Float32Array[];
  if (plan.length <= MAX_QUERY_WINDOWS) {
    // One continuous decode cut at whole samples, exactly as the indexer does.
    const samples = await decodeAudio(abs, { start, duration: length });
    if (samples.length === 0) throw new FoleyError(`no audio at ${start} s`, { file: abs });
    chunks = windowsOfSamples(samples);
  } else {
    chunks = [];
    for (const w of spread(plan)) chunks.push(await decodeAudio(abs, { start: start + w.start, duration: w.end - w.start }));
  }
  const { embedding, windows } = await embedSamples(model, chunks, options);
  return remember(key, { audio: embedding, windows });
}

function momentQuery(db: Database, modelRow: Model, file: string, at: number): QueryEmbeddings {
  if (!(Number.isFinite(at) && at >= 0)) throw new FoleyError(`a moment needs a time in seconds >= 0 (got ${at})`);
  const abs = path.resolve(file);
  const f = getFileByPath(db, abs) ?? getFileByPath(db, file);
  if (f === undefined) throw new FoleyError('not in the library (index it first)', { file: abs, code: 'not_found' });
  const windowId = windowAt(db, f.id, at);
  if (windowId === undefined) throw new FoleyError('has no indexed windows', { file: f.path, code: 'not_found' });
  const audio = getEmbedding(db, windowId, modelRow.id, 'audio');
  const visual = getEmbedding(db, windowId, modelRow.id, 'visual');
  if (audio === undefined && visual === undefined) {
    throw new FoleyError(`the window at ${at} s has no ${modelRow.name} embeddings (index it with this model)`, { file: f.path, code: 'not_found' });
  }
  const audioFrames = modelRow.frameLevel ? getFrameEmbedding(db, windowId, modelRow.id, 'audio') : undefined;
  const visualFrames = modelRow.frameLevel ? getFrameEmbedding(db, windowId, modelRow.id, 'visual') : undefined;
  return {
    ...(audio !== undefined ? { audio: normaliseInPlace(audio) } : {}),
    ...(visual !== undefined ? { visual: normaliseInPlace(visual) } : {}),
    ...(audioFrames !== undefined ? { audioFrames } : {}),
    ...(visualFrames !== undefined ? { visualFrames } : {}),
    selfWindowId: windowId,
    cached: false,
  };
}

function embeddingQuery(dim: number, audio: readonly number[] | undefined, visual: readonly number[] | undefined): QueryEmbeddings {
  const check = (m: Modality, v: readonly number[] | undefined): Float32Array | undefined => {
    if (v === undefined) return undefined;
    if (v.length !== dim || !v.every(Number.isFinite)) throw new FoleyError(`the ${m} query embedding must be ${dim} finite numbers`);
    return normalised(v);
  };
  const a = check('audio', audio);
  const v = check('visual', visual);
  if (a === undefined && v === undefined) throw new FoleyError('an embedding query needs an audio or a visual vector');
  return { ...(a !== undefined ? { audio: a } : {}), ...(v !== undefined ? { visual: v } : {}), cached: false };
}

export async function queryEmbeddings(db: Database, model: InstalledModel, modelRow: Model, source: QuerySource, options: SessionOptions = {}): Promise<QueryEmbeddings> {
  switch (source.kind) {
    case 'audio':
      return audioFileQuery(model, source.file, source.start ?? 0, source.duration, options);
    case 'pcm': {
      if ((source.sampleRate ?? SAMPLE_RATE) !== SAMPLE_RATE) throw new FoleyError(`microphone audio must be ${SAMPLE_RATE} Hz mono (got ${source.sampleRate} Hz)`);
      const samples = source.samples instanceof Float32Array ? source.samples : Float32Array.from(source.samples);
      const { embedding, windows } = await embedSamples(model, windowsOfSamples(samples), options);
      return { audio: embedding, windows, cached: false };
    }
    case 'image': {
      const abs = path.resolve(source.file);
      const st = await stat(abs).catch((cause: unknown) => {
        throw new FoleyError('cannot read the query file', { file: abs, cause });
      });
      const key = `image|${model.dir}|${model.manifest.source.sha256}|${model.manifest.precision}|${abs}|${st.size}|${st.mtimeMs}`;
      const hit = cache.get(key);
      if (hit !== undefined) return recall(key, hit);
      const r = await embedImageFile(model, abs, options);
      return remember(key, { visual: normaliseInPlace(Float32Array.from(r.embedding)) });
    }
    case 'moment':
      return momentQuery(db, modelRow, source.file, source.at);
    case 'embedding':
      return embeddingQuery(modelRow.dim, source.audio, source.visual);
  }
}
