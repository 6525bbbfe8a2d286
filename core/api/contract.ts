// The one API description shared by every front door: Electron IPC (preload → main → utility process),
// `foley serve` (HTTP + server-sent events) and the renderer's client. Each method has a request
// validator (run on the trusted side of every boundary) and a response type. This module is plain
// TypeScript with no Node imports, so the browser bundle can use it too.
import type { SearchResponse, SearchResult } from '../search/types.ts';
import type { ClassSearchResponse, ClassSearchResult } from '../search/class-search.ts';
import type { NameSuggestions } from '../search/name-suggest.ts';
import type { TaggingStatus } from '../tagging/status.ts';
import type { LibraryStatus } from '../status.ts';
import type { IndexProgress, IndexSummary } from '../indexing/progress.ts';
import type { LabelSearchResponse } from '../learning/label-search.ts';
import type { LearnedFrom } from '../learning/few-shot.ts';
export type { LearnedFrom };
import type { ImportResult, LabelView } from '../learning/labels.ts';
import type { TrainProgress, TrainSummary } from '../learning/training/trainer.ts';
import type { TrainedVersion } from '../../db/learning.ts';
import type { Suggestion as LearnedSuggestion } from '../learning/suggestions.ts';
import type { LocalizeResponse } from '../localisation/types.ts';
import type { EvalState } from '../evaluation/session.ts';
import { arrayOf, bool, bytes, literal, num, obj, oneOf, optional, str, tagged } from './validate.ts';
import type { Infer, Validator } from './validate.ts';
import { ApiError } from './errors.ts';
import { MAX_FRAMES_PER_WINDOW, MIN_AUDIO_SAMPLES } from '../../base/window-plan.ts';
import type { CalibrationReport } from '../../base/types.ts';

export type { SearchIn, SearchResponse, SearchResult, SearchMoment } from '../search/types.ts';
export type { LibraryStatus } from '../status.ts';
export type { IndexProgress, IndexSummary } from '../indexing/progress.ts';
export type { LabelMoment, LabelSearchResponse } from '../learning/label-search.ts';
export type { ImportResult, LabelView } from '../learning/labels.ts';
export type { TrainProgress, TrainSummary } from '../learning/training/trainer.ts';
export type { TrainedVersion } from '../../db/learning.ts';
export type { LocalizeResponse, LocalisedMoment, Localisation, MapJson } from '../localisation/types.ts';
export type { EvalState } from '../evaluation/session.ts';
export type { NameSuggestions, NameSuggestion, ClassNameSuggestion, LabelNameSuggestion, NoClassNames } from '../search/name-suggest.ts';
export type { TaggingStatus } from '../tagging/status.ts';
export type { StoredEvaluation, EvaluationFigures } from '../../db/evaluations.ts';

/** eval.run's library mode: at most this many files (the CLI's default too). */
export const MAX_EVAL_FILES = 100_000;

/** Largest query file (audio, video or image) accepted over IPC or HTTP. */
export const MAX_UPLOAD_BYTES = 64 * 2 ** 20;
/** Largest JSON request body over HTTP. */
export const MAX_JSON_BYTES = 1 * 2 ** 20;
/** Microphone queries: at most 60 s of 16-kHz samples. */
export const MAX_PCM_SAMPLES = 16_000 * 60;
export const MAX_PATH_LENGTH = 4096;
export const MAX_TOP = 200;
/** Label names: what core/learning/labels.ts accepts (trimmed, no tabs or line breaks). */
export const MAX_LABEL_NAME = 200;
/** An imported label file travels inside a JSON body (MAX_JSON_BYTES): a little under it. */
export const MAX_LABEL_TEXT = 900_000;
/** Moments localised by one `localize` call (a page of results). */
export const MAX_LOCALIZE_TARGETS = 50;
/** Seconds into a file: finite, ≥ 0, at most ~115 days. */
export const MAX_SECONDS = 1e7;

/** An absolute path on any of the platforms the app runs on (POSIX, C:\…, \\server\share). */
export const absolutePath: Validator<string> = (v, at) => {
  const s = str({ minLength: 1, maxLength: MAX_PATH_LENGTH })(v, at);
  return str({ pattern: /^(\/|[A-Za-z]:[\\/]|\\\\[^\\])/ })(s, `${at} (an absolute path)`);
};

