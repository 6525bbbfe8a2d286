// The one API description shared by every front door: Electron IPC (preload → main → utility process),
// `foley serve` (HTTP + server-sent events) and the renderer's client. Each method has a request
// validator (run on the trusted side of every boundary) and a response type. This module is plain
// TypeScript with no Node imports, so the browser bundle can use it too.
import type { SearchResponse } from '../search/types.ts';
import type { LibraryStatus } from '../status.ts';
import type { IndexProgress, IndexSummary } from '../indexing/progress.ts';
import { arrayOf, bool, bytes, literal, num, obj, oneOf, optional, str, tagged } from './validate.ts';
import type { Infer, Validator } from './validate.ts';

export type { SearchIn, SearchResponse, SearchResult, SearchMoment } from '../search/types.ts';
export type { LibraryStatus } from '../status.ts';
export type { IndexProgress, IndexSummary } from '../indexing/progress.ts';

/** Largest query file (audio, video or image) accepted over IPC or HTTP. */
export const MAX_UPLOAD_BYTES = 64 * 2 ** 20;
/** Largest JSON request body over HTTP. */
export const MAX_JSON_BYTES = 1 * 2 ** 20;
/** Microphone queries: at most 60 s of 16-kHz samples. */
export const MAX_PCM_SAMPLES = 16_000 * 60;
export const MAX_PATH_LENGTH = 4096;
export const MAX_TOP = 200;

/** An absolute path on any of the platforms the app runs on (POSIX, C:\…, \\server\share). */
export const absolutePath: Validator<string> = (v, at) => {
  const s = str({ minLength: 1, maxLength: MAX_PATH_LENGTH })(v, at);
  return str({ pattern: /^(\/|[A-Za-z]:[\\/]|\\\\[^\\])/ })(s, `${at} (an absolute path)`);
};

const modelName = str({ minLength: 1, maxLength: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/ });
const searchIn = oneOf(['audio', 'visual', 'both'] as const);

export const queryValidator = tagged({
  /** A dropped or picked file's bytes (the renderer never needs its path). */
  upload: obj({
    kind: literal('upload'),
    media: oneOf(['audio', 'image'] as const),
    bytes: bytes(MAX_UPLOAD_BYTES),
    name: optional(str({ maxLength: 255 })),
  }),
  /** A moment of an indexed file; `use` picks which of its embeddings is the query (frame → sounds: visual). */
  moment: obj({
    kind: literal('moment'),
    file: absolutePath,
    at: num({ min: 0, max: 1e7 }),
    use: optional(oneOf(['audio', 'visual'] as const)),
  }),
  /** Microphone: mono 16-kHz samples in [-1, 1]. */
  pcm: obj({
    kind: literal('pcm'),
    samples: arrayOf(num({ min: -1, max: 1 }), { minItems: 400, maxItems: MAX_PCM_SAMPLES }),
  }),
});
export type ApiQuery = Infer<typeof queryValidator>;

const empty = obj({});

export const requestValidators = {
  status: empty,
  search: obj({
    query: queryValidator,
    in: optional(searchIn),
    top: optional(num({ min: 1, max: MAX_TOP, integer: true })),
    offset: optional(num({ min: 0, max: 10_000, integer: true })),
    model: optional(modelName),
  }),
  'index.start': obj({ roots: optional(arrayOf(absolutePath, { maxItems: 100 })), retryFailed: optional(bool()) }),
  'index.pause': empty,
  'index.resume': empty,
  'index.cancel': empty,
  'library.addRoot': obj({ path: absolutePath }),
  'library.removeRoot': obj({ path: absolutePath }),
  'models.list': empty,
  'models.import': obj({ file: absolutePath, name: optional(modelName), heads: optional(num({ min: 1, max: 64, integer: true })) }),
  'models.download': obj({ name: modelName }),
  'models.setDefault': obj({ name: modelName }),
} as const satisfies Record<string, Validator<object>>;

export type Method = keyof typeof requestValidators;
export type RequestOf<M extends Method> = Infer<(typeof requestValidators)[M]>;
export const METHODS = Object.keys(requestValidators) as Method[];

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.hasOwn(requestValidators, name);
}

/** Checks a request that came over a boundary; throws ApiError('bad_request' | 'too_large'). */
export function validateRequest<M extends Method>(method: M, params: unknown): RequestOf<M> {
  return requestValidators[method](params ?? {}, method) as RequestOf<M>;
}

