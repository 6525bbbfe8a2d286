// The renderer's one way to the core: Electron's preload bridge (window.foley, IPC) when present, else
// `foley serve` over fetch + EventSource. Both speak the same contract (core/api/contract.ts); the
// token for `foley serve` lives in an HttpOnly cookie this code never sees.
import { EVENT_TYPES, framePathFor, mediaPath, spectrogramPathFor, thumbPathFor } from '../../core/api/contract.ts';
import type { ApiEvent, FoleyClient, Method, PreloadBridge, RequestOf, Responses } from '../../core/api/contract.ts';

declare global {
  interface Window {
    foley?: PreloadBridge;
  }
}

export class ClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function electronClient(bridge: PreloadBridge): FoleyClient {
  return {
    call: async <M extends Method>(method: M, params: RequestOf<M>) => (await bridge.call(method, params)) as Responses[M],
    subscribe: (listener) => bridge.onEvent(listener),
    mediaUrl: (file) => `foley-media://media/${mediaPath(file)}`,
    thumbUrl: (fileId, start) => `foley-media://media/${thumbPathFor(fileId, start)}`,
    spectrogramUrl: (fileId, start) => `foley-media://media/${spectrogramPathFor(fileId, start)}`,
    frameUrl: (fileId, at) => `foley-media://media/${framePathFor(fileId, at)}`,
    native: { pickFolder: () => bridge.pickFolder(), pickCheckpoint: () => bridge.pickCheckpoint() },
  };
}

async function readError(res: Response): Promise<ClientError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ClientError(body.error?.code ?? String(res.status), body.error?.message ?? res.statusText);
  } catch {
    return new ClientError(String(res.status), res.statusText);
  }
}

function httpClient(): FoleyClient {
  const listeners = new Set<(e: ApiEvent) => void>();
  let source: EventSource | null = null;
  const connect = (): void => {
    if (source !== null) return;
    source = new EventSource('/api/events');
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (m: MessageEvent<string>) => {
        const event = JSON.parse(m.data) as ApiEvent;
        for (const l of listeners) l(event);
      });
    }
  };
  return {
    async call<M extends Method>(method: M, params: RequestOf<M>): Promise<Responses[M]> {
      let res: Response;
      const search = method === 'search' ? (params as RequestOf<'search'>) : undefined;
      if (search !== undefined && search.query.kind === 'upload') {
        // The query file goes as the raw body; its content type says audio or image.
        const q = new URLSearchParams();
        if (search.in !== undefined) q.set('in', search.in);
        if (search.top !== undefined) q.set('top', String(search.top));
        const type = search.query.media === 'image' ? 'image/x-query' : 'audio/x-query';
        res = await fetch(`/api/search?${q.toString()}`, { method: 'POST', headers: { 'Content-Type': type }, body: search.query.bytes as Uint8Array<ArrayBuffer> });
      } else if (method === 'localize' && (params as RequestOf<'localize'>).query.kind === 'upload') {
        // Same for localisation: the query file as the body, the targets as JSON in the URL.
        const { query, ...rest } = params as RequestOf<'localize'>;
        const type = query.kind === 'upload' && query.media === 'image' ? 'image/x-query' : 'audio/x-query';
        const body = query.kind === 'upload' ? (query.bytes as Uint8Array<ArrayBuffer>) : null;
        res = await fetch(`/api/localize?${new URLSearchParams({ request: JSON.stringify(rest) }).toString()}`, { method: 'POST', headers: { 'Content-Type': type }, body });
      } else {
        res = await fetch(`/api/call/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
      }
      if (!res.ok) throw await readError(res);
      return (await res.json()) as Responses[M];
    },
    subscribe(listener) {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
      };
    },
    mediaUrl: (file) => `/api/media/${mediaPath(file)}`,
    thumbUrl: (fileId, start) => `/api/media/${thumbPathFor(fileId, start)}`,
    spectrogramUrl: (fileId, start) => `/api/media/${spectrogramPathFor(fileId, start)}`,
    frameUrl: (fileId, at) => `/api/media/${framePathFor(fileId, at)}`,
  };
}

export const api: FoleyClient = window.foley !== undefined ? electronClient(window.foley) : httpClient();
export const pathForFile = (file: File): string => window.foley?.pathForFile(file) ?? '';

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function formatTime(seconds: number): string {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
