// Damaged media made by ffmpeg and byte surgery: cut files (index at the front and at the end), bit
// flips and zeroed blocks mid-file, damage confined to one stream's packets (found with ffprobe), and
// short clips. Tiny (6 s, 96×64, 10 fps with a keyframe every second, 44.1 kHz AAC), so indexing the
// lot with the tiny model takes seconds. Each case says what indexing must make of it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ffmpeg } from './helpers.ts';

export interface DamagedCase {
  readonly name: string;
  readonly file: string;
  /** indexed: whole and clean; damaged: indexed in part; failed: nothing intact. */
  readonly state: 'indexed' | 'damaged' | 'failed';
  /** The reason shown (damaged, failed) must match. */
  readonly reason?: RegExp;
  /** Damaged: checks on the status entry's spans (seconds). */
  readonly check?: (d: { indexed: Spans; sound: Spans; pictures: Spans }) => string | undefined;
}

export type Spans = ReadonlyArray<readonly [number, number]>;

const SECONDS = 6;
const end = (s: Spans): number => s.at(-1)?.[1] ?? 0;
const covers = (s: Spans, a: number, b: number): boolean => s.some(([x, y]) => x <= a + 1e-6 && y >= b - 1e-6);

async function clip(file: string, seconds: number, faststart: boolean): Promise<void> {
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=96x64:rate=10:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k',
    ...(faststart ? ['-movflags', '+faststart'] : []), file,
  ]);
}

