// ffprobe → the few facts the indexer needs: duration, audio streams, real video streams (cover art
// excluded) and how each video must be rotated to stand upright.
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { MediaError } from '../base/errors.ts';
import { DamagedMediaError } from './damage.ts';
import { findTool } from './ffmpeg-binaries.ts';
import { runTool } from './spawn.ts';

export interface AudioStreamInfo {
  readonly index: number;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly duration: number | undefined;
}

export interface VideoStreamInfo {
  readonly index: number;
  readonly codec: string;
  /** Coded size, before rotation. */
  readonly width: number;
  readonly height: number;
  /** Size as displayed (width/height swapped for 90°/270° rotation); what decoded frames will have. */
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly fps: number | undefined;
  /** Clockwise rotation, 0/90/180/270, that ffmpeg applies when it autorotates. */
  readonly rotation: number;
  readonly duration: number | undefined;
}

export interface MediaInfo {
  readonly file: string;
  readonly formatName: string;
  /** Container duration in seconds, when the container states one. */
  readonly duration: number | undefined;
  readonly audio: readonly AudioStreamInfo[];
  /** Moving-picture streams only. */
  readonly video: readonly VideoStreamInfo[];
  /** Cover art / thumbnails (disposition.attached_pic): a still picture, not video. */
  readonly attachedPictures: number;
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  sample_rate?: string;
  channels?: number;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string };
}

export interface ProbeOptions {
  readonly timeoutMs?: number;
}

/** Read stream facts with ffprobe. Missing, empty and non-media files are MediaErrors naming the file. */
export async function probeMedia(file: string, options: ProbeOptions = {}): Promise<MediaInfo> {
  await assertReadableFile(file);
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', '--', file];
  const { stdout } = await runTool(findTool('ffprobe'), args, {
    file,
    what: 'reading media info',
    timeoutMs: options.timeoutMs ?? 30_000,
  }).catch((err: unknown) => {
    throw explainProbeFailure(file, err);
  });
  let parsed: ProbeOutput;
  try {
    parsed = JSON.parse(stdout.toString('utf8')) as ProbeOutput;
  } catch (err) {
    throw new MediaError(file, 'ffprobe returned unreadable output', err);
  }
  return toMediaInfo(file, parsed);
}

/**
 * ffprobe's words for the two common ways a file is unreadable, said as what they mean for the user
 * (ffmpeg's own line kept in brackets for whoever searches for it).
 */
function explainProbeFailure(file: string, err: unknown): unknown {
  if (!(err instanceof MediaError)) return err;
  const said = err.message.replace(`${file}: `, '').replace(/^reading media info failed: /, '');
  // ffprobe says "moov atom not found" of anything named .mp4; an MP4 starts with its boxes ("ftyp").
  if (/moov atom not found/i.test(said) && startsLikeMp4(file)) {
    return new DamagedMediaError(file, 'nothing can be read: the file is cut short or was never finished (its index, the MP4 "moov" box, is missing; ffmpeg: moov atom not found)', err);
  }
  if (/invalid data found when processing input|moov atom not found/i.test(said)) {
    return new MediaError(file, `not a media file ffmpeg can read (ffmpeg: ${said.replace(/^\[[^\]]*\]\s*/, '')})`, err);
  }
  return err;
}

/** The first box of an MP4/MOV (ISO BMFF): a size, then "ftyp" (or, in old QuickTime files, another box type). */
function startsLikeMp4(file: string): boolean {
  try {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(12);
      readSync(fd, head, 0, 12, 0);
      return /^(?:ftyp|moov|mdat|free|wide|skip)$/.test(head.toString('latin1', 4, 8));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** A clear error for the common non-ffmpeg failures, before spending a process start on them. */
export async function assertReadableFile(file: string): Promise<void> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new MediaError(file, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof MediaError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MediaError(file, code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`, err, code === 'ENOENT' ? 'not_found' : 'bad_request');
  }
  if (size === 0) throw new MediaError(file, 'file is empty (0 bytes)');
}

export function toMediaInfo(file: string, p: ProbeOutput): MediaInfo {
  const audio: AudioStreamInfo[] = [];
  const video: VideoStreamInfo[] = [];
  let attachedPictures = 0;
  for (const s of p.streams ?? []) {
    if (s.codec_type === 'audio') {
      audio.push({
        index: s.index ?? audio.length,
        codec: s.codec_name ?? 'unknown',
        sampleRate: Number(s.sample_rate ?? 0),
        channels: s.channels ?? 0,
        duration: streamSeconds(s),
      });
    } else if (s.codec_type === 'video') {
      if (s.disposition?.attached_pic === 1) {
        attachedPictures++;
        continue;
      }
      const width = s.width ?? 0;
      const height = s.height ?? 0;
      const rotation = streamRotation(s);
      const swap = rotation === 90 || rotation === 270;
      video.push({
        index: s.index ?? video.length,
        codec: s.codec_name ?? 'unknown',
        width,
        height,
        displayWidth: swap ? height : width,
        displayHeight: swap ? width : height,
        fps: parseRate(s.avg_frame_rate) ?? parseRate(s.r_frame_rate),
        rotation,
        duration: streamSeconds(s),
      });
    }
  }
  if (audio.length === 0 && video.length === 0 && attachedPictures === 0) {
    throw new MediaError(file, 'no audio or video streams');
  }
  return {
    file,
    formatName: p.format?.format_name ?? 'unknown',
    duration: parseSeconds(p.format?.duration),
    audio,
    video,
    attachedPictures,
  };
}

/**
 * Clockwise degrees to display upright. The display matrix's `rotation` is counter-clockwise (ffmpeg's
 * av_display_rotation_get), and ffmpeg's autorotate turns the picture by its negation; the legacy
 * `rotate` tag is already clockwise.
 */
function streamRotation(s: ProbeStream): number {
  const matrix = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number');
  let deg: number | undefined;
  if (matrix?.rotation !== undefined) deg = -matrix.rotation;
  else if (s.tags?.['rotate'] !== undefined) deg = Number(s.tags['rotate']);
  if (deg === undefined || !Number.isFinite(deg)) return 0;
  const r = ((Math.round(deg / 90) * 90) % 360 + 360) % 360;
  return r;
}

function parseRate(rate: string | undefined): number | undefined {
  if (rate === undefined) return undefined;
  const [n, d] = rate.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const den = d === undefined ? 1 : d;
  return den > 0 ? n / den : undefined;
}

/** A stream's length: ffprobe's duration, else the DURATION tag Matroska muxers write per stream ("00:01:02.500000000"). */
function streamSeconds(s: ProbeStream): number | undefined {
  const direct = parseSeconds(s.duration);
  if (direct !== undefined) return direct;
  const tag = s.tags?.['DURATION'] ?? s.tags?.['duration'];
  const m = tag !== undefined ? /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(tag) : null;
  return m === null ? undefined : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function parseSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
