// The API's implementation over the core services: one object per open library, used by `foley serve`
// directly and by Electron's utility process (electron/worker.ts), which the main process forwards IPC
// calls to. Every call is validated here again (the contract's validators), whoever the caller is.
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { addRoot, listRoots, removeRoot } from '../../db/roots.ts';
import { releaseEncoders } from '../embedding.ts';
import { JobControl } from '../indexing/control.ts';
import { runIndex } from '../indexing/indexer.ts';
import type { IndexProgress } from '../indexing/progress.ts';
import { modelRecord, openLibrary } from '../library.ts';
import type { Library } from '../library.ts';
import { downloadOfficialModel } from '../models/official.ts';
import { OFFICIAL_CHECKPOINTS } from '../models/registry.ts';
import { importModel, listModels, resolveModel, setDefaultModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { search } from '../search/index.ts';
import { queryEmbeddings } from '../search/query.ts';
import type { SearchRequest } from '../search/types.ts';
import { libraryStatus } from '../status.ts';
import { ensureThumbnail, thumbnailWriter } from '../thumbnails.ts';
import { chooseProvider } from '../../native-models/runtime/providers.ts';
import type { ProviderName } from '../../base/types.ts';
import { isMethod, validateRequest } from './contract.ts';
import type { ApiEvent, ApiQuery, Handler, DownloadState, IndexState, MediaRef, Method, ModelInfo, ModelsResponse, RequestOf, Responses, RootsResponse } from './contract.ts';
import { ApiError } from './errors.ts';
import { confineToRoots, contentTypeOf } from './media.ts';
import { debounceFromEnv, isLearningMethod, learningHandlers } from './learning.ts';
import type { LearningMethod } from './learning.ts';
import { createLearning } from '../learning/learning-service.ts';
import type { TrainOptions } from '../learning/training/trainer.ts';

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

function rootsOf(library: Library): RootsResponse {
  return { roots: listRoots(library.db).map((r) => ({ path: r.path, online: existsSync(r.path) })) };
}

function modelInfo(m: InstalledModel, defaultName: string | null): ModelInfo {
  return {
    name: m.manifest.name,
    kind: m.manifest.config.kind,
    embedDim: m.manifest.config.embedDim,
    precision: m.manifest.precision,
    bytes: m.bytes,
    sourceFile: m.manifest.source.fileName,
    isDefault: m.manifest.name === defaultName,
  };
}

export function createApi(options: ApiOptions): FoleyApi {
  const { dataDir } = options;
  const library = openLibrary(dataDir);
  const session = { ...(options.provider !== undefined ? { provider: options.provider } : {}), ...(options.threads !== undefined ? { threads: options.threads } : {}) };
  const listeners = new Set<(e: ApiEvent) => void>();
  const emit = (e: ApiEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A broken listener (a closed SSE stream) must not stop the others.
      }
    }
  };
  const uploads = path.join(dataDir, 'tmp', 'queries');
  // Labels and the background training job (one scheduler for this library's default model).
  const debounce = options.trainDebounceMs ?? debounceFromEnv();
  const learning = createLearning({
    library,
    dataDir,
    emit,
    session,
    ...(debounce !== undefined ? { debounceMs: debounce } : {}),
    ...(options.trainOptions !== undefined ? { trainOptions: options.trainOptions } : {}),
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
  });
  const learningTable = learningHandlers(learning);

  // Indexing, in this process: runIndex is asynchronous (ffmpeg and ONNX Runtime work off this thread).
  let control: JobControl | null = null;
  let running: Promise<void> | null = null;
  let index: IndexState = { state: 'idle', progress: null, last: null, error: null, failures: [] };
  let lastProgressAt = 0;
  const setIndex = (patch: Partial<IndexState>, force = true): void => {
    index = { ...index, ...patch };
    const now = performance.now();
    if (force || now - lastProgressAt >= (options.progressIntervalMs ?? 250)) {
      lastProgressAt = now;
      emit({ type: 'index', state: index });
    }
  };

  let download: DownloadState | null = null;
  let downloading: Promise<void> | null = null;
  let provider: Promise<{ provider: string; notes: string[] }> | null = null;

  const defaultModelName = async (): Promise<string | null> => (await resolveModel(dataDir, undefined).catch(() => undefined))?.manifest.name ?? null;

  async function modelsResponse(): Promise<ModelsResponse> {
    provider ??= chooseProvider(options.provider ?? 'auto').then(
      (c) => ({ provider: c.provider, notes: c.attempts.filter((a) => !a.ok).map((a) => `${a.provider} unavailable: ${a.error ?? ''}`) }),
      (e: unknown) => ({ provider: 'none', notes: [e instanceof Error ? e.message : String(e)] }),
    );
    const [models, def, p] = await Promise.all([listModels(dataDir), defaultModelName(), provider]);
    return {
      provider: p.provider,
      providerNotes: p.notes,
      models: models.map((m) => modelInfo(m, def)),
      official: OFFICIAL_CHECKPOINTS.map((c) => ({ name: c.name, title: c.title, use: c.use, installed: models.some((m) => m.manifest.name === c.name) })),
      download,
    };
  }

  async function runSearch(req: RequestOf<'search'>): Promise<Responses['search']> {
    const base = {
      ...(req.in !== undefined ? { in: req.in } : {}),
      ...(req.top !== undefined ? { top: req.top } : {}),
      ...(req.offset !== undefined ? { offset: req.offset } : {}),
      ...(req.model !== undefined ? { model: req.model } : {}),
    };
    const q: ApiQuery = req.query;
    if (q.kind === 'upload') {
      // The bytes go to a private temp file (ffmpeg reads files), removed right after.
      await mkdir(uploads, { recursive: true });
      const ext = q.media === 'image' ? '.img' : '.media';
      const file = path.join(uploads, `${randomUUID()}${ext}`);
      await writeFile(file, q.bytes, { mode: 0o600 });
      try {
        const query: SearchRequest['query'] = q.media === 'image' ? { kind: 'image', file } : { kind: 'audio', file };
        return await search(library, { ...base, query }, session);
      } finally {
        await rm(file, { force: true });
      }
    }
    if (q.kind === 'pcm') return search(library, { ...base, query: { kind: 'pcm', samples: q.samples, sampleRate: 16_000 } }, session);
    // A moment. With `use`, only one of its embeddings is the query (frame → sounds, sound → pictures).
    if (q.use === undefined) return search(library, { ...base, query: { kind: 'moment', file: q.file, at: q.at } }, session);
    const model = await resolveModel(dataDir, req.model);
    const e = await queryEmbeddings(library.db, model, modelRecord(library, model), { kind: 'moment', file: q.file, at: q.at }, session);
    const v = e[q.use];
    if (v === undefined) throw new ApiError('not_found', `this moment has no ${q.use === 'visual' ? 'picture' : 'sound'} to search from`);
    const response = await search(library, { ...base, in: req.in ?? (q.use === 'visual' ? 'audio' : 'visual'), query: { kind: 'embedding', [q.use]: Array.from(v) } }, session);
    return { ...response, query: { ...response.query, kind: 'moment' } };
  }

  async function startIndex(req: RequestOf<'index.start'>): Promise<IndexState> {
    if (running !== null) throw new ApiError('conflict', 'indexing is already running');
    const model = await resolveModel(dataDir, undefined);
    for (const r of req.roots ?? []) if (!existsSync(r) || !statSync(r).isDirectory()) throw new ApiError('bad_request', `${r}: not a folder`);
    if ((req.roots ?? []).length === 0 && listRoots(library.db).length === 0) throw new ApiError('bad_request', 'add a folder to the library first');
    const c = new JobControl();
    control = c;
    const failures: Array<{ path: string; error: string }> = [];
    setIndex({ state: 'running', progress: null, error: null, failures });
    running = runIndex({
      library,
      model,
      control: c,
      ...(req.roots !== undefined ? { roots: req.roots } : {}),
      ...(req.retryFailed === true ? { retryFailed: true } : {}),
      ...session,
      onProgress: (p: IndexProgress) => {
        const state = p.phase === 'paused' ? 'paused' : c.current === 'cancelled' ? 'cancelling' : c.current === 'paused' ? 'paused' : 'running';
        setIndex({ state, progress: p }, p.phase !== 'indexing' || state !== index.state);
      },
      onFailure: (file, error) => {
        failures.push({ path: file, error });
        setIndex({ failures: [...failures] });
        emit({ type: 'index.failure', file, error });
      },
      onFrame: thumbnailWriter(dataDir),
    }).then(
      (summary) => setIndex({ state: 'idle', last: summary, failures: [...summary.failed] }),
      (e: unknown) => setIndex({ state: 'idle', error: e instanceof Error ? e.message.split('\n')[0]! : String(e) }),
    ).finally(() => {
      running = null;
      control = null;
      emit({ type: 'library' });
    });
    return index;
  }

  async function handle<M extends Method>(method: M, params: RequestOf<M>): Promise<Responses[M]> {
    // Each case returns its method's response type; the map lookup keeps the switch honest.
    const r = await dispatch(method, params as RequestOf<Method>);
    return r as Responses[M];
  }

  async function dispatch(method: Method, params: RequestOf<Method>): Promise<Responses[Method]> {
    if (isLearningMethod(method)) return (learningTable[method] as Handler<LearningMethod>)(params as RequestOf<LearningMethod>);
    switch (method) {
      case 'status': {
        const def = await defaultModelName();
        return { library: libraryStatus(library), index, models: (await listModels(dataDir)).map((m) => m.manifest.name), defaultModel: def } satisfies Responses['status'];
      }
      case 'search':
        return runSearch(params as RequestOf<'search'>);
      case 'index.start':
        return startIndex(params as RequestOf<'index.start'>);
      case 'index.pause':
        if (control === null) throw new ApiError('conflict', 'indexing is not running');
        control.pause();
        setIndex({ state: 'paused' });
        return index;
      case 'index.resume':
        if (control === null) throw new ApiError('conflict', 'indexing is not running');
        control.resume();
        setIndex({ state: 'running' });
        return index;
      case 'index.cancel':
        if (control === null) throw new ApiError('conflict', 'indexing is not running');
        control.cancel();
        setIndex({ state: 'cancelling' });
        return index;
      case 'library.addRoot': {
        const p = path.resolve((params as RequestOf<'library.addRoot'>).path);
        const st = await stat(p).catch(() => undefined);
        if (st === undefined || !st.isDirectory()) throw new ApiError('bad_request', `${p}: not a folder`);
        addRoot(library.db, p);
        emit({ type: 'library' });
        return rootsOf(library);
      }
      case 'library.removeRoot': {
        if (running !== null) throw new ApiError('conflict', 'wait for indexing to finish (or cancel it) before removing a folder');
        const p = path.resolve((params as RequestOf<'library.removeRoot'>).path);
        const root = listRoots(library.db).find((r) => r.path === p);
        if (root === undefined) throw new ApiError('not_found', `${p}: not a folder of the library`);
        removeRoot(library.db, root.id);
        emit({ type: 'library' });
        return rootsOf(library);
      }
      case 'models.list':
        return modelsResponse();
      case 'models.import': {
        const req = params as RequestOf<'models.import'>;
        const report = (p: { stage: string; label: string; done: number; total: number; unit: 'bytes' | 'items' }): void => {
          download = { name: req.name ?? path.basename(req.file), ...p, error: null, finished: false };
          emit({ type: 'models', download });
        };
        const r = await importModel(dataDir, req.file, { ...(req.name !== undefined ? { name: req.name } : {}), ...(req.heads !== undefined ? { heads: req.heads } : {}), onProgress: report });
        download = null;
        emit({ type: 'models', download });
        return modelInfo(r.model, await defaultModelName());
      }
      case 'models.download': {
        const { name } = params as RequestOf<'models.download'>;
        if (downloading !== null) throw new ApiError('conflict', 'a download is already running');
        if (OFFICIAL_CHECKPOINTS.every((c) => c.name !== name.toLowerCase())) throw new ApiError('bad_request', `unknown model "${name}"`);
        download = { name, stage: 'download', label: 'Starting', done: 0, total: 0, unit: 'bytes', error: null, finished: false };
        emit({ type: 'models', download });
        downloading = downloadOfficialModel(dataDir, name, {
          onProgress: (p) => {
            download = { name, ...p, error: null, finished: false };
            emit({ type: 'models', download });
          },
        }).then(
          () => {
            download = { ...download!, finished: true };
          },
          (e: unknown) => {
            download = { ...download!, error: e instanceof Error ? e.message.split('\n')[0]! : String(e), finished: true };
          },
        ).finally(() => {
          downloading = null;
          emit({ type: 'models', download });
        });
        return { started: true };
      }
      case 'models.setDefault': {
        const m = await resolveModel(dataDir, (params as RequestOf<'models.setDefault'>).name);
        await setDefaultModel(dataDir, m.manifest.name);
        return modelsResponse();
      }
    }
  }

  return {
    dataDir,
    async call(method, params) {
      if (!isMethod(method)) throw new ApiError('bad_request', `unknown method "${String(method).slice(0, 60)}"`);
      return handle(method, validateRequest(method, params));
    },
    invoke: (method, params) => handle(method, validateRequest(method, params)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async resolveMedia(ref) {
      if (ref.kind === 'file') {
        const real = await confineToRoots(listRoots(library.db).map((r) => r.path), ref.path);
        return { path: real, contentType: contentTypeOf(real) };
      }
      const file = await ensureThumbnail(library.db, dataDir, ref.fileId, ref.startMs).catch((e: unknown) => {
        throw new ApiError('not_found', `no thumbnail: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      });
      if (file === undefined) throw new ApiError('not_found', 'no such moment');
      return { path: file, contentType: 'image/png' };
    },
    async close() {
      control?.interrupt();
      await running?.catch(() => undefined);
      await learning.close();
      await downloading?.catch(() => undefined);
      listeners.clear();
      library.close();
      await releaseEncoders();
    },
  };
}
