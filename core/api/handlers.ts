// The API over the core services: one object per open library, used by `foley serve` directly and by
// Electron's utility process (electron/worker.ts), which the main process forwards IPC calls to.
// Each contract method is one entry of a table calling one service; every call is validated here again
// (the contract's validators), whoever the caller is.
import { releaseEncoders } from '../embedding/encoders.ts';
import { IndexSession } from '../indexing/session.ts';
import { TaggingSession } from '../tagging/session.ts';
import { ensureFrameThumbnail, ensureThumbnail } from '../indexing/thumbnails.ts';
import { ensureSpectrogram } from '../localisation/spectrogram.ts';
import { openLibrary } from '../library/handle.ts';
import type { Library } from '../library/handle.ts';
import { addFolders, listFolders, removeFolders } from '../library/folders.ts';
import { ModelCatalog } from '../models/catalog.ts';
import { libraryStatus } from '../status.ts';
import type { ProviderName } from '../../base/types.ts';
import { FoleyError } from '../../base/errors.ts';
import { isMethod, validateRequest } from './contract.ts';
import type { ApiEvent, CatalogModels, HandlerTable, MediaRef, Method, ModelsResponse, RequestOf, Responses, RootsResponse } from './contract.ts';
import { ApiError } from './errors.ts';
import { confineToRoots, contentTypeOf } from './media.ts';
import { debounceFromEnv, learningHandlers } from './learning.ts';
import { createLearning } from '../learning/learning-service.ts';
import type { LearningService } from '../learning/learning-service.ts';
import { searchMethod } from './search-query.ts';
import { suggestNames } from '../search/name-suggest.ts';
import { taggingStatus } from '../tagging/status.ts';
import { localizeMethod } from './localize.ts';
import type { TrainOptions } from '../learning/training/trainer.ts';
import { EvaluationSession } from '../evaluation/session.ts';
import { evaluationHandlers } from './evaluation.ts';
import { interactive } from '../../base/interactive.ts';

export interface ApiOptions {
  readonly dataDir: string;
  readonly provider?: ProviderName | 'auto';
  readonly threads?: number;
  /** Index progress events at most this often (phase changes always go out). Default 250 ms. */
  readonly progressIntervalMs?: number;
  /** Quiet time after the last label change before training starts by itself; default FOLEY_TRAIN_DEBOUNCE_MS, else 60 s. */
  readonly trainDebounceMs?: number;
  readonly trainOptions?: TrainOptions;
}

export interface ResolvedMedia {
  readonly path: string;
  readonly contentType: string;
}

export interface FoleyApi {
  /** Validates `params` for `method` (unknown method → bad_request) and runs it. */
  call(method: string, params: unknown): Promise<unknown>;
  invoke<M extends Method>(method: M, params: RequestOf<M>): Promise<Responses[M]>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** A media reference → a file that may be served (confined to the library roots / thumbnail cache). */
  resolveMedia(ref: MediaRef): Promise<ResolvedMedia>;
  /** Stops indexing (resumable) and closes the library. */
  close(): Promise<void>;
  readonly dataDir: string;
}

/** Listeners of API events; a broken one (a closed SSE stream) must not stop the others. */
class EventHub {
  private readonly listeners = new Set<(e: ApiEvent) => void>();

  readonly emit = (e: ApiEvent): void => {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // Ignored on purpose: see above.
      }
    }
  };

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}

interface Services {
  readonly library: Library;
  readonly indexing: IndexSession;
  /** Background tagging after each index run (core/tagging/session.ts). */
  readonly tagging: TaggingSession;
  readonly models: ModelCatalog;
  readonly learning: LearningService;
  readonly evaluation: EvaluationSession;
  readonly hub: EventHub;
  readonly session: { readonly provider?: ProviderName | 'auto'; readonly threads?: number };
}

/** library.* answer with the folders as they are now, and tell every front door the library changed. */
function foldersChanged(s: Services): RootsResponse {
  s.hub.emit({ type: 'library' });
  return { roots: listFolders(s.library) };
}

function addFolder(s: Services, dir: string): RootsResponse {
  addFolders(s.library, [dir]);
  return foldersChanged(s);
}

/** Not while this process indexes: the run would write files under a folder that is gone. */
function removeFolder(s: Services, dir: string): RootsResponse {
  if (s.indexing.isRunning) throw new FoleyError('wait for indexing to finish (or cancel it) before removing a folder', { code: 'conflict' });
  removeFolders(s.library, [dir]);
  return foldersChanged(s);
}

/** The Models page's answer: the catalogue, and how far the model that tags has got (core/tagging/status.ts). */
async function withTagging(s: Services, models: CatalogModels): Promise<ModelsResponse> {
  return { ...models, tagging: await taggingStatus(s.library) };
}

