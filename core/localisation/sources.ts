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

/** A sound once moments are resolved: samples in hand, or a span of a file to decode. */
type SoundSpan =
  | { readonly kind: 'samples'; readonly samples: Float32Array; readonly key: string }
  | { readonly kind: 'span'; readonly file: string; readonly start: number; readonly seconds: number; readonly contentKey?: string };

/** A picture once moments are resolved: an image (or a video's first frame), or a moment's frame. */
type PictureAt = { readonly file: string; readonly contentKey?: string; readonly moment?: ResolvedMoment };

function soundSpan(ctx: Pick<SourceContext, 'library'>, source: SoundSource): SoundSpan {
  if (source.kind === 'samples') return { kind: 'samples', samples: source.samples, key: source.key };
  if (source.kind === 'file') return { kind: 'span', file: source.file, start: source.start ?? 0, seconds: DEFAULT_WINDOW_SECONDS, ...(source.key !== undefined ? { contentKey: source.key } : {}) };
  const moment = resolveMoment(ctx.library, source);
  if (!moment.hasAudio) throw new FoleyError(`the window at ${moment.start} s has no sound`, { file: moment.path, code: 'not_found' });
  return { kind: 'span', file: moment.path, start: moment.start, seconds: moment.end - moment.start };
}

function pictureAt(ctx: Pick<SourceContext, 'library'>, source: PictureSource): PictureAt {
  if (source.kind === 'file') return { file: source.file, ...(source.key !== undefined ? { contentKey: source.key } : {}) };
  const moment = resolveMoment(ctx.library, source);
  if (!moment.hasVisual) throw new FoleyError(`the window at ${moment.start} s has no picture`, { file: moment.path, code: 'not_found' });
  return { file: moment.path, moment };
}

/** Cache key of a file's content: a content hash when the path is a temporary copy, else path, size and mtime. */
async function contentOf(file: string, contentKey: string | undefined): Promise<string> {
  return contentKey !== undefined ? `content|${contentKey}` : fileKey(file);
}

/** A sound's samples (at most one window) and what they are. */
async function loadSpan(span: SoundSpan): Promise<{ samples: Float32Array; meta: SoundMeta }> {
  if (span.kind === 'samples') {
    const samples = span.samples.subarray(0, DEFAULT_WINDOW_SECONDS * SAMPLE_RATE);
    if (samples.length < MIN_AUDIO_SAMPLES) throw new FoleyError('the sound is too short (less than one 25-ms frame)');
    return { samples, meta: { start: 0, seconds: samples.length / SAMPLE_RATE } };
  }
  const samples = await decodeWindowSamples(span.file, { start: span.start, seconds: span.seconds });
  // A temporary copy of an upload has no name worth reporting.
  const file = span.contentKey !== undefined ? {} : { file: path.resolve(span.file) };
  if (samples.length < MIN_AUDIO_SAMPLES) throw new FoleyError(`only ${samples.length} samples of sound at ${span.start} s: less than one 25-ms frame`, { file: span.file });
  return { samples, meta: { ...file, start: span.start, seconds: samples.length / SAMPLE_RATE } };
}

/** A sound source's samples (its first window) and what they are. */
export function loadSound(ctx: Pick<SourceContext, 'library'>, source: SoundSource): Promise<{ samples: Float32Array; meta: SoundMeta }> {
  return loadSpan(soundSpan(ctx, source));
}

/** The sound's embedding and tokens, from the cache or the encoder. */
export async function encodeSound(ctx: SourceContext, source: SoundSource): Promise<EncodedSound> {
  const span = soundSpan(ctx, source);
  const where = span.kind === 'samples' ? `samples|${span.key}` : `${await contentOf(span.file, span.contentKey)}|${span.start}|${span.seconds}`;
  return tokenCache.get(`${modelKey(ctx.model)}|sound|${where}`, async () => {
    const { samples, meta } = await loadSpan(span);
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

async function loadAt(at: PictureAt): Promise<{ frame: RgbFrame; meta: PictureMeta }> {
  if (at.moment !== undefined) {
    const { frame, at: seconds } = await momentFrame(at.moment);
    return { frame, meta: { file: at.moment.path, at: seconds, width: frame.width, height: frame.height } };
  }
  const frame = await decodeImageRgb(at.file);
  return { frame, meta: { ...(at.contentKey !== undefined ? {} : { file: path.resolve(at.file) }), width: frame.width, height: frame.height } };
}

/** A picture source's frame at full resolution and what it is. */
export function loadPicture(ctx: Pick<SourceContext, 'library'>, source: PictureSource): Promise<{ frame: RgbFrame; meta: PictureMeta }> {
  return loadAt(pictureAt(ctx, source));
}

/** The picture's embedding and tokens, from the cache or the encoder. */
export async function encodePicture(ctx: SourceContext, source: PictureSource): Promise<EncodedPicture> {
  const at = pictureAt(ctx, source);
  const where = `${await contentOf(at.file, at.contentKey)}${at.moment !== undefined ? `|${at.moment.start}|${at.moment.end}` : ''}`;
  return tokenCache.get(`${modelKey(ctx.model)}|picture|${where}`, async () => {
    const { frame, meta } = await loadAt(at);
    return encodeOne(ctx, 'visual', ctx.encoder.imageInput(frame), meta);
  });
}
