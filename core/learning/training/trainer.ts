// One training run over the embedding table, as the worker runs it: build the dataset, train the heads,
// store the version (kept or not), train the adapter, store it, refresh the active head's predictions.
// Every finished epoch is checkpointed in training_checkpoints under the dataset's hash, so a run
// that crashes (or is stopped) restarts from its last finished epoch if the labels and windows are
// unchanged, and from scratch otherwise. A stage already stored by this job is not trained again.
import type { Database } from '../../../db/connection.ts';
import { clearCheckpoints, getCheckpoint, listVersions, putCheckpoint, activeVersion, addVersion, putPredictions, dropInactivePredictions, versionParams } from '../../../db/learning.ts';
import type { TrainedVersion, VersionKind } from '../../../db/learning.ts';
import type { JsonValue } from '../../../db/jobs.ts';
import { trainAdapter } from './adapter.ts';
import type { AdapterOptions, AdapterResult } from './adapter.ts';
import { buildDataset } from './dataset.ts';
import { readEmbeddingTable } from './embedding-table.ts';
import type { Dataset, DatasetOptions } from './dataset.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import { featureCount, scoreRows, trainHeads } from './head.ts';
import type { HeadOptions, HeadResult } from './head.ts';
import type { StageHooks } from './stage.ts';

export interface TrainOptions {
  readonly dataset?: DatasetOptions;
  readonly head?: HeadOptions;
  readonly adapter?: AdapterOptions | false;
  /** Predictions kept per label (the best ones), after training. */
  readonly maxPredictionsPerLabel?: number;
}

export interface TrainProgress {
  readonly stage: 'dataset' | 'head' | 'adapter' | 'predictions' | 'done';
  /** Work units (epochs) done and in all, across stages. */
  readonly done: number;
  readonly total: number;
  readonly etaSeconds: number | null;
  readonly elapsedSeconds: number;
}

export interface TrainSummary {
  readonly labels: string[];
  readonly trainSize: number;
  readonly heldoutSize: number;
  readonly head: { readonly versionId: number; readonly kept: boolean; readonly metrics: JsonValue } | null;
  readonly adapter: { readonly versionId: number | null; readonly kept: boolean; readonly metrics: JsonValue } | null;
  readonly activeHead: number | null;
  readonly activeAdapter: number | null;
  readonly predictions: number;
  readonly resumedFromEpoch: { head: number | null; adapter: number | null };
  readonly seconds: number;
}

export interface TrainContext {
  readonly db: Database;
  readonly modelId: number;
  readonly jobId: number;
  readonly options: TrainOptions;
  readonly checkpoint: () => Promise<void>;
  readonly onProgress?: (p: TrainProgress) => void;
}

export function headMetrics(h: HeadResult): JsonValue {
  return {
    apBaseline: h.apBaseline,
    apTrained: h.apTrained,
    apFinal: h.apFinal,
    epochs: h.epochs,
    labels: h.labels.map((l) => ({ ...l })),
  };
}

export function adapterMetrics(a: AdapterResult): JsonValue {
  return JSON.parse(JSON.stringify({ before: a.before, after: a.after, skipped: a.skipped, epochs: a.epochs })) as JsonValue;
}

/** Scores every window for each label of a head version; stores the best `limit` per label. */
export function refreshPredictions(db: Database, version: TrainedVersion, table: EmbeddingTable, limit: number): number {
  const params = versionParams(db, version.id);
  const shape = { labels: version.labelSet.length, features: featureCount(table.dim) };
  if (params.length !== shape.labels * shape.features + shape.labels) return 0;
  const rows: number[] = [];
  for (let r = 0; r < table.windows.length; r++) if (table.hasAudio[r] === 1 || table.hasVisual[r] === 1) rows.push(r);
  let n = 0;
  version.labelSet.forEach((label, l) => {
    const scores = scoreRows(table, shape, params, l, rows);
    const order = rows.map((_, i) => i).sort((p, q) => scores[q]! - scores[p]!).slice(0, limit);
    putPredictions(db, version.id, label, order.map((i) => ({ windowId: table.windows[rows[i]!]!.id, score: scores[i]! })));
    n += order.length;
  });
  dropInactivePredictions(db, version.modelId);
  return n;
}

