import { MediaError } from '../base/errors.ts';

// Damaged media, judged from what ffmpeg says and how much decodes. ffmpeg exits 0 on most damage: a
// truncated MP4 just ends early, corrupt packets are dropped or concealed with a line on stderr, and
// many of those lines are warnings, not errors (a phone video cut to 1.2 MB of 2.9 MB printed nothing
// at `-v error`). So the decodes whose output is indexed run at `-v warning` and read these lines.

/**
 * stderr lines that mean the data itself is broken. Checked against ffmpeg 5.1 on cut, bit-flipped
 * and zeroed MP4/AAC/h264 (tests/indexing/damaged.test.ts). Deliberately not included: reference
 * warnings h264 prints after a seek into clean open-GOP video ("mmco: unref short failure",
 * "reference picture missing during reorder", "decode_slice_header error"), and muxer timestamp
 * complaints ("non monotonically increasing dts") that clean but oddly edited files produce.
 */
export const DAMAGE_LINE =
  /partial file|invalid nal unit|error while decoding|corrupt|invalid data found|truncat|missing picture in access unit|moov atom not found|channel element \S+ is not allocated|input buffer exhausted|reserved bit set|header missing|error splitting the input|concealing \d+ dc|out of range|number of (?:scalefactor )?bands|invalid (?:block|frame|band|bitstream)|overread/i;

/** True when an ffmpeg stderr line reports broken data. */
export function isDamageLine(line: string): boolean {
  return DAMAGE_LINE.test(line);
}

/**
 * How much of a stream may be missing before the file counts as cut short: 0.1 s plus 2 % of its
 * length. Decoders legitimately end a little early or late (AAC priming and padding, a last video
 * frame's duration, container rounding), by well under that; a phone video missing a third of its
 * sound does not pass.
 */
export function truncationTolerance(seconds: number): number {
  return 0.1 + 0.02 * seconds;
}

/** Which stream an ffmpeg damage line is about, from the codec or stream it names. */
export function damageStream(line: string, streams: { readonly audio?: number; readonly video?: number }): 'audio' | 'video' | 'unknown' {
  // "stream 1, offset …: partial file", "Packet corrupt (stream = 1, …)", "Error while decoding stream #0:1".
  const m = /stream(?: = |\s#\d+:|\s)(\d+)/i.exec(line);
  if (m !== null) {
    const index = Number(m[1]);
    if (index === streams.audio) return 'audio';
    if (index === streams.video) return 'video';
  }
  if (/^\[(?:aac|mp3|mp2|opus|vorbis|flac|ac3|eac3|alac|pcm|dca|truehd|wma)/i.test(line)) return 'audio';
  // h264/hevc parsers log as "[NULL @ …]"; NAL units, macroblocks, slices and pictures are video.
  if (/^\[(?:h264|hevc|h265|mpeg4|mpeg2video|mpeg1video|vp8|vp9|av1|mjpeg|prores)|nal unit|missing picture|\bmb\b|macroblock|slice|decoded frame/i.test(line)) return 'video';
  return 'unknown';
}

/** "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d…] moov atom not found" → "[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found", path removed. */
export function cleanLine(line: string, file: string): string {
  let l = line.trim();
  if (l.startsWith(`${file}: `)) l = l.slice(file.length + 2);
  return l.replace(/^\[([^\]@]+) @ 0x[0-9a-f]+\]\s*/i, '[$1] ').replaceAll(file, 'the file');
}

/**
 * A damage line from a decoder, as opposed to the demuxer or parser: in a single-frame decode those
 * also report packets read ahead past the frame ("partial file" just before a cut), which leave the
 * frame itself intact, while a decoder line means the frames it made are concealed or broken.
 */
export function isDecoderDamageLine(line: string): boolean {
  if (!isDamageLine(line)) return false;
  return !/partial file|packet corrupt|corrupt input packet|^\[(?:NULL|mov|matroska|avi|mpegts|ogg|wav)/i.test(line.trim());
}

/** Data the file should have is missing or broken (as opposed to a stream that simply ends). */
export class DamagedMediaError extends MediaError {
  constructor(file: string, message: string, cause?: unknown) {
    super(file, message, cause);
    this.name = 'DamagedMediaError';
  }
}
