// The models of a data directory as a long-lived process serves them (the API's models.* methods):
// installed and official models, the default, imports, and at most one official download at a time,
// whose progress is kept for status calls and pushed as events.
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import type { PrecisionRequest, ProviderName } from '../../base/types.ts';
import type { CatalogModels, DownloadState, ModelInfo } from '../api/contract.ts';
import type { Progress } from '../progress.ts';
import { downloadOfficialModel } from './official.ts';
import { findOfficial, OFFICIAL_CHECKPOINTS } from './official-checkpoints.ts';
import { familyTitle, importModel, listModels, resolveModel, setDefaultModel } from './store.ts';
import type { InstalledModel } from './store.ts';
import { providerChoice, providerNotes } from './providers.ts';

export type ModelsEvent = { readonly type: 'models'; readonly download: DownloadState | null };

export interface ModelCatalogOptions {
  readonly dataDir: string;
  /** The provider asked for (--provider); the Models panel shows which one is used. */
  readonly provider?: ProviderName | 'auto';
  readonly emit: (event: ModelsEvent) => void;
  /** Called when a model has been installed (imported or downloaded): the app starts tagging with it. */
  readonly onInstalled?: (name: string) => void;
}

export interface ImportRequest {
  readonly file: string;
  readonly name?: string;
  readonly heads?: number;
  readonly precision?: PrecisionRequest;
}

function modelInfo(m: InstalledModel, defaultName: string | null): ModelInfo {
  return {
    name: m.manifest.name,
    family: familyTitle(m.manifest.config),
    kind: m.manifest.config.kind,
    embedDim: m.manifest.config.embedDim,
    precision: m.manifest.precision,
    precisionRequest: m.manifest.precisionRequest ?? m.manifest.precision,
    calibration: m.manifest.calibration ?? null,
    bytes: m.bytes,
    sourceFile: m.manifest.source.fileName,
    isDefault: m.manifest.name === defaultName,
  };
}

export class ModelCatalog {
  private readonly options: ModelCatalogOptions;
  private download: DownloadState | null = null;
  private downloading: Promise<void> | null = null;
  /** Probed once per process: the provider cannot change while it runs. */
  private provider: Promise<{ provider: string; notes: string[] }> | null = null;

  constructor(options: ModelCatalogOptions) {
    this.options = options;
  }

  /** The default model's name (the recorded one, else the only one), or null when none can be picked. */
  async defaultName(): Promise<string | null> {
    return (await resolveModel(this.options.dataDir, undefined).catch(() => undefined))?.manifest.name ?? null;
  }

  async names(): Promise<string[]> {
    return (await listModels(this.options.dataDir)).map((m) => m.manifest.name);
  }

  async list(): Promise<CatalogModels> {
    this.provider ??= providerChoice(this.options.provider ?? 'auto').then(
      (c) => ({ provider: c.provider, notes: providerNotes(c) }),
      (e: unknown) => ({ provider: 'none', notes: [e instanceof Error ? e.message : String(e)] }),
    );
    const [models, def, p] = await Promise.all([listModels(this.options.dataDir), this.defaultName(), this.provider]);
    return {
      provider: p.provider,
      providerNotes: p.notes,
      models: models.map((m) => modelInfo(m, def)),
      official: OFFICIAL_CHECKPOINTS.map((c) => ({ name: c.name, title: c.title, use: c.use, installed: models.some((m) => m.manifest.name === c.name) })),
      download: this.download,
    };
  }

  /** Converts a checkpoint file; its progress goes out as the download state while it runs. */
  async import(req: ImportRequest): Promise<ModelInfo> {
    const name = req.name ?? path.basename(req.file);
    const r = await importModel(this.options.dataDir, req.file, {
      ...(req.name !== undefined ? { name: req.name } : {}),
      ...(req.heads !== undefined ? { heads: req.heads } : {}),
      // The app imports as the command line does: precision measured (auto) on the provider in use.
      precision: req.precision ?? 'auto',
      ...(this.options.provider !== undefined ? { provider: this.options.provider } : {}),
      onProgress: (p) => this.setDownload({ name, ...p, error: null, finished: false }),
    });
    this.setDownload(null);
    this.options.onInstalled?.(r.model.manifest.name);
    return modelInfo(r.model, await this.defaultName());
  }

  /** Starts downloading an official checkpoint in the background; how it ends is in the download state. */
  startDownload(name: string): { started: true } {
    if (this.downloading !== null) throw new FoleyError('a download is already running', { code: 'conflict' });
    if (findOfficial(name) === undefined) throw new FoleyError(`unknown model "${name}"`);
    this.setDownload({ name, stage: 'download', label: 'Starting', done: 0, total: 0, unit: 'bytes', error: null, finished: false });
    const onProgress = (p: Progress): void => this.setDownload({ name, ...p, error: null, finished: false });
    this.downloading = downloadOfficialModel(this.options.dataDir, name, {
      onProgress,
      precision: 'auto',
      ...(this.options.provider !== undefined ? { provider: this.options.provider } : {}),
    })
      .then(
        () => {
          this.download = { ...this.download!, finished: true };
          this.options.onInstalled?.(name);
        },
        (e: unknown) => {
          this.download = { ...this.download!, error: e instanceof Error ? e.message.split('\n')[0]! : String(e), finished: true };
        },
      )
      .finally(() => {
        this.downloading = null;
        this.options.emit({ type: 'models', download: this.download });
      });
    return { started: true };
  }

  async setDefault(name: string): Promise<CatalogModels> {
    const m = await resolveModel(this.options.dataDir, name);
    await setDefaultModel(this.options.dataDir, m.manifest.name);
    return this.list();
  }

  /** Waits for a download in flight (it is not resumable from here, but its partial file is). */
  async close(): Promise<void> {
    await this.downloading?.catch(() => undefined);
  }

  private setDownload(state: DownloadState | null): void {
    this.download = state;
    this.options.emit({ type: 'models', download: state });
  }
}
