// The main thread's side of session-host.ts: runs graphs on the inference thread and resolves with
// their outputs, so the caller's thread stays free while ONNX Runtime computes. One thread per
// instance; requests run one after another in the order sent.
import { Worker } from 'node:worker_threads';
import type { ProviderName } from '../../base/types.ts';
import type { HostData, HostReply, HostRequest, HostTensor } from './session-host.ts';
import type { SessionOptions } from './session.ts';

type Pending = { resolve: (r: HostReply & { ok: true }) => void; reject: (e: Error) => void };

export class WorkerSessions {
  readonly #data: HostData;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #dead: Error | undefined;

  /** `yieldTo`: base/interactive.ts's count, for a background thread that lets interactive work go first. */
  constructor(options: SessionOptions, yieldTo?: Int32Array) {
    this.#data = { options, ...(yieldTo !== undefined ? { yieldTo } : {}) };
  }

  /** Calls sent and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The thread, started on first use (an encoder that is never asked costs nothing). */
  #thread(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const url = new URL(import.meta.url.endsWith('.ts') ? './session-host.ts' : './session-host.js', import.meta.url);
    const worker = new Worker(url, { workerData: this.#data });
    this.#worker = worker;
    // An idle inference thread must not keep a CLI process alive.
    worker.unref();
    worker.on('message', (reply: HostReply) => {
      const p = this.#pending.get(reply.id);
      if (p === undefined) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) p.resolve(reply);
      else p.reject(Object.assign(new Error(reply.message), reply.stack !== undefined ? { stack: reply.stack } : {}));
    });
    const fail = (e: Error): void => {
      this.#dead = e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the inference thread exited (code ${code})`)));
    return worker;
  }

  #send(req: HostRequest, transfer: ArrayBuffer[] = []): Promise<HostReply & { ok: true }> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      const worker = this.#thread();
      this.#pending.set(req.id, { resolve, reject });
      worker.ref();
      worker.postMessage(req, transfer);
    });
  }

  /** Creates (once) the session for a graph file; resolves with the provider it runs on. */
  async open(file: string): Promise<ProviderName> {
    return (await this.#send({ type: 'open', id: this.#next++, file })).provider;
  }

  /**
   * Runs a graph (`steps`: the ONNX Runtime calls it took — one per item while searches go first). The feeds' buffers are transferred (they are unusable here afterwards), so pass
   * arrays that own their whole buffer.
   */
  async run(file: string, feeds: Record<string, HostTensor>, fetches: readonly string[]): Promise<{ outputs: Record<string, HostTensor>; runMs: number; waitedMs: number; steps: number }> {
    const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
    const reply = await this.#send({ type: 'run', id: this.#next++, file, feeds, fetches }, transfer);
    return { outputs: reply.outputs ?? {}, runMs: reply.runMs ?? 0, waitedMs: reply.waitedMs ?? 0, steps: reply.steps ?? 1 };
  }

  /** Releases the sessions and ends the thread. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    if (this.#dead === undefined) await this.#send({ type: 'release', id: this.#next++ }).catch(() => undefined);
    this.#dead = new Error('the inference thread was closed');
    await worker.terminate();
  }
}
