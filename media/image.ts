// Full-resolution RGB24 pictures from ffmpeg: a still image, or one video frame at a timestamp.
// Output goes through ffmpeg's PPM encoder rather than bare rawvideo: the same RGB24 bytes, but the
// header carries the final width/height (after autorotation), so no ffprobe round trip is needed.
//
// Orientation: ffmpeg's default -autorotate handles both cases. Video: the display matrix / rotate tag.
// JPEG: ffmpeg 5.1's mjpeg decoder exports EXIF Orientation as a display matrix, and all seven
// non-trivial values (flips included) came out identical to PIL's ImageOps.exif_transpose when checked
// here, so no EXIF parsing of our own is needed.
import { MediaError } from '../base/errors.ts';
import { cleanLine, DamagedMediaError, isDecoderDamageLine } from './damage.ts';
import { findTool } from './ffmpeg-binaries.ts';
import { assertReadableFile } from './probe.ts';
import { runTool } from './spawn.ts';

export interface RgbFrame {
  readonly width: number;
  readonly height: number;
  /** RGB24, row-major, width * height * 3 bytes. */
  readonly data: Uint8Array;
}

export interface DecodeImageOptions {
  /** Default 60 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Fail with a DamagedMediaError when the decoder reports broken data (at `-v warning`): indexing
   * stores no picture made from concealed or half-decoded frames.
   */
  readonly rejectDamaged?: boolean;
}

/** `-v` for a picture decode, and the check that turns decoder damage lines into a DamagedMediaError. */
export function damageCheck(file: string, what: string, options: DecodeImageOptions): { level: string[]; check: (stderr: string) => void; failed: (err: unknown) => unknown } {
  if (options.rejectDamaged !== true) return { level: ['-v', 'error'], check: () => undefined, failed: (err) => err };
  const damaged = (line: string): DamagedMediaError => new DamagedMediaError(file, `corrupt picture data ${what} (${cleanLine(line, file)})`);
  return {
    level: ['-v', 'warning'],
    check: (stderr) => {
      const lines = stderr.split(/\r?\n/).filter(isDecoderDamageLine);
      // The codec's own words ("[h264] …") say more than ffmpeg's summary ("Error while decoding stream …").
      const bad = lines.find((l) => l.trim().startsWith('[')) ?? lines[0];
      if (bad !== undefined) throw damaged(bad);
    },
    // A decode that gave up on broken data (ffmpeg exits non-zero: "Error while decoding stream …").
    failed: (err) => {
      if (!(err instanceof MediaError) || err instanceof DamagedMediaError) return err;
      const said = err.message.replace(`${file}: `, '').replace(/^decoding [^:]*failed: /, '');
      return isDecoderDamageLine(said) ? damaged(said) : err;
    },
  };
}

/**
 * Decoder threads for single-frame video decodes (input option, before `-i`). One: a frame decode
 * runs beside inference on the same cores, and for one frame after a seek ffmpeg's frame threading
 * only adds start-up and hand-off work. Measured (the ffmpeg command below by hand under /usr/bin/time,
 * and wall time in bench/decode-threads.bench.ts; 60-s 1080p25 h264, GOP 2 s, 6 seeks, this 2-core
 * machine, two runs): ffmpeg's default (auto) 402–421 ms wall and 538–543 ms CPU per frame,
 * `-threads 1` 348–372 ms and 470–492 ms — 0.87× wall, 0.88× CPU, byte-identical frames.
 * FOLEY_FRAME_THREADS=auto restores ffmpeg's default (the bench's "before").
 */
export function frameDecodeThreads(): string[] {
  const v = process.env.FOLEY_FRAME_THREADS;
  if (v === 'auto') return [];
  return ['-threads', v !== undefined && /^[1-9][0-9]?$/.test(v) ? v : '1'];
}

const PPM_OUTPUT = ['-an', '-sn', '-dn', '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1'];

/** Parse a binary P6 PPM (maxval 255) as ffmpeg writes it. */
export function parsePpm(file: string, buf: Buffer): RgbFrame {
  return parsePpmAt(file, buf, 0).frame;
}

/** Every picture of a stream of PPMs back to back (ffmpeg's image2pipe with several frames). */
export function parsePpmStream(file: string, buf: Buffer): RgbFrame[] {
  const out: RgbFrame[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const { frame, next } = parsePpmAt(file, buf, pos);
    out.push(frame);
    pos = next;
  }
  return out;
}

function parsePpmAt(file: string, buf: Buffer, from: number): { frame: RgbFrame; next: number } {
  // Header: "P6" ws width ws height ws maxval, then exactly one whitespace byte.
  let pos = from;
  const token = (): string => {
    while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return buf.toString('latin1', start, pos);
  };
  const magic = token();
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  pos++;
  if (magic !== 'P6' || !(width > 0) || !(height > 0) || maxval !== 255) {
    throw new MediaError(file, 'ffmpeg produced an unexpected picture format');
  }
  const size = width * height * 3;
  if (buf.length - pos < size) throw new MediaError(file, `picture data cut short (${buf.length - pos} of ${size} bytes)`);
  return { frame: { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + pos, size).slice() }, next: pos + size };
}

/** Decode a still image (or the first frame of a video) at full resolution, upright. */
export async function decodeImageRgb(file: string, options: DecodeImageOptions = {}): Promise<RgbFrame> {
  await assertReadableFile(file);
  const { stdout } = await runTool(findTool('ffmpeg'), ['-nostdin', '-hide_banner', '-v', 'error', '-i', file, ...PPM_OUTPUT], {
    file,
    what: 'decoding image',
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
  });
  if (stdout.length === 0) throw new MediaError(file, 'no picture could be decoded');
  return parsePpm(file, stdout);
}

/**
 * The video frame at `seconds`, full resolution and upright (ffmpeg autorotation). Seeks on the input
 * first (fast, frame-accurate for indexed files); if that yields nothing — some MKVs have no seek
 * index — decodes from the start and seeks on the output instead.
 */
export async function decodeFrameRgb(file: string, seconds: number, options: DecodeImageOptions = {}): Promise<RgbFrame> {
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new MediaError(file, `invalid frame time ${seconds} s`);
  await assertReadableFile(file);
  const ffmpeg = findTool('ffmpeg');
  const ts = seconds.toFixed(6);
  const damage = damageCheck(file, `at ${Number(seconds.toFixed(3))} s`, options);
  const base = ['-nostdin', '-hide_banner', ...damage.level];
  const run = async (args: string[]): Promise<{ stdout: Buffer }> => {
    const r = await runTool(ffmpeg, args, { file, what: `decoding the frame at ${ts} s`, timeoutMs: options.timeoutMs ?? 60_000, signal: options.signal }).catch((err: unknown) => {
      throw damage.failed(err);
    });
    if (r.stdout.length > 0) damage.check(r.stderr);
    return r;
  };
  let { stdout } = await run([...base, ...frameDecodeThreads(), '-ss', ts, '-i', file, '-map', '0:V:0?', ...PPM_OUTPUT]);
  if (stdout.length === 0) ({ stdout } = await run([...base, ...frameDecodeThreads(), '-i', file, '-ss', ts, '-map', '0:V:0?', ...PPM_OUTPUT]));
  if (stdout.length === 0) throw new MediaError(file, `no video frame at ${ts} s (past the end, or no video stream)`);
  return parsePpm(file, stdout);
}
