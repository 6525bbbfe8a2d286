// A corpus of small media files covering the containers, codecs and oddities the indexer must handle,
// generated with ffmpeg's lavfi sources (tiny pictures, low frame rates) so the whole set takes a few
// seconds. Exported for later tests (indexing): `await generateCorpus(dir)` writes every file into
// `dir` and returns the cases with what each should give.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CorpusExpect {
  /** Nominal duration in seconds (probe must agree within `durationTolerance`). */
  readonly duration: number;
  readonly durationTolerance?: number;
  /** Window boundaries [start, end) the default plan (10 s, minLast 1 s) gives for the nominal duration. */
  readonly windows: readonly (readonly [number, number])[];
  readonly audio?: { readonly codec: string; readonly sampleRate: number; readonly channels: number; readonly tracks?: number };
  readonly video?: { readonly codec: string; readonly width: number; readonly height: number; readonly rotation?: number; readonly displayWidth?: number; readonly displayHeight?: number };
  readonly attachedPictures?: number;
  /** Frequency of the sine on the first channel of the first audio track. */
  readonly toneHz?: number;
}

export interface CorpusCase {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  /** What a good file gives; absent for broken files. */
  readonly expect?: CorpusExpect;
  /** For broken files: the MediaError message must match this. */
  readonly error?: RegExp;
  /** Broken files indexed for their intact part: how many windows survive (`error` then matches the damage). */
  readonly damagedWindows?: number;
}

const LAVFI = '-f lavfi -i';

function ffmpegAsync(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (err += t));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')} failed: ${err.trim()}`))));
  });
}

/** "-f lavfi -i X" strings and plain arguments → one argument array. */
function args(...parts: (string | string[])[]): string[] {
  return parts.flatMap((p) => (Array.isArray(p) ? p : [p]));
}
const src = (graph: string): string[] => [...LAVFI.split(' '), graph];
const video = (size: string, rate: number, d: number): string[] => src(`testsrc=size=${size}:rate=${rate}:duration=${d}`);
const sine = (hz: number, rate: number, d: number): string[] => src(`sine=frequency=${hz}:sample_rate=${rate}:duration=${d}`);
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

interface Recipe {
  readonly name: string;
  readonly description: string;
  readonly make: (out: string, dir: string) => Promise<void>;
  readonly expect?: CorpusExpect;
  readonly error?: RegExp;
  readonly damagedWindows?: number;
  /** Files derived from another recipe's output wait for it. */
  readonly after?: string;
}

function w(...bounds: [number, number][]): [number, number][] {
  return bounds;
}