/** The one table from contract method to service. */
function handlerTable(s: Services): HandlerTable<Method> {
  return {
    status: async () => ({ library: libraryStatus(s.library), index: s.indexing.state, models: await s.models.names(), defaultModel: await s.models.defaultName() }),
    // Interactive: indexing and training in this process hold back while these run (base/interactive.ts).
    search: (req) => interactive(() => searchMethod(s.library, req, s.session)),
    localize: (req) => interactive(() => localizeMethod(s.library, req, s.session)),
    'index.start': (req) => s.indexing.start(req),
    'index.pause': async () => s.indexing.pause(),
    'index.resume': async () => s.indexing.resume(),
    'index.cancel': async () => s.indexing.cancel(),
    'library.addRoot': async (req) => addFolder(s, req.path),
    'library.removeRoot': async (req) => removeFolder(s, req.path),
    'search.suggest': (req) => suggestNames(s.library, req),
    'models.list': async () => withTagging(s, await s.models.list()),
    'models.import': (req) => s.models.import(req),
    'models.download': async (req) => s.models.startDownload(req.name),
    'models.setDefault': async (req) => withTagging(s, await s.models.setDefault(req.name)),
    'tagging.pause': async () => {
      s.tagging.pause();
      return taggingStatus(s.library);
    },
    'tagging.resume': async () => {
      s.tagging.resume();
      return taggingStatus(s.library);
    },
    'tagging.cancel': async () => {
      s.tagging.cancel();
      return taggingStatus(s.library);
    },
    ...learningHandlers(s.learning),
    ...evaluationHandlers(s.evaluation),
  };
}

export function createApi(options: ApiOptions): FoleyApi {
  const { dataDir } = options;
  const library = openLibrary(dataDir);
  const session = { ...(options.provider !== undefined ? { provider: options.provider } : {}), ...(options.threads !== undefined ? { threads: options.threads } : {}) };
  const hub = new EventHub();
  const debounce = options.trainDebounceMs ?? debounceFromEnv();
  const tagging = new TaggingSession({ library, runtime: session });
  const services: Services = {
    library,
    hub,
    session,
    tagging,
    indexing: new IndexSession({
      library,
      runtime: session,
      emit: hub.emit,
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
      // An index run is followed by a background tagging run when a tagging model is installed.
      onDone: () => tagging.start(),
    }),
    models: new ModelCatalog({
      dataDir,
      ...(options.provider !== undefined ? { provider: options.provider } : {}),
      emit: hub.emit,
      // A fine-tuned model just installed tags the library already indexed, in the background.
      onInstalled: () => tagging.start(),
    }),
    evaluation: new EvaluationSession({ library, runtime: session, emit: hub.emit, ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}) }),
    // Labels and the background training job (one scheduler for this library's default model).
    learning: createLearning({
      library,
      dataDir,
      emit: hub.emit,
      session,
      ...(debounce !== undefined ? { debounceMs: debounce } : {}),
      ...(options.trainOptions !== undefined ? { trainOptions: options.trainOptions } : {}),
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    }),
  };
  const table = handlerTable(services);
  const invoke = <M extends Method>(method: M, params: RequestOf<M>): Promise<Responses[M]> => (table[method] as (p: RequestOf<M>) => Promise<Responses[M]>)(params);

  return {
    dataDir,
    async call(method, params) {
      if (!isMethod(method)) throw new ApiError('bad_request', `unknown method "${String(method).slice(0, 60)}"`);
      return invoke(method, validateRequest(method, params));
    },
    invoke: (method, params) => invoke(method, validateRequest(method, params)),
    subscribe: (listener) => hub.subscribe(listener),
    resolveMedia: (ref) => resolveMedia(library, ref),
    async close() {
      await services.indexing.close();
      await services.tagging.close();
      await services.evaluation.close();
      await services.learning.close();
      await services.models.close();
      hub.clear();
      library.close();
      await releaseEncoders();
    },
  };
}

/** Library files confined to the library's folders; thumbnails and spectrograms from the cache (made now when missing). */
async function resolveMedia(library: Library, ref: MediaRef): Promise<ResolvedMedia> {
  if (ref.kind === 'file') {
    const real = await confineToRoots(listFolders(library).map((r) => r.path), ref.path);
    return { path: real, contentType: contentTypeOf(real) };
  }
  const make = ref.kind === 'thumb' ? ensureThumbnail : ref.kind === 'frame' ? ensureFrameThumbnail : ensureSpectrogram;
  const file = await make(library.db, library.dataDir, ref.fileId, ref.startMs).catch((e: unknown) => {
    throw new ApiError('not_found', `no ${ref.kind === 'spectrogram' ? 'spectrogram' : 'thumbnail'}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  });
  if (file === undefined) throw new ApiError('not_found', 'no such moment');
  return { path: file, contentType: 'image/png' };
}
