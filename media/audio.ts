// Audio as CAV-MAE wants it (spec §1.1): 16 kHz, the FIRST channel only (not a down-mix, as the
// official `sox … remix 1` did), float32 in [-1, 1). ffmpeg decodes and resamples; we only frame it.
import { MediaError } from '../base/errors.ts';
import { findTool } from './ffmpeg-binaries.ts';
import { assertReadableFile } from './probe.ts';
import { DAMAGE_LINE } from './damage.ts';
import type { DamageReport } from './damage-log.ts';
import { packetListArgs, PacketClock } from './damage-watch.ts';
import { lastErrorLine, runTool } from './spawn.ts';

export const AUDIO_SAMPLE_RATE = 16000;

export interface DecodeAudioOptions {
  /** Seconds into the file. Seeks before the input (fast) and ffmpeg then trims to the exact sample. */
  readonly start?: number;
  /** Seconds to decode; the result has exactly round(duration·16000) samples when the media has them. */
  readonly duration?: number;
  /** Total limit. Default 120 s, or none when only idleTimeoutMs is given. */
  readonly timeoutMs?: number;
  /**
   * Stall limit for long streamed decodes: fail when ffmpeg produces nothing for this long while the
   * consumer is not busy. With it and no timeoutMs, there is no total limit (a 3-hour file indexed by
   * a slow model may take longer than any fixed guess).
   */
  readonly idleTimeoutMs?: number;
  /**
   * Return what decoded from a damaged/truncated file instead of failing. Off by default: ffmpeg exits 0
   * on a truncated MP4 and just stops early, which would silently index a cut-off clip.
   */
  readonly allowDamaged?: boolean;
  /**
   * Indexing's decode: ffmpeg runs at `-v warning` (corrupt packets are often only warnings), lists the
   * packets of the first audio and (with `video`) video streams, and hands every damage line here with
   * the time of the packet it concerns (media/damage-watch.ts). Implies allowDamaged.
   */
  readonly watch?: {
    readonly streams: { readonly audio?: number; readonly video?: number };
    readonly video: boolean;
    readonly onDamage: (r: DamageReport) => void;
  };
  /**
   * Fill gaps in the audio timestamps with silence (dropped corrupt packets), so the samples after a
   * damaged stretch stay at their true time. Clean files have no such gaps and decode byte-identically.
   */
  readonly fillGaps?: boolean;
  readonly signal?: AbortSignal;
}

function checkRange(file: string, start: number | undefined, duration: number | undefined): void {
  if (start !== undefined && !(Number.isFinite(start) && start >= 0)) throw new MediaError(file, `invalid start ${start} s`);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) {
    throw new MediaError(file, `invalid duration ${duration} s`);
  }
}

function audioArgs(file: string, options: DecodeAudioOptions): string[] {
  const { start, duration } = options;
  const args = ['-nostdin', '-hide_banner', '-v', options.watch !== undefined ? 'warning' : 'error'];
  if (start !== undefined && start > 0) args.push('-ss', start.toFixed(6));
  args.push('-i', file);
  // A little extra so resampler edge effects or rounding never leave us one sample short; we cut exactly.
  const limit = duration !== undefined ? ['-t', (duration + 0.05).toFixed(6)] : [];
  args.push(
    ...limit,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    // pan keeps channel 0 as is; -ac 1 would average the channels. min_hard_comp 0.02 s: one dropped
    // AAC frame (21–23 ms) is filled; timestamp jitter of clean files (≤ 1 ms) is left alone.
    '-af', options.fillGaps === true ? 'pan=mono|c0=c0,aresample=async=1:min_hard_comp=0.02' : 'pan=mono|c0=c0',
    '-ar', String(AUDIO_SAMPLE_RATE),
    '-f', 'f32le', 'pipe:1',
  );
  if (options.watch !== undefined) args.push(...packetListArgs(limit, options.watch.video));
  return args;
}

