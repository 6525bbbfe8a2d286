// The training scheduler of the library's default model: made when first needed, re-made when the
// default model changes (the old one is closed first, which stops its run resumably), none while no
// model is installed. Concurrent callers share one opening.
import { FoleyError } from '../../base/errors.ts';
import { modelRecord } from '../library/handle.ts';
import type { Library } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { TrainingScheduler } from './training/scheduler.ts';
import type { SchedulerOptions } from './training/scheduler.ts';

export interface ScheduledModel {
  readonly modelId: number;
  readonly model: InstalledModel;
  readonly scheduler: TrainingScheduler;
}

export class DefaultModelScheduler {
  private readonly library: Library;
  private readonly dataDir: string;
  /** Everything but the model: debounce, polling, train options and the run's callbacks. */
  private readonly options: Omit<SchedulerOptions, 'modelId'>;
  private currentModel: ScheduledModel | null = null;
  private opening: Promise<ScheduledModel | null> | null = null;
  private closed = false;

  constructor(library: Library, dataDir: string, options: Omit<SchedulerOptions, 'modelId'>) {
    this.library = library;
    this.dataDir = dataDir;
    this.options = options;
  }

  /** The scheduled model as last seen (no look at the installed models). */
  get current(): ScheduledModel | null {
    return this.currentModel;
  }

  /** The scheduler of the default model now; null while no model is installed. */
  async ensure(): Promise<ScheduledModel | null> {
    if (this.closed) return null;
    const model = await resolveModel(this.dataDir, undefined).catch(() => undefined);
    if (model === undefined) return this.currentModel;
    const modelId = modelRecord(this.library, model).id;
    if (this.currentModel !== null && this.currentModel.modelId === modelId) return this.currentModel;
    this.opening ??= this.open(modelId, model).finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  /** ensure(), for what cannot go on without a model. */
  async need(): Promise<ScheduledModel> {
    const c = await this.ensure();
    if (c === null) throw new FoleyError('install a model first (Models)', { code: 'conflict' });
    return c;
  }

  /** Stops scheduling; a running job is stopped resumably. */
  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    await this.currentModel?.scheduler.close();
  }

  private async open(modelId: number, model: InstalledModel): Promise<ScheduledModel> {
    if (this.currentModel !== null) await this.currentModel.scheduler.close();
    const scheduler = new TrainingScheduler(this.library, { ...this.options, modelId });
    this.currentModel = { modelId, model, scheduler };
    return this.currentModel;
  }
}
