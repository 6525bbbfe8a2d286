// The middle frames of several windows from one ffmpeg process: one input-seeking input per frame
// (`-ss t -i file`, exactly what decodeFrameRgb runs for one) and one PPM output per input, each on
// its own pipe (fd 3, 4, …). Why: for a small picture ffmpeg's start-up — loading its libraries and
// probing the file — is most of a single-frame decode. Measured by hand under /usr/bin/time (300-s
// 640×360 h264, GOP 2 s, this 2-core machine): a process that decodes nothing costs 0.24 s CPU, one
// seek-and-decode 0.22–0.24 s; ten frames from one process 0.83 s, byte-identical to ten processes'
// 2.3 s (2.8× less). bench/frame-group.bench.ts measures it per resolution.
//
// A frame the group cannot give (past the end, a file without a seek index) is decoded alone by
// decodeFrameRgb, which has the fallbacks and the error message for it; so is every frame when the
// group process fails, so one bad seek never fails its neighbours. With `rejectDamaged` the group runs
// at `-v warning`; stderr cannot say which input a decoder line is about, so any damage line sends
// every frame of the group to decodeFrameRgb, which judges each frame alone (damaged files are rare).
import { MediaError } from '../base/errors.ts';
import { findTool, toolEnv } from './ffmpeg-binaries.ts';
import { decodeFrameRgb, frameDecodeThreads, parsePpm } from './image.ts';
import type { DecodeImageOptions, RgbFrame } from './image.ts';
import { assertReadableFile } from './probe.ts';
import { lastErrorLine } from './spawn.ts';
import { isDecoderDamageLine } from './damage.ts';
import { spawnTool } from './spawner/spawn-tool.ts';

export type GroupFrame = { readonly frame: RgbFrame } | { readonly error: MediaError };

/** Frames per process: about 48 MB of pictures in flight, 2 to 16 of them. */
export function frameGroupSize(width: number, height: number): number {
  const bytes = Math.max(1, width * height * 3);
  return Math.max(2, Math.min(16, Math.floor((48 * 2 ** 20) / bytes)));
}

/** The frame at each time (any order), full resolution and upright; never rejects. */
export async function decodeFrameGroup(file: string, times: readonly number[], options: DecodeImageOptions = {}): Promise<GroupFrame[]> {
  const alone = (t: number): Promise<GroupFrame> =>
    decodeFrameRgb(file, t, options).then(
      (frame) => ({ frame }),
      (e: unknown) => ({ error: e instanceof MediaError ? e : new MediaError(file, `decoding the frame at ${t.toFixed(6)} s failed: ${String(e)}`, e) }),
    );
  if (times.length <= 1) return Promise.all(times.map(alone));
  let outputs: Buffer[];
  try {
    await assertReadableFile(file);
    const run = await runGroup(file, times, options);
    outputs = options.rejectDamaged === true && run.damaged ? times.map(() => Buffer.alloc(0)) : run.outputs;
  } catch (e) {
    if (options.signal?.aborted) return times.map(() => ({ error: new MediaError(file, 'decoding frames was cancelled', e) }));
    outputs = times.map(() => Buffer.alloc(0));
  }
  const out: GroupFrame[] = [];
  // One at a time: the fallbacks are rare, and each is a whole ffmpeg.
  for (const [i, buf] of outputs.entries()) {
    if (buf.length === 0) {
      out.push(await alone(times[i]!));
      continue;
    }
    try {
      out.push({ frame: parsePpm(file, buf) });
    } catch {
      out.push(await alone(times[i]!));
    }
  }
  return out;
}

function runGroup(file: string, times: readonly number[], options: DecodeImageOptions): Promise<{ outputs: Buffer[]; damaged: boolean }> {
  const args = ['-nostdin', '-hide_banner', '-v', options.rejectDamaged === true ? 'warning' : 'error'];
  for (const t of times) {
    if (!(Number.isFinite(t) && t >= 0)) throw new MediaError(file, `invalid frame time ${t} s`);
    args.push(...frameDecodeThreads(), '-ss', t.toFixed(6), '-i', file);
  }
  times.forEach((_, i) => {
    args.push('-map', `${i}:V:0?`, '-an', '-sn', '-dn', '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'image2pipe', '-c:v', 'ppm', `pipe:${3 + i}`);
  });
  const what = `decoding ${times.length} frames`;
  return new Promise<{ outputs: Buffer[]; damaged: boolean }>((resolve, reject) => {
    const child = spawnTool(findTool('ffmpeg'), args, ['ignore', 'pipe', ...times.map(() => 'pipe' as const)], toolEnv());
    const chunks: Buffer[][] = times.map(() => []);
    times.forEach((_, i) => {
      const pipe = child.output(3 + i);
      pipe?.on('data', (c: Buffer) => chunks[i]!.push(c));
      // A pipe error (the process died) shows up as the exit status below.
      pipe?.on('error', () => undefined);
    });
    let stderr = '';
    // Read line by line, so a damage line is seen however much stderr follows it.
    let partial = '';
    let damaged = false;
    const stderrStream = child.output(2)!;
    stderrStream.setEncoding('utf8');
    stderrStream.on('data', (s: string) => {
      const lines = (partial + s).split(/\r?\n/);
      partial = lines.pop() ?? '';
      if (!damaged) damaged = lines.some(isDecoderDamageLine);
      stderr = (stderr + s).slice(-4096);
    });
    let failure: MediaError | undefined;
    const kill = (e: MediaError): void => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(new MediaError(file, `${what} timed out`)), options.timeoutMs ?? 60_000);
    const onAbort = (): void => kill(new MediaError(file, `${what} was cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      done();
      reject(new MediaError(file, `${what} could not start ffmpeg: ${e.message}`, e));
    });
    child.on('close', (code) => {
      done();
      if (failure !== undefined) reject(failure);
      else if (code !== 0) reject(new MediaError(file, `${what} failed: ${lastErrorLine(stderr, file) || `exit code ${code}`}`));
      else resolve({ outputs: chunks.map((c) => Buffer.concat(c)), damaged: damaged || isDecoderDamageLine(partial) });
    });
  });
}
