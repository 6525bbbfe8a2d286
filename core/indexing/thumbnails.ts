// Thumbnails of moments: made at index time from the frame each window already decodes (so they cost
// a resize and a PNG encode, no extra ffmpeg), cached in <data-dir>/thumbs/<file fingerprint>/<start
// ms>.png. Keyed by content fingerprint, not path, so a moved or renamed file keeps its thumbnails.
// The index run writes them itself (writeThumbnail); a missing one (indexed before thumbnails existed,
// or with thumbnails turned off) is extracted on demand.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Database } from '../../db/connection.ts';
import { getFile } from '../../db/files.ts';
import { windowAt, windowStartingAt } from '../../db/windows.ts';
import { decodeFrameRgb } from '../../media/image.ts';
import { decodeFramesRgb } from '../../media/frames.ts';
import type { RgbFrame } from '../../media/image.ts';
import { resizeRgb } from '../../native-models/preprocess/resample.ts';
import type { MediaWindow } from '../../base/window-plan.ts';
import { CLIP_FRAME_SECONDS } from '../../base/window-plan.ts';
import { storageProblem } from '../../base/storage-errors.ts';

export const THUMB_WIDTH = 320;

export function thumbsDir(dataDir: string): string {
  return path.join(dataDir, 'thumbs');
}

/** The folder of one file's thumbnails: its fingerprint, or (files without one) its database id. */
export function thumbKey(file: { readonly id: number; readonly fingerprint: string | null }): string {
  return file.fingerprint !== null && /^[0-9a-f]{16,128}$/.test(file.fingerprint) ? file.fingerprint : `id-${file.id}`;
}

export function thumbPath(dataDir: string, file: { readonly id: number; readonly fingerprint: string | null }, startS: number): string {
  return path.join(thumbsDir(dataDir), thumbKey(file), `${Math.round(startS * 1000)}.png`);
}

/** Shrinks to `width` pixels wide (never enlarges) with the PIL-compatible antialiased resampler. */
export function thumbnailOf(frame: RgbFrame, width = THUMB_WIDTH): RgbFrame {
  if (frame.width <= width) return frame;
  const height = Math.max(1, Math.round((frame.height * width) / frame.width));
  return resizeRgb(frame, width, height, 'bilinear');
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** RGB24 → PNG (8-bit truecolour, filter "none" per row, zlib-deflated). */
export function encodePng(img: RgbFrame): Buffer {
  const { width, height, data } = img;
  if (data.length !== width * height * 3) throw new RangeError(`RGB data holds ${data.length} bytes, expected ${width * height * 3}`);
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes atomically (temp file + rename), so a reader never sees half a PNG. */
async function writeAtomic(file: string, bytes: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

export async function saveThumbnail(dataDir: string, file: { readonly id: number; readonly fingerprint: string | null }, win: MediaWindow, frame: RgbFrame): Promise<string> {
  const out = thumbPath(dataDir, file, win.start);
  if (!existsSync(out)) await writeAtomic(out, encodePng(thumbnailOf(frame)));
  return out;
}

export type ThumbnailWriter = (file: { readonly id: number; readonly path: string; readonly fingerprint: string | null }, win: MediaWindow, frame: RgbFrame) => Promise<void>;

/**
 * Writes the thumbnails of one index run. Thumbnails are a convenience, so a failure is a notice, not a
 * failed file, and it is said once in words through `notice` (never as a process warning, whose stack
 * hint says nothing to a user): a full, over-quota or read-only disk stops the run's thumbnails at the
 * first failure (every later write would fail the same way); any other problem is said once per kind.
 */
export function thumbnailWriter(dataDir: string, notice: (message: string) => void = (m) => console.error(m)): ThumbnailWriter {
  let stopped = false;
  const said = new Set<string>();
  return async (file, win, frame) => {
    if (stopped) return;
    try {
      await saveThumbnail(dataDir, file, win, frame);
    } catch (e) {
      const problem = storageProblem(e);
      if (problem?.stopsWriting === true) {
        stopped = true;
        notice(`Thumbnails are not being written for the rest of this run: ${problem.words} (${thumbsDir(dataDir)}).`);
        return;
      }
      const kind = problem?.code ?? (e instanceof Error ? e.message : String(e));
      if (said.has(kind)) return;
      said.add(kind);
      notice(`Thumbnail for ${file.path} at ${win.start} s not written: ${problem?.words ?? kind}.`);
    }
  };
}

/**
 * The thumbnail of the window of `fileId` starting at `startMs`: the cached PNG, else one extracted now
 * with ffmpeg (the window's middle frame, as indexing would have) and cached. Undefined when the file
 * or window is unknown.
 */
export async function ensureThumbnail(db: Database, dataDir: string, fileId: number, startMs: number): Promise<string | undefined> {
  const file = getFile(db, fileId);
  if (file === undefined) return undefined;
  const win = windowStartingAt(db, fileId, startMs);
  if (win === undefined) return undefined;
  const out = thumbPath(dataDir, file, win.startS);
  if (existsSync(out)) return out;
  const middle = (win.startS + win.endS) / 2;
  const frame = await decodeFrameRgb(file.path, middle, { timeoutMs: 30_000 }).catch(() => decodeFrameRgb(file.path, win.startS, { timeoutMs: 30_000 }));
  await writeAtomic(out, encodePng(thumbnailOf(frame)));
  return out;
}

/**
 * A thumbnail of the video frame at `atMs` of an indexed file (a frame-level model's hit points there),
 * cached next to the window thumbnails; past the last picture, the previous clip frame's (as
 * indexing took it). Undefined when the file is unknown or no indexed window holds that time.
 */
export async function ensureFrameThumbnail(db: Database, dataDir: string, fileId: number, atMs: number): Promise<string | undefined> {
  const file = getFile(db, fileId);
  if (file === undefined || windowAt(db, fileId, atMs / 1000) === undefined) return undefined;
  const out = path.join(thumbsDir(dataDir), thumbKey(file), `frame-${Math.round(atMs)}.png`);
  if (existsSync(out)) return out;
  const at = atMs / 1000;
  const frame = await decodeFrameRgb(file.path, at, { timeoutMs: 30_000 }).catch(async (e: unknown) => {
    // Past the last picture: indexing reused the previous clip frame's (0.64 s earlier), so does this.
    if (at < CLIP_FRAME_SECONDS) throw e;
    const [, previous] = await decodeFramesRgb(file.path, at - CLIP_FRAME_SECONDS, [at - CLIP_FRAME_SECONDS, at], { timeoutMs: 30_000, reusePrevious: true, strategy: 'seek-per-frame' });
    return previous!;
  });
  await writeAtomic(out, encodePng(thumbnailOf(frame)));
  return out;
}