const RECIPES: readonly Recipe[] = [
  {
    name: 'h264_aac.mp4',
    description: 'h264/aac mp4, 44.1 kHz mono, 25 s: two full windows and a 5-s tail',
    make: (o) => ffmpegAsync(args(video('160x120', 5, 25), sine(440, 44100, 25), H264, '-c:a', 'aac', '-shortest', o)),
    expect: {
      duration: 25, windows: w([0, 10], [10, 20], [20, 25]), toneHz: 440,
      audio: { codec: 'aac', sampleRate: 44100, channels: 1 }, video: { codec: 'h264', width: 160, height: 120 },
    },
  },
  {
    name: 'vp9_opus.webm',
    description: 'vp9/opus webm, 48 kHz stereo, 12.5 s: a full window and a 2.5-s tail',
    make: (o) =>
      ffmpegAsync(args(video('64x48', 5, 12.5), src('sine=frequency=660:sample_rate=48000:duration=12.5'), '-ac', '2',
        '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '100k', '-c:a', 'libopus', '-b:a', '32k', o)),
    expect: {
      duration: 12.5, durationTolerance: 0.15, windows: w([0, 10], [10, 12.5]), toneHz: 660,
      audio: { codec: 'opus', sampleRate: 48000, channels: 2 }, video: { codec: 'vp9', width: 64, height: 48 },
    },
  },
  {
    name: 'surround.mkv',
    description: 'h264 + 5.1 AAC in mkv, 10.4 s: one window (a 0.4-s tail is under 1 s); channel 0 is front-left',
    make: (o) =>
      ffmpegAsync(args(video('64x48', 5, 10.4),
        // FL 440 Hz loud; every other channel a different, quieter tone, so a down-mix or a wrong channel shows.
        src('aevalsrc=0.5*sin(2*PI*440*t)|0.3*sin(2*PI*1000*t)|0.3*sin(2*PI*1500*t)|0.1*sin(2*PI*60*t)|0.3*sin(2*PI*2000*t)|0.3*sin(2*PI*2500*t):c=5.1:s=48000:d=10.4'),
        H264, '-c:a', 'aac', '-b:a', '256k', o)),
    expect: {
      duration: 10.4, durationTolerance: 0.1, windows: w([0, 10]), toneHz: 440,
      audio: { codec: 'aac', sampleRate: 48000, channels: 6 }, video: { codec: 'h264', width: 64, height: 48 },
    },
  },
  {
    name: 'two_tracks.mov',
    description: 'mov with two audio tracks (440 Hz, then 1000 Hz), 3 s: the first track is used',
    make: (o) =>
      ffmpegAsync(args(video('64x48', 5, 3), sine(440, 48000, 3), sine(1000, 48000, 3), '-map', '0:v', '-map', '1:a', '-map', '2:a', H264, '-c:a', 'aac', o)),
    expect: {
      duration: 3, durationTolerance: 0.1, windows: w([0, 3]), toneHz: 440,
      audio: { codec: 'aac', sampleRate: 48000, channels: 1, tracks: 2 }, video: { codec: 'h264', width: 64, height: 48 },
    },
  },
  {
    name: 'mpeg4_8k.avi',
    description: 'avi, mpeg4 video + 8 kHz PCM, 4 s',
    make: (o) => ffmpegAsync(args(video('64x48', 5, 4), sine(300, 8000, 4), '-c:v', 'mpeg4', '-c:a', 'pcm_s16le', o)),
    expect: {
      duration: 4, durationTolerance: 0.1, windows: w([0, 4]), toneHz: 300,
      audio: { codec: 'pcm_s16le', sampleRate: 8000, channels: 1 }, video: { codec: 'mpeg4', width: 64, height: 48 },
    },
  },
  {
    name: 'cover.m4a',
    description: 'audio-only m4a (AAC 44.1 kHz) with attached cover art, 6 s: no video, frame null',
    make: (o) =>
      ffmpegAsync(args(sine(440, 44100, 6), src('color=green:s=64x64:d=1'), '-map', '0', '-map', '1', '-c:a', 'aac', '-c:v', 'mjpeg',
        '-frames:v', '1', '-disposition:v:0', 'attached_pic', o)),
    expect: {
      duration: 6, durationTolerance: 0.1, windows: w([0, 6]), toneHz: 440, attachedPictures: 1,
      audio: { codec: 'aac', sampleRate: 44100, channels: 1 },
    },
  },
  {
    name: 'stereo48k.wav',
    description: 'wav, 48 kHz stereo PCM, 2.5 s',
    make: (o) => ffmpegAsync(args(src('aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*1000*t):s=48000:d=2.5'), '-c:a', 'pcm_s16le', o)),
    expect: { duration: 2.5, windows: w([0, 2.5]), toneHz: 440, audio: { codec: 'pcm_s16le', sampleRate: 48000, channels: 2 } },
  },
  {
    name: 'odd.flac',
    description: 'flac, 22.05 kHz, 3 channels, 11 s: the 1.0-s tail is exactly minLast and kept',
    make: (o) =>
      ffmpegAsync(args(src('aevalsrc=0.5*sin(2*PI*440*t)|0.2*sin(2*PI*1000*t)|0.2*sin(2*PI*2000*t):s=22050:d=11'), '-c:a', 'flac', o)),
    expect: { duration: 11, windows: w([0, 10], [10, 11]), toneHz: 440, audio: { codec: 'flac', sampleRate: 22050, channels: 3 } },
  },
  {
    name: 'mono32k.mp3',
    description: 'mp3, 32 kHz mono, 20.5 s: the 0.5-s tail is dropped',
    make: (o) => ffmpegAsync(args(sine(440, 32000, 20.5), '-c:a', 'libmp3lame', '-b:a', '64k', o)),
    expect: { duration: 20.5, durationTolerance: 0.1, windows: w([0, 10], [10, 20]), toneHz: 440, audio: { codec: 'mp3', sampleRate: 32000, channels: 1 } },
  },
  {
    name: 'noaudio.mp4',
    description: 'video without audio, 15 s: audio null',
    make: (o) => ffmpegAsync(args(video('64x48', 5, 15), H264, o)),
    expect: { duration: 15, windows: w([0, 10], [10, 15]), video: { codec: 'h264', width: 64, height: 48 } },
  },
  {
    name: 'rotated.mp4',
    description: 'phone-style video tagged rotate=90 (160x90 coded, red left / blue right): frames come out 90x160, upright',
    make: async (o, dir) => {
      const plain = join(dir, 'rotated-src.mp4');
      await ffmpegAsync(args(src('color=red:s=80x90:r=5:d=4,pad=160:90:0:0:blue'), sine(440, 48000, 4), H264, '-c:a', 'aac', '-shortest', plain));
      await ffmpegAsync(['-i', plain, '-c', 'copy', '-metadata:s:v', 'rotate=90', o]);
    },
    expect: {
      duration: 4, durationTolerance: 0.1, windows: w([0, 4]), toneHz: 440,
      audio: { codec: 'aac', sampleRate: 48000, channels: 1 },
      // ffmpeg 5.1 stores rotate=90 as a display matrix that autorotation undoes by 270° clockwise.
      video: { codec: 'h264', width: 160, height: 90, rotation: 270, displayWidth: 90, displayHeight: 160 },
    },
  },
  {
    name: 'vfr.mp4',
    description: 'variable frame rate: 3 fps for 4 s, then 10 fps for 4 s; grey level = 30·t of each frame',
    make: (o) =>
      ffmpegAsync(args(
        '-filter_complex',
        "color=gray:s=64x48:r=3:d=4[a];color=gray:s=64x48:r=10:d=4[b];[a][b]concat=n=2:v=1:a=0,format=rgb24,geq=r='30*T':g='30*T':b='30*T'[v]",
        '-map', '[v]', '-fps_mode', 'vfr', H264, '-crf', '10', o)),
    expect: { duration: 8, durationTolerance: 0.15, windows: w([0, 8]), video: { codec: 'h264', width: 64, height: 48 } },
  },
  {
    name: 'short.mp4',
    description: 'a 0.5-s clip: shorter than minLast, still one window covering all of it',
    make: (o) => ffmpegAsync(args(video('64x48', 10, 0.5), sine(440, 48000, 0.5), H264, '-c:a', 'aac', o)),
    expect: {
      duration: 0.5, durationTolerance: 0.05, windows: w([0, 0.5]), toneHz: 440,
      audio: { codec: 'aac', sampleRate: 48000, channels: 1 }, video: { codec: 'h264', width: 64, height: 48 },
    },
  },
  {
    name: 'long30min.mkv',
    description: '30-min h264 (64x48, 1 fps) + AAC 8 kHz: 180 windows, streamed',
    make: (o) => ffmpegAsync(args(video('64x48', 1, 1800), sine(300, 8000, 1800), H264, '-c:a', 'aac', '-b:a', '16k', o)),
    expect: {
      duration: 1800, durationTolerance: 0.2, windows: Array.from({ length: 180 }, (_, k): [number, number] => [10 * k, 10 * k + 10]), toneHz: 300,
      audio: { codec: 'aac', sampleRate: 8000, channels: 1 }, video: { codec: 'h264', width: 64, height: 48 },
    },
  },
  {
    name: 'truncated.mp4',
    description: 'h264/aac mp4 (index at the front) cut at 60%: probes fine, decoding finds it cut short after about 15 s',
    after: 'h264_aac.mp4',
    make: async (o, dir) => {
      const whole = join(dir, 'truncated-src.mp4');
      await ffmpegAsync(['-i', join(dir, 'h264_aac.mp4'), '-c', 'copy', '-movflags', '+faststart', whole]);
      const bytes = readFileSync(whole);
      writeFileSync(o, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    },
    error: /the file is cut short: sound ends at 1\d\.\d s of 25\.0 s/,
    damagedWindows: 2,
  },
  {
    name: 'empty.mp4',
    description: 'zero bytes',
    make: (o) => Promise.resolve(writeFileSync(o, '')),
    error: /file is empty \(0 bytes\)/,
  },
  {
    name: 'text.mp4',
    description: 'a text file renamed .mp4',
    make: (o) => Promise.resolve(writeFileSync(o, 'This is a shopping list, not a movie.\n'.repeat(40))),
    error: /Invalid data found/i,
  },
];

/** Generate every corpus file into `dir` (two ffmpeg processes at a time) and describe them. */
export async function generateCorpus(dir: string): Promise<CorpusCase[]> {
  const done = new Map<string, Promise<void>>();
  // The 30-min file takes longest: start it first so the small ones fill the other slot.
  const queue = [...RECIPES].sort((a, b) => Number(b.name.startsWith('long')) - Number(a.name.startsWith('long')));
  const worker = async (): Promise<void> => {
    for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
      if (r.after !== undefined) await done.get(r.after);
      const p = r.make(join(dir, r.name), dir);
      done.set(r.name, p);
      await p;
    }
  };
  await Promise.all([worker(), worker()]);
  return RECIPES.map((r) => {
    const c: CorpusCase = { name: r.name, file: join(dir, r.name), description: r.description };
    return {
      ...c,
      ...(r.expect !== undefined ? { expect: r.expect } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.damagedWindows !== undefined ? { damagedWindows: r.damagedWindows } : {}),
    };
  });
}
