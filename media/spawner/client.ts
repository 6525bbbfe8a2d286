// The indexing process's side of the spawner helper (host.ts): starts it, gives it spawn and kill
// requests, and routes the connections it opens to the right tool's outputs. One helper per process,
// started on the first spawn; if it cannot start, or dies, tools are started directly (spawn-tool.ts).
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HEADER_BYTES, TOKEN_BYTES, decodeHeader } from './protocol.ts';
import type { HostReport, HostRequest } from './protocol.ts';
import type { ToolRun } from './tool-process.ts';

const START_TIMEOUT_MS = 15_000;

export class SpawnerClient {
  readonly #helper: ChildProcess;
  readonly #server: net.Server;
  readonly #token: Buffer;
  readonly #dir: string;
  readonly #runs = new Map<number, ToolRun>();
  /** Process ids of the tools running, so they can be stopped if the helper dies before them. */
  readonly #pids = new Map<number, number>();
  #nextId = 1;
  #gone: string | undefined;

  private constructor(helper: ChildProcess, server: net.Server, token: Buffer, dir: string) {
    this.#helper = helper;
    this.#server = server;
    this.#token = token;
    this.#dir = dir;
    server.on('connection', (socket) => this.#accept(socket));
    helper.on('message', (r: HostReport) => this.#report(r));
    helper.once('exit', (code, signal) => this.#lost(`the spawner helper exited (${signal ?? `code ${code}`})`));
    helper.once('error', (e) => this.#lost(`the spawner helper failed: ${e.message}`));
    this.#idle();
  }

  /** Start a helper; rejects when it does not say it is ready. */
  static async start(): Promise<SpawnerClient> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-spawner-'));
    const socketPath = path.join(dir, 's');
    const token = randomBytes(TOKEN_BYTES);
    const server = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => resolve());
      });
      server.unref();
      const here = import.meta.url.endsWith('.ts') ? './host.ts' : './host.js';
      const helper = fork(new URL(here, import.meta.url), [socketPath], {
        // Only what running TypeScript needs; an --inspect or --cpu-prof meant for us is not passed on.
        execArgv: process.execArgv.filter((a) => /^--(experimental-)?(strip|transform)-types$/.test(a)),
        env: { ...process.env, FOLEY_SPAWNER_TOKEN: token.toString('hex'), ...(process.versions['electron'] ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the spawner helper did not start in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        const fail = (why: string): void => {
          clearTimeout(timer);
          reject(new Error(why));
        };
        helper.once('error', (e) => fail(`the spawner helper could not start: ${e.message}`));
        helper.once('exit', (code) => fail(`the spawner helper exited at start (code ${code})`));
        helper.once('message', (r: HostReport) => {
          clearTimeout(timer);
          if (r.type === 'ready') resolve();
          else reject(new Error(`the spawner helper said ${r.type} before ready`));
        });
      }).catch((e: unknown) => {
        helper.kill('SIGKILL');
        throw e;
      });
      return new SpawnerClient(helper, server, token, dir);
    } catch (e) {
      server.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Why this helper can no longer spawn, or undefined while it can. */
  get gone(): string | undefined {
    return this.#gone;
  }

  /** The helper's process id (tests). */
  get pid(): number | undefined {
    return this.#helper.pid;
  }

  /** Start `bin args` for `run` (its stdio says which descriptors to pipe). */
  spawn(run: ToolRun, bin: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
    if (this.#gone !== undefined) {
      const why = this.#gone;
      queueMicrotask(() => run.failed(new Error(why)));
      return;
    }
    const id = this.#nextId++;
    this.#runs.set(id, run);
    this.#busy();
    run.once('close', () => {
      this.#runs.delete(id);
      this.#pids.delete(id);
      if (this.#runs.size === 0) this.#idle();
    });
    this.#send({ type: 'spawn', id, bin, args, stdio: run.stdio, env });
    // After the spawn request: a kill asked for while the helper was starting is sent now, and the
    // helper must know the id by then.
    run.killWith((signal) => this.#send({ type: 'kill', id, signal }));
  }

  /** Stop the helper (its tools are killed) and forget it. */
  close(): void {
    this.#lost('the spawner helper was closed');
    this.#helper.kill('SIGKILL');
  }

  #send(req: HostRequest): void {
    if (this.#gone === undefined) this.#helper.send(req);
  }

  #report(r: HostReport): void {
    if (r.type === 'ready') return;
    const run = this.#runs.get(r.id);
    if (run === undefined) return;
    if (r.type === 'spawned') {
      this.#pids.set(r.id, r.pid);
    } else if (r.type === 'exit') {
      this.#pids.delete(r.id);
      run.exited(r.code, r.signal);
    } else {
      const err: NodeJS.ErrnoException = new Error(r.message);
      if (r.code !== undefined) err.code = r.code;
      run.failed(err);
    }
  }

  #accept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    const onReadable = (): void => {
      const header = socket.read(HEADER_BYTES) as Buffer | null;
      if (header === null) {
        socket.once('readable', onReadable);
        return;
      }
      const to = decodeHeader(this.#token, header);
      const run = to === undefined ? undefined : this.#runs.get(to.id);
      if (to === undefined || run === undefined) {
        socket.destroy();
        return;
      }
      run.feed(to.fd, socket);
    };
    socket.once('readable', onReadable);
  }

  #lost(why: string): void {
    if (this.#gone !== undefined) return;
    this.#gone = why;
    this.#server.close();
    rmSync(this.#dir, { recursive: true, force: true });
    for (const run of this.#runs.values()) run.failed(new Error(why));
    // A helper killed outright leaves its tools behind; they would write into sockets no one reads.
    for (const pid of this.#pids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.#pids.clear();
  }

  // The helper keeps this process alive only while one of its tools runs.
  #busy(): void {
    this.#helper.ref();
    this.#helper.channel?.ref();
  }

  #idle(): void {
    this.#helper.unref();
    this.#helper.channel?.unref();
  }
}
