// A small typed wrapper around spawnTool (media/spawner/) for ffmpeg/ffprobe: argument arrays only (no shell),
// a hard timeout (SIGKILL), the last few KB of stderr kept for the error message, stdout either
// collected or streamed with backpressure. Every failure is a MediaError naming the media file.
import { MediaError } from '../base/errors.ts';
import { toolEnv } from './ffmpeg-binaries.ts';
import { spawnTool } from './spawner/spawn-tool.ts';

const STDERR_KEEP = 4096;

export interface RunOptions {
  /** The media file the command is about; named in every error. */
  readonly file: string;
  /** What is being done, for messages ("decoding audio"). */
  readonly what: string;
  /** Kill the process (SIGKILL) after this long. Default: no limit. */
  readonly timeoutMs?: number | undefined;
  /**
   * Kill the process when stdout stays silent this long while nothing is waiting on the consumer (time
   * spent inside a slow onStdout callback does not count). For long streamed decodes, where a total
   * limit would have to guess how slow the consumer is. Default: none.
   */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * Stream stdout to this callback instead of collecting it. A returned promise pauses the pipe until it
   * settles; a throw or rejection kills the process and rejects the run.
   */
  readonly onStdout?: ((chunk: Buffer) => void | Promise<void>) | undefined;
  /** Abort the run from outside (kills the process). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Each complete stderr line as it arrives. Returning true consumes it: it is left out of the stderr
   * kept for error messages (a packet listing would crowd out ffmpeg's last words).
   */
  readonly onStderrLine?: ((line: string) => boolean) | undefined;
}

export interface RunResult {
  /** Collected stdout (empty when onStdout streamed it). */
  readonly stdout: Buffer;
  /** The last ~4 KB of stderr. */
  readonly stderr: string;
}

/** The last non-empty stderr line, without the input path ffmpeg prefixes (the error already names it). */
export function lastErrorLine(stderr: string, file?: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const clean = (l: string): string => {
    const line = file !== undefined && l.startsWith(`${file}: `) ? l.slice(file.length + 2) : l;
    // "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d…] moov atom not found" → drop the pointer noise.
    return line.replace(/^\[([^\]@]+) @ 0x[0-9a-f]+\]\s*/i, '[$1] ');
  };
  const last = clean(lines[lines.length - 1] ?? '');
  // ffmpeg's generic last words follow the line that says what was wrong ("moov atom not found").
  const before = lines.length > 1 ? clean(lines[lines.length - 2]!) : '';
  return /^invalid data found when processing input$/i.test(last) && before.startsWith('[') ? `${before}: ${last}` : last;
}

/** Run `bin args`, resolving when it exits 0; otherwise a MediaError with ffmpeg's last error line. */
export function runTool(bin: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const { file, what, timeoutMs, idleTimeoutMs, onStdout, signal, onStderrLine } = options;
  return new Promise<RunResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new MediaError(file, `${what} was cancelled`));
      return;
    }
    const child = spawnTool(bin, args, ['pipe', 'pipe'], toolEnv());
    const stdout = child.output(1)!;
    const stderrStream = child.output(2)!;
    const chunks: Buffer[] = [];
    let stderr = '';
    let failure: MediaError | undefined;
    let settled = false;
    // The callback's last promise: 'close' waits for it so the run never resolves mid-consumer.
    let inFlight: Promise<void> = Promise.resolve();
    let queued = 0;
    let partialLine = '';

    const fail = (err: MediaError): void => {
      if (failure === undefined) failure = err;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };

    const timer =
      timeoutMs !== undefined
        ? setTimeout(() => fail(new MediaError(file, `${what} timed out after ${formatSeconds(timeoutMs)} s`)), timeoutMs)
        : undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idleTimeoutMs === undefined) return;
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () => fail(new MediaError(file, `${what} stalled: no output for ${formatSeconds(idleTimeoutMs)} s`)),
        idleTimeoutMs,
      );
    };
    const disarmIdle = (): void => {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = undefined;
    };
    armIdle();
    const onAbort = (): void => fail(new MediaError(file, `${what} was cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });

    stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return;
      if (onStdout === undefined) {
        armIdle();
        chunks.push(chunk);
        return;
      }
      disarmIdle();
      // pause() alone does not stop a 'data' event already on its way, so callbacks are chained to run
      // strictly one after another; the pause only provides backpressure while the chain is busy.
      queued++;
      stdout.pause();
      inFlight = inFlight
        .then(async () => {
          if (failure === undefined) await onStdout(chunk);
        })
        .then(
          () => {
            if (--queued === 0) {
              armIdle();
              stdout.resume();
            }
          },
          (err: unknown) => {
            queued--;
            fail(new MediaError(file, `${what} stopped: ${describe(err)}`, err));
          },
        );
    });
    stderrStream.setEncoding('utf8');
    stderrStream.on('data', (text: string) => {
      if (onStderrLine !== undefined) {
        const lines = (partialLine + text).split(/\r?\n/);
        partialLine = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '' && !onStderrLine(line)) stderr += `${line}\n`;
      } else {
        stderr += text;
      }
      if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
    });

    const finish = (err: MediaError | undefined): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      disarmIdle();
      signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) reject(err);
      else resolve({ stdout: Buffer.concat(chunks), stderr: stderr.slice(-STDERR_KEEP) });
    };

    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES) arrive here, not as an exit code.
      finish(failure ?? new MediaError(file, `${what} could not start ${bin}: ${err.message}`, err, 'failed'));
    });
    child.on('close', (code, sig) => {
      void inFlight.then(() => onClose(code, sig));
    });
    const onClose = (code: number | null, sig: NodeJS.Signals | null): void => {
      if (onStderrLine !== undefined && partialLine.trim() !== '' && !onStderrLine(partialLine)) stderr += partialLine;
      partialLine = '';
      if (failure !== undefined) {
        finish(failure);
      } else if (code !== 0) {
        const detail = lastErrorLine(stderr, file) || (sig !== null ? `killed by ${sig}` : `exit code ${code}`);
        finish(new MediaError(file, `${what} failed: ${detail}`));
      } else {
        finish(undefined);
      }
    };
  });
}

function formatSeconds(ms: number): string {
  return Number((ms / 1000).toFixed(3)).toString();
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
