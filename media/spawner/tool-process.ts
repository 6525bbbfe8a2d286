// A running ffmpeg or ffprobe, however it was started: by the spawner helper (client.ts, on Linux) or by
// child_process.spawn (elsewhere, or when the helper cannot run). Its outputs are streams that exist
// from the start, whatever the backend, and 'close' comes only after every output has ended and been
// read, as child_process's does.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import type { ToolStdio } from './protocol.ts';

export interface ToolProcess {
  /** The tool's stdout (fd 1), stderr (fd 2) or extra output (fd 3+), when piped; else null. */
  output(fd: number): Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** Ask the tool to stop; false when it has already exited. */
  kill(signal?: NodeJS.Signals): boolean;
  /** It could not be started (the message says why; `code` is the errno name, e.g. ENOENT). */
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  /** It exited and all of its outputs have been read to the end. */
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/** The ToolProcess the backends feed: output streams, exit status, and how to kill. */
export class ToolRun extends EventEmitter implements ToolProcess {
  readonly #outputs: (PassThrough | null)[];
  readonly #fed = new Set<number>();
  #exitCode: number | null = null;
  #signalCode: NodeJS.Signals | null = null;
  #exited = false;
  /** Outputs still open, plus one for the exit. */
  #closesNeeded: number;
  #kill: ((signal: NodeJS.Signals) => void) | undefined;
  #pendingKill: NodeJS.Signals | undefined;

  readonly stdio: readonly ToolStdio[];

  constructor(stdio: readonly ToolStdio[]) {
    super();
    this.stdio = stdio;
    this.#outputs = stdio.map((s) => (s === 'pipe' ? new PassThrough() : null));
    this.#closesNeeded = 1;
    for (const out of this.#outputs) {
      if (out === null) continue;
      this.#closesNeeded++;
      // 'close' follows 'end' once the output has been read to the end (or destroyed by its reader).
      out.once('close', () => this.#closed());
    }
  }

  output(fd: number): Readable | null {
    return this.#outputs[fd - 1] ?? null;
  }

  get exitCode(): number | null {
    return this.#exitCode;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.#signalCode;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.#exited) return false;
    if (this.#kill === undefined) this.#pendingKill = signal;
    else this.#kill(signal);
    return true;
  }

  /** The backend can kill from now on (a kill asked for earlier is passed on now). */
  killWith(kill: (signal: NodeJS.Signals) => void): void {
    this.#kill = kill;
    if (this.#pendingKill !== undefined) kill(this.#pendingKill);
    this.#pendingKill = undefined;
  }

  /** Feed output `fd` from `source` until it ends or fails. */
  feed(fd: number, source: Readable): void {
    const out = this.#outputs[fd - 1];
    if (out === undefined || out === null || out.writableEnded || this.#fed.has(fd)) {
      source.destroy();
      return;
    }
    this.#fed.add(fd);
    source.pipe(out);
    // A source that fails or is destroyed without end-of-file still ends its output (the exit status,
    // not the stream, says whether the tool failed).
    source.once('error', () => out.end());
    source.once('close', () => {
      if (!out.writableEnded) out.end();
    });
  }

  /** Outputs that no source will feed (the tool never started). */
  #endUnfed(): void {
    this.#outputs.forEach((out, i) => {
      if (out !== null && !out.writableEnded && !this.#fed.has(i + 1)) out.end();
    });
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#exitCode = code;
    this.#signalCode = signal;
    // Then every output is drained, read or not, paused or not, so 'close' always comes: what
    // child_process does on exit, a tick later so a reader still has its chance to start.
    process.nextTick(() => {
      for (const out of this.#outputs) if (out !== null && out.readable) out.resume();
      this.#closed();
    });
  }

  failed(err: NodeJS.ErrnoException): void {
    if (this.#exited) return;
    this.emit('error', err);
    this.#endUnfed();
    this.exited(null, null);
  }

  #closed(): void {
    if (--this.#closesNeeded === 0) this.emit('close', this.#exitCode, this.#signalCode);
  }
}

/** Start `bin` with child_process.spawn and feed `run` from it. */
export function spawnDirect(run: ToolRun, bin: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
  const stdio = run.stdio;
  let child: ChildProcess;
  try {
    child = spawn(bin, [...args], { stdio: ['ignore', ...stdio], env, windowsHide: true });
  } catch (e) {
    run.failed(e as NodeJS.ErrnoException);
    return;
  }
  stdio.forEach((s, i) => {
    const source = child.stdio[i + 1] as Readable | null | undefined;
    if (s === 'pipe' && source !== null && source !== undefined) run.feed(i + 1, source);
  });
  run.killWith((signal) => child.kill(signal));
  child.once('error', (e: NodeJS.ErrnoException) => run.failed(e));
  child.once('exit', (code, signal) => run.exited(code, signal));
}
