// The caller's side of the int8 scan: a synchronous API over worker.ts. Each call posts one request
// and blocks on a shared flag (Atomics.wait) until the worker has answered, then takes the answer off the
// port with receiveMessageOnPort — so the search engine, which is synchronous, can use an ONNX Runtime
// session (asynchronous) without turning every caller async. Calls are short (a scan at 1M rows is a few
// milliseconds; a bulk add a few hundred) and one at a time.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { ScanReply, ScanRequest } from './protocol.ts';

/** A call that takes longer than this means the worker is gone or stuck: fail rather than hang. */
const CALL_TIMEOUT_MS = 120_000;

export interface ScanHits {
  /** Labels, best first. */
  readonly labels: Float64Array;
  /** Approximate cosines: inner products of the int8-coded projections (the exact re-rank decides). */
  readonly scores: Float32Array;
}

export class Int8Scanner {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #signal = new Int32Array(new SharedArrayBuffer(4));
  #count = 0;
  #bytes = 0;
  #closed = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
    this.#worker = new Worker(url, { workerData: { port: port2, signal: this.#signal }, transferList: [port2] });
    // An idle scan must not keep a CLI process alive.
    this.#worker.unref();
    this.#port = port1;
    this.#port.unref();
  }

  /** Live rows. */
  get count(): number {
    return this.#count;
  }

  /** Memory the codes and labels take in the worker. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Sets the projection (d rows of dim numbers) and per-dimension steps; drops any rows held.
   * `threads`: ONNX Runtime's intra-op threads for the scan.
   */
  init(basis: Float32Array, dim: number, d: number, scales: Float32Array, threads: number): void {
    this.#call({ op: 'init', dim, d, basis: basis.slice(), scales: scales.slice(), threads });
  }

  /** Adds or replaces rows (unit length) under their labels. Both arrays are handed over (unusable here afterwards): pass ones that own their whole buffer. */
  add(labels: Float64Array, rows: Float32Array): void {
    this.#call({ op: 'add', labels, rows }, [labels.buffer as ArrayBuffer, rows.buffer as ArrayBuffer]);
  }

  /** Adds rows already coded under this projection and steps (d codes each, as export() gave them). Both arrays are handed over. */
  addCodes(labels: Float64Array, codes: Uint8Array): void {
    this.#call({ op: 'addCodes', labels, codes }, [labels.buffer as ArrayBuffer, codes.buffer as ArrayBuffer]);
  }

  /** The live rows' labels and codes (row i for labels[i]), to store them. */
  export(): { labels: Float64Array; codes: Uint8Array } {
    const r = this.#call({ op: 'export' });
    return { labels: r.labels ?? new Float64Array(0), codes: r.codes ?? new Uint8Array(0) };
  }

  /** Removes labels; returns how many were there. */
  remove(labels: Float64Array): number {
    return this.#call({ op: 'remove', labels: labels.slice() }).removed ?? 0;
  }

  /** The k best live rows for a unit-length query (approximate: re-rank them exactly). */
  search(query: Float32Array, k: number): ScanHits {
    // A copy: posting a view clones its whole buffer, which may be a large batch of rows.
    const r = this.#call({ op: 'search', query: query.slice(), k });
    return { labels: r.labels ?? new Float64Array(0), scores: r.scores ?? new Float32Array(0) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
    void this.#worker.terminate();
  }

  #call(request: ScanRequest, transfer: ArrayBuffer[] = []): Extract<ScanReply, { ok: true }> {
    if (this.#closed) throw new Error('the int8 scan was closed');
    Atomics.store(this.#signal, 0, 0);
    this.#port.postMessage(request, transfer);
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    while (Atomics.load(this.#signal, 0) === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.#signal, 0, 0, left) === 'timed-out') {
        if (Atomics.load(this.#signal, 0) !== 0) break;
        throw new Error(`the int8 scan did not answer ${request.op} within ${CALL_TIMEOUT_MS / 1000} s`);
      }
    }
    const got = receiveMessageOnPort(this.#port);
    if (got === undefined) throw new Error(`the int8 scan answered ${request.op} without a reply`);
    const reply = got.message as ScanReply;
    if (!reply.ok) throw new Error(`int8 scan ${request.op}: ${reply.message}`);
    this.#count = reply.count;
    this.#bytes = reply.bytes;
    return reply;
  }
}