function cut(src: string, dst: string, fraction: number): void {
  const bytes = readFileSync(src);
  writeFileSync(dst, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** Bytes [from, from + n) changed: XOR 0x5A every 7th byte (bit flips) or all zero. */
function spoil(src: string, dst: string, ranges: ReadonlyArray<readonly [number, number]>, how: 'flip' | 'zero'): void {
  const bytes = Buffer.from(readFileSync(src));
  for (const [from, n] of ranges) {
    for (let i = from; i < Math.min(bytes.length, from + n); i++) {
      if (how === 'zero') bytes[i] = 0;
      else if ((i - from) % 7 === 0) bytes[i] = bytes[i]! ^ 0x5a;
    }
  }
  writeFileSync(dst, bytes);
}

/** Byte ranges of one stream's packets between t0 and t1 s, the first 8 bytes of each left alone (sizes, headers). */
function packets(file: string, stream: 'a' | 'v', t0: number, t1: number): Array<[number, number]> {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', `${stream}:0`, '-show_entries', 'packet=pts_time,pos,size', '-of', 'json', file]);
  const list = (JSON.parse(out.toString()) as { packets: Array<{ pts_time: string; pos: string; size: string }> }).packets;
  return list.filter((p) => Number(p.pts_time) >= t0 && Number(p.pts_time) < t1).map((p) => [Number(p.pos) + 8, Number(p.size) - 8]);
}

export async function makeDamagedCorpus(dir: string): Promise<DamagedCase[]> {
  const front = path.join(dir, 'src-front.mp4');
  const back = path.join(dir, 'src-back.mp4');
  await clip(front, SECONDS, true);
  await clip(back, SECONDS, false);
  const at = (name: string): string => path.join(dir, 'library', name);
  const cases: DamagedCase[] = [];
  const cutShort = /the file is cut short: sound ends at (\d+\.\d) s of 6\.0 s/;

  for (const p of [10, 40, 90]) {
    cut(front, at(`cut${p}-moov-front.mp4`), p / 100);
    cut(back, at(`cut${p}-moov-end.mp4`), p / 100);
    cases.push({ name: `cut${p}-moov-end.mp4`, file: at(`cut${p}-moov-end.mp4`), state: 'failed', reason: /nothing can be read: the file is cut short or was never finished/ });
  }
  // 10 %: a few tenths of a second survive, less than the 1 s a window needs.
  cases.push({ name: 'cut10-moov-front.mp4', file: at('cut10-moov-front.mp4'), state: 'failed', reason: /nothing could be indexed: the file is cut short: sound ends at 0\.\d s of 6\.0 s/ });
  cases.push({
    name: 'cut40-moov-front.mp4', file: at('cut40-moov-front.mp4'), state: 'damaged', reason: cutShort,
    check: (d) => (covers(d.indexed, 0, 2) && end(d.indexed) < 3.6 ? undefined : 'expected the first 2-s window whole and nothing past 3.6 s'),
  });
  cases.push({
    name: 'cut90-moov-front.mp4', file: at('cut90-moov-front.mp4'), state: 'damaged', reason: cutShort,
    // The window across the cut is kept up to it (it holds more than a second).
    check: (d) => (covers(d.sound, 0, 4) && end(d.sound) > 4.9 && end(d.sound) < 5.9 ? undefined : 'expected sound 0–4 s and the last window shortened to the cut'),
  });

  const size = readFileSync(front).length;
  spoil(front, at('bitflips-mid.mp4'), [[Math.floor(size * 0.5), 6000]], 'flip');
  spoil(front, at('zeroed-mid.mp4'), [[Math.floor(size * 0.5), 6000]], 'zero');
  const middleDamage = /corrupt (?:audio|video|picture) data at \d/;
  const someLost = (d: { indexed: Spans; sound: Spans; pictures: Spans }): string | undefined =>
    covers(d.sound, 0, SECONDS) && covers(d.pictures, 0, SECONDS) ? 'expected the damaged stretch to be left out' : covers(d.indexed, 0, 1) ? undefined : 'expected the start indexed';
  cases.push({ name: 'bitflips-mid.mp4', file: at('bitflips-mid.mp4'), state: 'damaged', reason: middleDamage, check: someLost });
  cases.push({ name: 'zeroed-mid.mp4', file: at('zeroed-mid.mp4'), state: 'damaged', reason: middleDamage, check: someLost });

  spoil(front, at('audio-damage.mp4'), packets(front, 'a', 2.5, 3.5), 'flip');
  cases.push({
    name: 'audio-damage.mp4', file: at('audio-damage.mp4'), state: 'damaged', reason: /^corrupt audio data at [23]\.\d s \(\[aac\]/,
    check: (d) => (covers(d.pictures, 0, SECONDS) && !covers(d.sound, 2.5, 3.5) && covers(d.sound, 0, 1) ? undefined : 'expected every picture, and sound except around 3 s'),
  });
  spoil(front, at('video-damage.mp4'), packets(front, 'v', 2.5, 3.5), 'zero');
  cases.push({
    name: 'video-damage.mp4', file: at('video-damage.mp4'), state: 'damaged', reason: /^corrupt (?:video|picture) data at [23](?:\.\d)? s/,
    check: (d) => (covers(d.sound, 0, SECONDS) && !covers(d.pictures, 2.5, 3.5) && covers(d.pictures, 0, 1) ? undefined : 'expected all sound, and pictures except around 3 s'),
  });

  // One stream only in the file: sound alone (AAC in M4A) and pictures alone, each cut at 50 %.
  const m4a = path.join(dir, 'src-audio.m4a');
  const silent = path.join(dir, 'src-video.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${SECONDS}`, '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', m4a]);
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=96x64:rate=10:duration=${SECONDS}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', silent]);
  cut(m4a, at('audio-only-cut50.m4a'), 0.5);
  cut(silent, at('video-only-cut50.mp4'), 0.5);
  cases.push({
    name: 'audio-only-cut50.m4a', file: at('audio-only-cut50.m4a'), state: 'damaged', reason: cutShort,
    check: (d) => (d.pictures.length === 0 && covers(d.sound, 0, 2) && end(d.sound) < 4 ? undefined : 'expected sound up to the cut, no pictures'),
  });
  cases.push({
    name: 'video-only-cut50.mp4', file: at('video-only-cut50.mp4'), state: 'damaged', reason: /no picture at [35]\.0 s of 6\.0 s: the video data ends early/,
    check: (d) => (d.sound.length === 0 && covers(d.pictures, 0, 2) && end(d.pictures) <= 4 ? undefined : 'expected pictures before the cut only'),
  });

  // Clean controls: a whole clip and a short one (0.5 s: under a window's minimum, still indexed whole).
  await clip(at('whole.mp4'), SECONDS, true);
  await clip(at('short.mp4'), 0.5, true);
  cases.push({ name: 'whole.mp4', file: at('whole.mp4'), state: 'indexed' });
  cases.push({ name: 'short.mp4', file: at('short.mp4'), state: 'indexed' });
  return cases;
}
