// The API across a message port: Electron's main process ↔ the utility process that owns the library
// (electron/worker.ts), so inference and indexing never run on the main (UI) thread. Messages are
// structured-cloned (Uint8Array query bytes pass as they are). Both ends validate what they receive:
// the host runs every call through FoleyApi.call, which checks it against the contract.
import type { ApiEvent, MediaRef } from '../core/api/contract.ts';
import { ApiError, toApiError } from '../core/api/errors.ts';
import type { ApiErrorCode } from '../core/api/errors.ts';
import type { FoleyApi, ResolvedMedia } from '../core/api/handlers.ts';

export interface RpcPort {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

type Incoming = { readonly id: number; readonly method: string; readonly params: unknown } | { readonly id: number; readonly media: MediaRef };
type Reply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly code: ApiErrorCode; readonly message: string };
type Outgoing = Reply | { readonly event: ApiEvent };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isMediaRef(v: unknown): v is MediaRef {
  if (!isRecord(v)) return false;
  if (v.kind === 'file') return typeof v.path === 'string';
  return (v.kind === 'thumb' || v.kind === 'spectrogram' || v.kind === 'frame') && Number.isInteger(v.fileId) && Number.isInteger(v.startMs);
}

/** The utility-process side: answers calls with the API, forwards its events. */
export function serveRpc(port: RpcPort, api: FoleyApi): () => void {
  const send = (m: Outgoing): void => port.postMessage(m);
  const unsubscribe = api.subscribe((event) => send({ event }));
  port.onMessage((raw) => {
    if (!isRecord(raw) || typeof raw.id !== 'number') return;
    const m = raw as Incoming;
    const work = 'media' in m ? (isMediaRef(m.media) ? api.resolveMedia(m.media) : Promise.reject(new ApiError('bad_request', 'bad media reference'))) : api.call(m.method, m.params);
    work.then(
      (result) => send({ id: m.id, ok: true, result }),
      (e: unknown) => {
        const err = toApiError(e);
        send({ id: m.id, ok: false, code: err.code, message: err.message });
      },
    );
  });
  return unsubscribe;
}

export interface RpcClient {
  call(method: string, params: unknown): Promise<unknown>;
  resolveMedia(ref: MediaRef): Promise<ResolvedMedia>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** Rejects every pending call (the other side exited). */
  fail(reason: string): void;
}

/** The main-process side. */
export function rpcClient(port: RpcPort): RpcClient {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: ApiEvent) => void>();
  port.onMessage((raw) => {
    if (!isRecord(raw)) return;
    if ('event' in raw) {
      for (const l of listeners) l(raw.event as ApiEvent);
      return;
    }
    const m = raw as Reply;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new ApiError(m.code, m.message));
  });
  const send = (message: Incoming): Promise<unknown> =>
    new Promise((resolve, reject) => {
      pending.set(message.id, { resolve, reject });
      port.postMessage(message);
    });
  return {
    call: (method, params) => send({ id: next++, method, params }),
    resolveMedia: async (ref) => (await send({ id: next++, media: ref })) as ResolvedMedia,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fail(reason) {
      for (const p of pending.values()) p.reject(new ApiError('failed', reason));
      pending.clear();
    },
  };
}