const modelName = str({ minLength: 1, maxLength: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/ });
const searchIn = oneOf(['audio', 'visual', 'both'] as const);

const QUERY_VARIANTS = {
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
    samples: arrayOf(num({ min: -1, max: 1 }), { minItems: MIN_AUDIO_SAMPLES, maxItems: MAX_PCM_SAMPLES }),
  }),
};
/** A sound or picture to search from (search, localize). */
export const queryValidator = tagged(QUERY_VARIANTS);
export type ApiQuery = Infer<typeof queryValidator>;

/** Class names and typed text: at most this long (the longest AudioSet name is under 60 characters). */
export const MAX_NAME_TEXT = 200;
/** Typed text: 1–200 characters, something other than spaces. */
const typedText: Validator<string> = (v, at) => {
  const s = str({ minLength: 1, maxLength: MAX_NAME_TEXT })(v, at);
  if (s.trim() === '') throw new ApiError('bad_request', `${at}: must not be blank`);
  return s;
};
/** search.suggest lists at most this many names. */
export const MAX_SUGGESTIONS = 50;

/**
 * What `search` takes: a sound or picture, or a class name (`text`: "dog", "Bark"), ranked by the
 * probability the tagging model (or `model`) gives that class. Text has no picture or sound side, so
 * localize does not take it.
 */
export const searchQueryValidator = tagged({
  ...QUERY_VARIANTS,
  text: obj({ kind: literal('text'), text: typedText }),
});
export type SearchQuery = Infer<typeof searchQueryValidator>;

const empty = obj({});

