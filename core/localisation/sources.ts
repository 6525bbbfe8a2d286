// The two sides of a localisation pair and how each becomes tokens: a sound (one window of an audio
// or video file, of an indexed moment, or of microphone samples) and a picture (an image, a video's
// first frame, or an indexed moment's frame, the one its visual embedding was made from). Encoded
// items are cached by what they were made from (file identity and time, or content hash).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import type { Modality } from '../../base/types.ts';
import { DEFAULT_WINDOW_SECONDS, MIN_AUDIO_SAMPLES, SAMPLE_RATE, windowMiddle } from '../../base/window-plan.ts';
import { getFile, getFileByPath } from '../../db/files.ts';
import { getWindow, windowAt } from '../../db/windows.ts';
import { decodeFrameRgb, decodeImageRgb } from '../../media/image.ts';
import type { RgbFrame } from '../../media/image.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { decodeWindowSamples } from '../embedding/file.ts';
import type { Library } from '../library/handle.ts';
import type { InstalledModel } from '../models/store.ts';
import { tokenCache } from './token-cache.ts';
import type { EncodedItem } from './token-cache.ts';

/** A moment of an indexed file: the window holding `at` seconds. */
export interface MomentRef {
  readonly kind: 'moment';
  /** The file's id in the library, or its path. */
  readonly file: number | string;
  readonly at: number;
}

export type SoundSource =
  /** One window of an audio or video file from `start` (default 0). `key` names its content when the path is a temporary copy. */
  | { readonly kind: 'file'; readonly file: string; readonly start?: number; readonly key?: string }
  /** 16-kHz mono samples (the microphone); the first window of them. `key` names their content. */
  | { readonly kind: 'samples'; readonly samples: Float32Array; readonly key: string; readonly file?: undefined }
  | MomentRef;

export type PictureSource = { readonly kind: 'file'; readonly file: string; readonly key?: string } | MomentRef;

export interface SoundMeta {
  readonly file?: string;
  readonly start: number;
  /** Seconds of real audio in the window. */
  readonly seconds: number;
}

export interface PictureMeta {
  readonly file?: string;
  readonly at?: number;
  readonly width: number;
  readonly height: number;
}

export type EncodedSound = EncodedItem<SoundMeta>;
export type EncodedPicture = EncodedItem<PictureMeta>;

/** What sources are resolved and encoded with. A library is needed for moments only. */
export interface SourceContext {
  readonly model: InstalledModel;
  readonly encoder: Encoder;
  readonly library?: Library;
}

export interface ResolvedMoment {
  readonly fileId: number;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly hasAudio: boolean;
  readonly hasVisual: boolean;
}

/** The indexed window a moment points at; a FoleyError ('not_found') naming the file otherwise. */
export function resolveMoment(library: Library | undefined, ref: MomentRef): ResolvedMoment {
  if (library === undefined) throw new FoleyError('a moment of an indexed file needs the library (--data-dir)');
  const f = typeof ref.file === 'number' ? getFile(library.db, ref.file) : (getFileByPath(library.db, path.resolve(ref.file)) ?? getFileByPath(library.db, ref.file));
  if (f === undefined) throw new FoleyError('not in the library (index it first)', { file: String(ref.file), code: 'not_found' });
  const id = windowAt(library.db, f.id, ref.at);
  const w = id === undefined ? undefined : getWindow(library.db, id);
  if (w === undefined) throw new FoleyError('has no indexed windows', { file: f.path, code: 'not_found' });
  return { fileId: f.id, path: f.path, start: w.startS, end: w.endS, hasAudio: w.hasAudio, hasVisual: w.hasVisual };
}

function modelKey(model: InstalledModel): string {
  return `${model.dir}|${model.manifest.source.sha256}|${model.manifest.precision}`;
}

/** A file's identity for caching: path, size and modification time (an edited file is a new key). */
async function fileKey(file: string): Promise<string> {
  const abs = path.resolve(file);
  const st = await stat(abs).catch((cause: unknown) => {
    throw new FoleyError('cannot read the file', { file: abs, cause });
  });
  return `${abs}|${st.size}|${st.mtimeMs}`;
}

/** One item through the encoder, with its tokens. */
async function encodeOne<M>(ctx: SourceContext, stream: Modality, input: Float32Array, meta: M): Promise<EncodedItem<M>> {
  const out = await ctx.encoder.encode(stream, input, ['tokens']);
  const grid = ctx.encoder.family.tokenGrid(stream, ctx.encoder.config);
  if (out.tokens === undefined || out.tokens.length !== grid[0] * grid[1] * out.embeddings.length) {
    throw new FoleyError(`the ${stream} encoder's tokens do not form its ${grid[0]}×${grid[1]} grid`, { file: ctx.model.dir, code: 'failed' });
  }
  return { embedding: out.embeddings, tokens: out.tokens, grid, meta };
}