async function runAudio(
  file: string,
  options: DecodeAudioOptions,
  onStdout: ((chunk: Buffer) => void | Promise<void>) | undefined,
): Promise<{ stdout: Buffer; stderr: string }> {
  checkRange(file, options.start, options.duration);
  await assertReadableFile(file);
  try {
    const { watch } = options;
    const clock = watch !== undefined ? new PacketClock(file, watch.streams, watch.onDamage) : undefined;
    const result = await runTool(findTool('ffmpeg'), audioArgs(file, options), {
      file,
      what: 'decoding audio',
      timeoutMs: options.timeoutMs ?? (options.idleTimeoutMs !== undefined ? undefined : 120_000),
      idleTimeoutMs: options.idleTimeoutMs,
      onStdout,
      signal: options.signal,
      ...(clock !== undefined ? { onStderrLine: (line: string) => clock.line(line) } : {}),
    });
    clock?.end();
    if (options.allowDamaged !== true && watch === undefined && DAMAGE_LINE.test(result.stderr)) {
      throw new MediaError(file, `damaged or truncated media: ${lastErrorLine(result.stderr, file)}`);
    }
    return result;
  } catch (err) {
    // "-map 0:a:0" on a file without audio: say so plainly.
    if (err instanceof MediaError && /matches no streams|trailing '\?' to the map/i.test(err.message)) {
      throw new MediaError(file, 'has no audio stream', err);
    }
    throw err;
  }
}

/**
 * Decode `file` to 16 kHz mono (channel 0) float32. With `duration`, the result is cut to exactly
 * round(duration·16000) samples (shorter only when the media ends first). Without it, everything the
 * decoder produces is returned — for AAC that includes up to one frame of encoder padding at the end
 * (ffmpeg drops the priming samples at the start through the MP4 edit list, but not the tail).
 */
export async function decodeAudio(file: string, options: DecodeAudioOptions = {}): Promise<Float32Array> {
  const { stdout } = await runAudio(file, options, undefined);
  let n = Math.floor(stdout.byteLength / 4);
  if (options.duration !== undefined) n = Math.min(n, Math.round(options.duration * AUDIO_SAMPLE_RATE));
  // Copy out: Buffer.concat may hand back a pooled buffer at an offset that is not 4-byte aligned.
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(stdout.subarray(0, n * 4));
  return out;
}

export interface StreamAudioOptions extends DecodeAudioOptions {
  /** Samples per chunk delivered to the callback (the last one may be shorter). Default 10 s. */
  readonly chunkSamples?: number;
}

/**
 * Decode like decodeAudio but hand the samples over in fixed-size chunks, so a 3-hour file is never
 * held in memory. A promise returned by `onChunk` pauses decoding until it settles. Resolves to the
 * number of samples delivered. Each chunk is a fresh array the callback may keep.
 */
export async function streamAudio(
  file: string,
  onChunk: (samples: Float32Array, offset: number) => void | Promise<void>,
  options: StreamAudioOptions = {},
): Promise<number> {
  const chunkSamples = options.chunkSamples ?? 10 * AUDIO_SAMPLE_RATE;
  if (!Number.isInteger(chunkSamples) || chunkSamples < 1) throw new RangeError(`chunkSamples must be a positive integer`);
  const limit = options.duration !== undefined ? Math.round(options.duration * AUDIO_SAMPLE_RATE) : Infinity;
  let chunk = new Float32Array(chunkSamples);
  let bytes = new Uint8Array(chunk.buffer);
  let filledBytes = 0;
  let delivered = 0;

  const emit = async (samples: Float32Array): Promise<void> => {
    const offset = delivered;
    delivered += samples.length;
    await onChunk(samples, offset);
  };

  await runAudio(file, options, async (data) => {
    let pos = 0;
    while (pos < data.length && delivered + filledBytes / 4 < limit) {
      const room = Math.min(bytes.length - filledBytes, (limit - delivered) * 4 - filledBytes);
      const take = Math.min(room, data.length - pos);
      bytes.set(data.subarray(pos, pos + take), filledBytes);
      filledBytes += take;
      pos += take;
      if (filledBytes === bytes.length) {
        const full = chunk;
        chunk = new Float32Array(chunkSamples);
        bytes = new Uint8Array(chunk.buffer);
        filledBytes = 0;
        await emit(full);
      }
    }
  });
  const rest = Math.floor(filledBytes / 4);
  if (rest > 0 && delivered < limit) await emit(chunk.slice(0, Math.min(rest, limit - delivered)));
  return delivered;
}