/** A label name: 1–200 characters, something other than spaces, no tabs or line breaks. */
export const labelName: Validator<string> = (v, at) => {
  const s = str({ minLength: 1, maxLength: MAX_LABEL_NAME })(v, at);
  if (/[\r\n\t]/.test(s)) throw new ApiError('bad_request', `${at}: must not contain tabs or line breaks`);
  if (s.trim() === '') throw new ApiError('bad_request', `${at}: must not be blank`);
  return s;
};
/** A row id (file, window, label, version). */
const rowId = num({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
/** A library file: its id, or its absolute path (confined to the library folders by the handler). */
export const fileRef: Validator<number | string> = (v, at) => (typeof v === 'number' ? rowId(v, at) : absolutePath(v, at));
const seconds = num({ min: 0, max: MAX_SECONDS });
const labelFormat = oneOf(['csv', 'json'] as const);
const versionKind = oneOf(['head', 'adapter'] as const);

export const requestValidators = {
  status: empty,
  search: obj({
    query: searchQueryValidator,
    in: optional(searchIn),
    top: optional(num({ min: 1, max: MAX_TOP, integer: true })),
    offset: optional(num({ min: 0, max: 10_000, integer: true })),
    model: optional(modelName),
    /** Picture queries: localise each result's sound against the picture and give its `peak` time. */
    refine: optional(bool()),
    /**
     * Sound and picture queries: only windows the tagging model gives this class at least `min`
     * probability (default 0.5): "sounds like this clip, and is a dog".
     */
    class: optional(obj({ text: typedText, min: optional(num({ min: 0.001, max: 0.999 })) })),
  }),
  /**
   * Type-ahead for the search bar: the tagging model's (or `model`'s) class names and the user's label
   * names that match what has been typed, best first (`limit`, default 12).
   */
  'search.suggest': obj({ text: typedText, limit: optional(num({ min: 1, max: MAX_SUGGESTIONS, integer: true })), model: optional(modelName) }),
  /**
   * Where the query's sound is in each target's picture and where the query's picture is heard in each
   * target's sound (spec §9). The query is one side of every pair (a moment query says which with
   * `use`); each target moment gives the other: its window's sound or the frame at its middle.
   */
  localize: obj({
    query: queryValidator,
    targets: arrayOf(obj({ file: fileRef, at: seconds }), { minItems: 1, maxItems: MAX_LOCALIZE_TARGETS }),
    model: optional(modelName),
  }),
  /** `frames`: pictures as the mean of that many frames per window (1–16; default: as the model's last run). */
  'index.start': obj({ roots: optional(arrayOf(absolutePath, { maxItems: 100 })), retryFailed: optional(bool()), frames: optional(num({ min: 1, max: MAX_FRAMES_PER_WINDOW, integer: true })) }),
  'index.pause': empty,
  'index.resume': empty,
  'index.cancel': empty,
  'library.addRoot': obj({ path: absolutePath }),
  'library.removeRoot': obj({ path: absolutePath }),
  'models.list': empty,
  'models.import': obj({
    file: absolutePath,
    name: optional(modelName),
    heads: optional(num({ min: 1, max: 64, integer: true })),
    precision: optional(oneOf(['auto', 'fp32', 'int8', 'int8-mixed', 'fp16'] as const)),
  }),
  'models.download': obj({ name: modelName }),
  'models.setDefault': obj({ name: modelName }),
  /** The app's background tagging run: hold it, go on, or stop it (what it stored stays). */
  'tagging.pause': empty,
  'tagging.resume': empty,
  'tagging.cancel': empty,
  /** Label names with counts; with `name` or `file`, also those labels (at most MAX_LISTED_LABELS). */
  'labels.list': obj({ name: optional(labelName), file: optional(fileRef) }),
  /** A moment (start, end? seconds; snapped to the file's windows) or, without start, the whole file. */
  'labels.add': obj({ file: fileRef, start: optional(seconds), end: optional(seconds), name: labelName, polarity: optional(oneOf(['positive', 'negative'] as const)) }),
  /** By ids, or every label of a name (exactly one of the two). */
  'labels.remove': obj({ ids: optional(arrayOf(rowId, { minItems: 1, maxItems: 1000 })), name: optional(labelName) }),
  'labels.rename': obj({ from: labelName, to: labelName }),
  'labels.merge': obj({ from: arrayOf(labelName, { minItems: 1, maxItems: 100 }), into: labelName }),
  'labels.export': obj({ format: labelFormat, name: optional(labelName) }),
  'labels.import': obj({ format: labelFormat, text: str({ minLength: 1, maxLength: MAX_LABEL_TEXT }) }),
  /** Labelled moments first, then predicted ones (trained head or few-shot baseline) with their scores. */
  'labels.search': obj({ name: labelName, top: optional(num({ min: 1, max: MAX_TOP, integer: true })), model: optional(modelName) }),
  'training.status': empty,
  /** Train now (the debounce wait is skipped); a run already going is returned as it is. */
  'training.start': empty,
  'training.pause': empty,
  'training.resume': empty,
  'training.cancel': empty,
  'training.versions': obj({ kind: optional(versionKind) }),
  /** The kept version before the active one, or `versionId`; none left: back to the baseline. */
  'training.rollback': obj({ kind: versionKind, versionId: optional(rowId) }),
  'suggestions.list': obj({ name: labelName, top: optional(num({ min: 1, max: 100, integer: true })) }),
  /** accepted → a positive label on that window, rejected → a negative one; both feed the next round. */
  'suggestions.answer': obj({ name: labelName, windowId: rowId, answer: oneOf(['accepted', 'rejected'] as const) }),
  /**
   * Evaluates a model (default: the default one) on this library in the background: one window per
   * file with both vectors (`seed` picks which; `limit` files, default 5,000), R@1/5/10 and the median
   * rank both ways; `adapter` also through the active trained adapter. Progress comes as 'eval' events.
   */
  'eval.run': obj({
    model: optional(modelName),
    limit: optional(num({ min: 1, max: MAX_EVAL_FILES, integer: true })),
    seed: optional(num({ min: 0, max: 0xffffffff, integer: true })),
    adapter: optional(bool()),
  }),
  /** What runs, its progress, and per installed model the last stored evaluation. */
  'eval.status': empty,
  'eval.cancel': empty,
} as const satisfies Record<string, Validator<object>>;

export type Method = keyof typeof requestValidators;
export type RequestOf<M extends Method> = Infer<(typeof requestValidators)[M]>;

/** What runs one method: validated params in, the method's response out (core/api's table of these is the API). */
export type Handler<M extends Method> = (params: RequestOf<M>) => Promise<Responses[M]>;
/** Handlers for a set of methods; the API is the union of such tables, one per service. */
export type HandlerTable<K extends Method> = { readonly [M in K]: Handler<M> };
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
  /** The model family's title: 'CAV-MAE', 'CAV-MAE Sync'. */
  readonly family: string;
  readonly kind: string;
  readonly embedDim: number;
  /** The precision of the graphs in use (with auto: the one chosen). */
  readonly precision: string;
  /** What the import asked for: 'auto' or a precision. */
  readonly precisionRequest: string;
  /** What auto measured at import; null for an explicit precision. */
  readonly calibration: CalibrationReport | null;
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

/** What the model catalogue knows by itself (core/models/catalog.ts). */
export interface CatalogModels {
  readonly provider: string;
  readonly providerNotes: readonly string[];
  readonly models: readonly ModelInfo[];
  readonly official: ReadonlyArray<{ readonly name: string; readonly title: string; readonly use: string; readonly installed: boolean }>;
  readonly download: DownloadState | null;
}

export interface ModelsResponse extends CatalogModels {
  /** Which installed model tags the library, how, and how far it has got; null when none can tag. */
  readonly tagging: TaggingStatus | null;
}

/** The class a text search matched, on each of its results. */
export type ClassOfResult = Pick<ClassSearchResult, 'class' | 'classIndex' | 'mid'>;
/** A search result; a text search's also says which class gave it its score. */
export type ApiSearchResult = SearchResult & Partial<ClassOfResult>;
/** A text search's query: what was typed, the classes it stands for, where their names come from, and how many of the library's windows are tagged (results come from those). */
export type TextQueryInfo = Pick<ClassSearchResponse['query'], 'text' | 'classes' | 'names'> & Pick<ClassSearchResponse, 'tagged' | 'windows'>;

/** `search`'s answer: the search service's, with text searches' classes. */
export interface ApiSearchResponse extends Omit<SearchResponse, 'results' | 'query'> {
  readonly results: ApiSearchResult[];
  readonly query: Omit<SearchResponse['query'], 'kind'> & { readonly kind: SearchResponse['query']['kind'] | 'text'; readonly text?: TextQueryInfo };
}

export interface RootsResponse {
  readonly roots: ReadonlyArray<{ readonly path: string; readonly online: boolean }>;
}

export interface LabelName {
  readonly name: string;
  readonly positives: number;
  readonly negatives: number;
  /** Which modality the label's few-shot baseline relies on (weights summing to 1); null without a positive or a model. */
  readonly learnedFrom: LearnedFrom | null;
}

/** labels.list returns at most this many labels. */
export const MAX_LISTED_LABELS = 2000;

export interface LabelsResponse {
  readonly names: readonly LabelName[];
  /** Only with a `name` or `file` filter. */
  readonly labels: readonly LabelView[];
  readonly truncated: boolean;
}

export type TrainingOutcomeView =
  | { readonly status: 'done'; readonly jobId: number; readonly summary: TrainSummary; readonly at: number }
  | { readonly status: 'paused' | 'cancelled'; readonly jobId: number; readonly at: number }
  | { readonly status: 'failed'; readonly error: string; readonly at: number };

export interface TrainingState {
  /**
   * idle: nothing to do or waiting; scheduled: labels changed, a run starts at `startsAt`; running,
   * paused, cancelling: a run of this process; elsewhere: another process (the CLI) trains this model.
   */
  readonly state: 'idle' | 'scheduled' | 'running' | 'paused' | 'cancelling' | 'elsewhere';
  /** The model trained (the default one); null when none is installed. */
  readonly model: string | null;
  readonly jobId: number | null;
  /** Progress of the current run, with its ETA. */
  readonly progress: TrainProgress | null;
  /** Epoch milliseconds when the debounced run starts (state 'scheduled'). */
  readonly startsAt: number | null;
  readonly debounceMs: number;
  /** How the last run of this process ended. */
  readonly last: TrainingOutcomeView | null;
  readonly activeHead: TrainedVersion | null;
  readonly activeAdapter: TrainedVersion | null;
  /** Labels changed since the newest version was trained. */
  readonly labelsChanged: boolean;
  readonly versions: number;
}

/** A suggested window for a label (the trained version that scored it stays on the server). */
export type Suggestion = Omit<LearnedSuggestion, 'versionId'>;

export interface SuggestionsResponse {
  readonly name: string;
  /** Where they come from: the active trained head, the few-shot baseline (no head learned the label), or nowhere (no positives). */
  readonly source: 'trained' | 'few-shot' | null;
  /** Which modality the label's labels agree on; null without positives. */
  readonly learnedFrom: LearnedFrom | null;
  readonly suggestions: readonly Suggestion[];
}

export interface Responses {
  status: StatusResponse;
  search: ApiSearchResponse;
  'search.suggest': NameSuggestions;
  localize: LocalizeResponse;
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
  'tagging.pause': TaggingStatus | null;
  'tagging.resume': TaggingStatus | null;
  'tagging.cancel': TaggingStatus | null;
  'labels.list': LabelsResponse;
  'labels.add': { readonly label: LabelView; readonly added: boolean };
  'labels.remove': { readonly removed: number };
  'labels.rename': { readonly renamed: number };
  'labels.merge': { readonly merged: number };
  'labels.export': { readonly format: 'csv' | 'json'; readonly text: string; readonly count: number };
  'labels.import': ImportResult;
  'labels.search': LabelSearchResponse;
  'training.status': TrainingState;
  'training.start': TrainingState;
  'training.pause': TrainingState;
  'training.resume': TrainingState;
  'training.cancel': TrainingState;
  'training.versions': { readonly versions: readonly TrainedVersion[] };
  'training.rollback': { readonly active: TrainedVersion | null; readonly state: TrainingState };
  'suggestions.list': SuggestionsResponse;
  'suggestions.answer': { readonly label: LabelView; readonly answer: 'accepted' | 'rejected' };
  'eval.run': EvalState;
  'eval.status': EvalState;
  'eval.cancel': EvalState;
}

/** Pushed to every front door (SSE `/api/events`, IPC `foley:event`). */
export type ApiEvent =
  | { readonly type: 'index'; readonly state: IndexState }
  | { readonly type: 'index.failure'; readonly file: string; readonly error: string }
  | { readonly type: 'models'; readonly download: DownloadState | null }
  | { readonly type: 'library' }
  | { readonly type: 'training'; readonly state: TrainingState }
  | { readonly type: 'labels'; readonly names: readonly LabelName[] }
  | { readonly type: 'eval'; readonly state: EvalState };

/** Every event type (the SSE client listens to each by name). */
export const EVENT_TYPES = ['index', 'index.failure', 'models', 'library', 'training', 'labels', 'eval'] as const satisfies ReadonlyArray<ApiEvent['type']>;

/** What the renderer talks to, whichever front door it runs behind. */
export interface FoleyClient {
  call<M extends Method>(method: M, params: RequestOf<M>): Promise<Responses[M]>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** URL the renderer may put in <video src>: the file is served only if it lies in a library root. */
  mediaUrl(file: string): string;
  thumbUrl(fileId: number, startS: number): string;
  /** The spectrogram (PNG, 1 px per mel bin upwards from the lowest, the window's model input across) of the window starting at `startS`. */
  spectrogramUrl(fileId: number, startS: number): string;
  /** The video frame at `atS` of an indexed file (a frame-level model's hit, `SearchMoment.at`), as a thumbnail. */
  frameUrl(fileId: number, atS: number): string;
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

export function spectrogramPathFor(fileId: number, startS: number): string {
  return `spectrogram/${fileId}/${Math.round(startS * 1000)}.png`;
}

export function framePathFor(fileId: number, atS: number): string {
  return `frame/${fileId}/${Math.round(atS * 1000)}.png`;
}

export type MediaRef =
  | { readonly kind: 'file'; readonly path: string }
  /** `startMs`: the window's start for thumb and spectrogram, the frame's time for frame. */
  | { readonly kind: 'thumb' | 'spectrogram' | 'frame'; readonly fileId: number; readonly startMs: number };

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
  const window = /^(thumb|spectrogram|frame)\/(\d{1,12})\/(\d{1,12})\.png$/.exec(rest);
  if (window !== null) return { kind: window[1] as 'thumb' | 'spectrogram' | 'frame', fileId: Number(window[2]), startMs: Number(window[3]) };
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