function soundKey(ctx: SourceContext, source: SoundSource, moment: ResolvedMoment | undefined): Promise<string> | string {
  const m = modelKey(ctx.model);
  if (source.kind === 'samples') return `${m}|sound|samples|${source.key}`;
  if (moment !== undefined) return fileKey(moment.path).then((k) => `${m}|sound|${k}|${moment.start}|${moment.end}`);
  const file = source as { file: string; start?: number; key?: string };
  if (file.key !== undefined) return `${m}|sound|content|${file.key}|${file.start ?? 0}`;
  return fileKey(file.file).then((k) => `${m}|sound|${k}|${file.start ?? 0}`);
}

/** A sound source's samples (its first window) and what they are. */
export async function loadSound(ctx: Pick<SourceContext, 'library'>, source: SoundSource, resolved?: ResolvedMoment): Promise<{ samples: Float32Array; meta: SoundMeta }> {
  const moment = resolved ?? (source.kind === 'moment' ? resolveMoment(ctx.library, source) : undefined);
  let samples: Float32Array;
  let meta: SoundMeta;
  if (source.kind === 'samples') {
    samples = source.samples.subarray(0, DEFAULT_WINDOW_SECONDS * SAMPLE_RATE);
    meta = { start: 0, seconds: samples.length / SAMPLE_RATE };
  } else {
    const file = moment?.path ?? (source as { file: string }).file;
    const start = moment?.start ?? (source as { start?: number }).start ?? 0;
    const seconds = moment !== undefined ? moment.end - moment.start : DEFAULT_WINDOW_SECONDS;
    samples = await decodeWindowSamples(file, { start, seconds });
    // A temporary copy of an upload has no name worth reporting.
    meta = { ...(source.kind === 'file' && source.key !== undefined ? {} : { file: path.resolve(file) }), start, seconds: samples.length / SAMPLE_RATE };
  }
  if (samples.length < MIN_AUDIO_SAMPLES) throw new FoleyError('the sound is too short (less than one 25-ms frame)', meta.file !== undefined ? { file: meta.file } : {});
  return { samples, meta };
}

/** The sound's embedding and tokens, from the cache or the encoder. */
export async function encodeSound(ctx: SourceContext, source: SoundSource): Promise<EncodedSound> {
  const moment = source.kind === 'moment' ? resolveMoment(ctx.library, source) : undefined;
  if (moment !== undefined && !moment.hasAudio) throw new FoleyError(`the window at ${moment.start} s has no sound`, { file: moment.path, code: 'not_found' });
  return tokenCache.get(await soundKey(ctx, source, moment), async () => {
    const { samples, meta } = await loadSound(ctx, source, moment);
    return encodeOne(ctx, 'audio', ctx.encoder.audioInput(samples), meta);
  });
}

/** The frame a moment's visual embedding was made from: its window's middle (as indexing and thumbnails take it). */
async function momentFrame(moment: ResolvedMoment): Promise<{ frame: RgbFrame; at: number }> {
  const middle = windowMiddle(moment.start, moment.end - moment.start);
  try {
    return { frame: await decodeFrameRgb(moment.path, middle, { timeoutMs: 30_000 }), at: middle };
  } catch {
    return { frame: await decodeFrameRgb(moment.path, moment.start, { timeoutMs: 30_000 }), at: moment.start };
  }
}

/** A picture source's frame at full resolution and what it is. */
export async function loadPicture(ctx: Pick<SourceContext, 'library'>, source: PictureSource, resolved?: ResolvedMoment): Promise<{ frame: RgbFrame; meta: PictureMeta }> {
  const moment = resolved ?? (source.kind === 'moment' ? resolveMoment(ctx.library, source) : undefined);
  if (moment !== undefined) {
    const { frame, at } = await momentFrame(moment);
    return { frame, meta: { file: moment.path, at, width: frame.width, height: frame.height } };
  }
  const file = source as { file: string; key?: string };
  const frame = await decodeImageRgb(file.file);
  return { frame, meta: { ...(file.key !== undefined ? {} : { file: path.resolve(file.file) }), width: frame.width, height: frame.height } };
}

/** The picture's embedding and tokens, from the cache or the encoder. */
export async function encodePicture(ctx: SourceContext, source: PictureSource): Promise<EncodedPicture> {
  const moment = source.kind === 'moment' ? resolveMoment(ctx.library, source) : undefined;
  if (moment !== undefined && !moment.hasVisual) throw new FoleyError(`the window at ${moment.start} s has no picture`, { file: moment.path, code: 'not_found' });
  const m = modelKey(ctx.model);
  const key =
    moment !== undefined
      ? `${m}|picture|${await fileKey(moment.path)}|${moment.start}|${moment.end}`
      : source.kind === 'file' && source.key !== undefined
        ? `${m}|picture|content|${source.key}`
        : `${m}|picture|${await fileKey((source as { file: string }).file)}`;
  return tokenCache.get(key, async () => {
    const { frame, meta } = await loadPicture(ctx, source, moment);
    return encodeOne(ctx, 'visual', ctx.encoder.imageInput(frame), meta);
  });
}