export interface IndexState {
  /** idle: nothing running in this process (another process may still index: see status.jobs). */
  readonly state: 'idle' | 'running' | 'paused' | 'cancelling';
  readonly progress: IndexProgress | null;
  /** The last run's summary (this process). */
  readonly last: IndexSummary | null;
  /** The last run's error, when it stopped on one. */
  readonly error: string | null;
  /** Files that failed in the current (or last) run, with their reasons. */
  readonly failures: ReadonlyArray<{ readonly path: string; readonly error: string }>;
}

export interface StatusResponse {
  readonly library: LibraryStatus;
  readonly index: IndexState;
  /** Installed models; the UI's empty states start from here. */
  readonly models: readonly string[];
  readonly defaultModel: string | null;
}

export interface ModelInfo {
  readonly name: string;
  readonly kind: string;
  readonly embedDim: number;
  readonly precision: string;
  readonly bytes: number;
  readonly sourceFile: string;
  readonly isDefault: boolean;
}

export interface DownloadState {
  readonly name: string;
  readonly stage: string;
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly unit: 'bytes' | 'items';
  readonly error: string | null;
  readonly finished: boolean;
}

export interface ModelsResponse {
  readonly provider: string;
  readonly providerNotes: readonly string[];
  readonly models: readonly ModelInfo[];
  readonly official: ReadonlyArray<{ readonly name: string; readonly title: string; readonly use: string; readonly installed: boolean }>;
  readonly download: DownloadState | null;
}

export interface RootsResponse {
  readonly roots: ReadonlyArray<{ readonly path: string; readonly online: boolean }>;
}

export interface Responses {
  status: StatusResponse;
  search: SearchResponse;
  'index.start': IndexState;
  'index.pause': IndexState;
  'index.resume': IndexState;
  'index.cancel': IndexState;
  'library.addRoot': RootsResponse;
  'library.removeRoot': RootsResponse;
  'models.list': ModelsResponse;
  'models.import': ModelInfo;
  'models.download': { readonly started: true };
  'models.setDefault': ModelsResponse;
}

/** Pushed to every front door (SSE `/api/events`, IPC `foley:event`). */
export type ApiEvent =
  | { readonly type: 'index'; readonly state: IndexState }
  | { readonly type: 'index.failure'; readonly file: string; readonly error: string }
  | { readonly type: 'models'; readonly download: DownloadState | null }
  | { readonly type: 'library' };

/** What the renderer talks to, whichever front door it runs behind. */
export interface FoleyClient {
  call<M extends Method>(method: M, params: RequestOf<M>): Promise<Responses[M]>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** URL the renderer may put in <video src>: the file is served only if it lies in a library root. */
  mediaUrl(file: string): string;
  thumbUrl(fileId: number, startS: number): string;
  /** Electron only: native dialogs and dropped files' paths. */
  readonly native?: NativeBridge;
}

export interface NativeBridge {
  pickFolder(): Promise<string | null>;
  pickCheckpoint(): Promise<string | null>;
}

/** The relative media paths both front doors serve (`/api/media/…` over HTTP, `foley-media://media/…` in Electron). */
export function mediaPath(file: string): string {
  return `file/${encodeURIComponent(file)}`;
}

export function thumbPathFor(fileId: number, startS: number): string {
  return `thumb/${fileId}/${Math.round(startS * 1000)}.png`;
}

export type MediaRef = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'thumb'; readonly fileId: number; readonly startMs: number };

/** Parses the part after the media prefix; undefined for anything else (a 404, never a guess). */
export function parseMediaRef(rest: string): MediaRef | undefined {
  const file = /^file\/([^/]+)$/.exec(rest);
  if (file !== null) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(file[1]!);
    } catch {
      return undefined;
    }
    return { kind: 'file', path: decoded };
  }
  const thumb = /^thumb\/(\d{1,12})\/(\d{1,12})\.png$/.exec(rest);
  if (thumb !== null) return { kind: 'thumb', fileId: Number(thumb[1]), startMs: Number(thumb[2]) };
  return undefined;
}

/**
 * What electron/preload exposes as `window.foley` (contextBridge): invoke one contract method (the main
 * process validates it), listen to events, and the native bits a browser cannot do.
 */
export interface PreloadBridge {
  call(method: Method, params: unknown): Promise<unknown>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  pickFolder(): Promise<string | null>;
  pickCheckpoint(): Promise<string | null>;
  /** The path of a dropped File (Electron's webUtils.getPathForFile); '' when it has none. */
  pathForFile(file: File): string;
}

/** IPC channel names (one invoke channel carries every method, validated on the main side). */
export const IPC = { call: 'foley:call', event: 'foley:event', pickFolder: 'foley:pick-folder', pickCheckpoint: 'foley:pick-checkpoint' } as const;
