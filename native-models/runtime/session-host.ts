// The inference thread (worker_threads): hosts ONNX Runtime sessions off the main thread.
// Why: onnxruntime-node's `session.run` holds the calling thread for the whole run (measured: no
// timer fires during a 336 ms run), so on the main thread it stalls everything else — reading
// ffmpeg's pipes, preparing the next inputs, answering HTTP. Here it stalls only this thread.
// Messages in: HostRequest; out: HostReply. Tensors travel as transferred ArrayBuffers (no copy).
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { createSession } from './session.ts';
import type { LoadedSession, SessionOptions } from './session.ts';
import type { ProviderName } from '../../base/types.ts';
import { interactiveRecently, waitWhileInteractive } from '../../base/interactive.ts';

export interface HostTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export type HostRequest =
  | { readonly type: 'run'; readonly id: number; readonly file: string; readonly feeds: Record<string, HostTensor>; readonly fetches: readonly string[] }
  | { readonly type: 'open'; readonly id: number; readonly file: string }
  | { readonly type: 'release'; readonly id: number };

export type HostReply =
  | { readonly id: number; readonly ok: true; readonly provider: ProviderName; readonly outputs?: Record<string, HostTensor>; readonly runMs?: number; readonly waitedMs?: number; readonly steps?: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly stack?: string };

const port = parentPort;
if (port === null) throw new Error('session-host.ts runs only as a worker thread');
export interface HostData {
  readonly options: SessionOptions;
  /** base/interactive.ts's count: when given, each run first waits while interactive work runs. */
  readonly yieldTo?: Int32Array;
}

const { options, yieldTo } = workerData as HostData;
const sessions = new Map<string, Promise<LoadedSession>>();

function open(file: string): Promise<LoadedSession> {
  let s = sessions.get(file);
  if (s === undefined) {
    s = createSession(file, options);
    s.catch(() => sessions.delete(file));
    sessions.set(file, s);
  }
  return s;
}

async function handle(req: HostRequest): Promise<{ reply: HostReply; transfer: ArrayBuffer[] }> {
  if (req.type === 'release') {
    const all = [...sessions.values()];
    sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.session.release();
    return { reply: { id: req.id, ok: true, provider: options.provider === 'auto' || options.provider === undefined ? 'cpu' : options.provider }, transfer: [] };
  }
  const loaded = await open(req.file);
  if (req.type === 'open') return { reply: { id: req.id, ok: true, provider: loaded.provider }, transfer: [] };
  // While someone is searching, a batch runs item by item, each after the searches running have
  // ended: a query then waits for one item at most, not for the whole batch.
  const count = Object.values(req.feeds)[0]?.dims[0] ?? 1;
  const steps = yieldTo !== undefined && count > 1 && interactiveRecently(yieldTo) ? count : 1;
  let waitedMs = 0;
  let runMs = 0;
  const parts: Record<string, Float32Array[]> = {};
  const dims: Record<string, number[]> = {};
  for (let step = 0; step < steps; step++) {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) {
      const per = t.data.length / count;
      const data = steps === 1 ? t.data : t.data.subarray(step * per, (step + 1) * per);
      feeds[name] = new ort.Tensor('float32', data, steps === 1 ? t.dims : [1, ...t.dims.slice(1)]);
    }
    if (yieldTo !== undefined) waitedMs += waitWhileInteractive(yieldTo);
    const started = performance.now();
    const out = await loaded.session.run(feeds, [...req.fetches]);
    runMs += performance.now() - started;
    for (const name of req.fetches) {
      const t = out[name]!;
      (parts[name] ??= []).push(t.data as Float32Array);
      dims[name] = [count, ...t.dims.slice(1)];
    }
  }
  const outputs: Record<string, HostTensor> = {};
  const transfer: ArrayBuffer[] = [];
  for (const name of req.fetches) {
    const got = parts[name]!;
    // A copy we own (ORT's output may be a view on memory it manages), joined when run item by item.
    const data = new Float32Array(got.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of got) {
      data.set(p, at);
      at += p.length;
    }
    outputs[name] = { data, dims: dims[name]! };
    transfer.push(data.buffer);
  }
  return { reply: { id: req.id, ok: true, provider: loaded.provider, outputs, runMs, waitedMs, steps }, transfer };
}

// One request at a time, in order: the sessions' own intra-op threads use the cores; running two
// graphs at once would only make them fight over them.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: HostRequest) => {
  queue = queue.then(async () => {
    try {
      const { reply, transfer } = await handle(req);
      port.postMessage(reply, transfer);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ id: req.id, ok: false, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}) } satisfies HostReply);
    }
  });
});