export async function runTraining(ctx: TrainContext): Promise<TrainSummary> {
  const { db, modelId, jobId, options } = ctx;
  const started = performance.now();
  const headEpochs = options.head?.epochs ?? 30;
  const adapterEpochs = options.adapter === false ? 0 : (options.adapter?.epochs ?? 10);
  const total = headEpochs + adapterEpochs + 1;
  let base = 0;
  let lastReport = 0;
  const report = (stage: TrainProgress['stage'], done: number, force = false): void => {
    const t = performance.now();
    if (!force && t - lastReport < 200) return;
    lastReport = t;
    const elapsed = (t - started) / 1000;
    const eta = done > 0 && done < total ? (elapsed / done) * (total - done) : done >= total ? 0 : null;
    ctx.onProgress?.({ stage, done, total, etaSeconds: eta, elapsedSeconds: elapsed });
  };
  report('dataset', 0, true);
  const table = readEmbeddingTable(db, modelId);
  const ds: Dataset = buildDataset(db, modelId, options.dataset ?? {}, table);
  const resumed: { head: number | null; adapter: number | null } = { head: null, adapter: null };
  // Checkpoints are only valid for the same labels, windows, split and training options.
  const runHash = `${ds.hash}|${JSON.stringify(options)}`;
  const hooks = (stage: VersionKind): StageHooks => ({
    checkpoint: ctx.checkpoint,
    save: (epoch, state) => putCheckpoint(db, jobId, stage, { datasetHash: runHash, epoch, state }),
    load: () => {
      const c = getCheckpoint(db, jobId, stage);
      if (c === undefined || c.datasetHash !== runHash) return undefined;
      resumed[stage] = c.epoch;
      return { epoch: c.epoch, state: c.state };
    },
    progress: (done) => report(stage, base + done),
  });
  const mine = (kind: VersionKind): TrainedVersion | undefined => listVersions(db, { modelId, kind }).find((v) => v.jobId === jobId);

  let head: TrainSummary['head'] = null;
  let trainSize = 0;
  let heldoutSize = 0;
  if (ds.names.length > 0) {
    const done = mine('head');
    if (done !== undefined) {
      head = { versionId: done.id, kept: done.kept, metrics: done.metrics };
      trainSize = done.trainSize;
      heldoutSize = done.heldoutSize;
    } else {
      const h = await trainHeads(ds, options.head ?? {}, hooks('head'));
      const t = (performance.now() - started) / 1000;
      const v = addVersion(db, {
        modelId, kind: 'head', labelSet: h.names, labelsHash: ds.labelsHash, params: h.params, metrics: headMetrics(h),
        trainSize: h.trainSize, heldoutSize: h.heldoutSize, kept: h.kept, jobId, seconds: t,
      });
      head = { versionId: v.id, kept: v.kept, metrics: v.metrics };
      trainSize = h.trainSize;
      heldoutSize = h.heldoutSize;
    }
  }
  base = headEpochs;
  report('adapter', base, true);

  let adapter: TrainSummary['adapter'] = null;
  if (options.adapter !== false) {
    const done = mine('adapter');
    if (done !== undefined) {
      adapter = { versionId: done.id, kept: done.kept, metrics: done.metrics };
    } else {
      const a = await trainAdapter(ds, options.adapter ?? {}, hooks('adapter'));
      if (a.params === null) {
        adapter = { versionId: null, kept: false, metrics: adapterMetrics(a) };
      } else {
        const v = addVersion(db, {
          modelId, kind: 'adapter', labelSet: ds.names, labelsHash: ds.labelsHash, params: a.params, metrics: adapterMetrics(a),
          trainSize: a.trainSize, heldoutSize: a.heldoutSize, kept: a.kept, jobId, seconds: (performance.now() - started) / 1000,
        });
        adapter = { versionId: v.id, kept: v.kept, metrics: v.metrics };
      }
    }
  }
  base = headEpochs + adapterEpochs;
  await ctx.checkpoint();
  report('predictions', base, true);
  const active = activeVersion(db, modelId, 'head');
  const predictions = active !== undefined ? refreshPredictions(db, active, table, options.maxPredictionsPerLabel ?? 5000) : 0;
  clearCheckpoints(db, jobId);
  report('done', total, true);
  return {
    labels: ds.names,
    trainSize,
    heldoutSize,
    head,
    adapter,
    activeHead: active?.id ?? null,
    activeAdapter: activeVersion(db, modelId, 'adapter')?.id ?? null,
    predictions,
    resumedFromEpoch: resumed,
    seconds: (performance.now() - started) / 1000,
  };
}
