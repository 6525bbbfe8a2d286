// A conversion written into a model folder under construction, for one precision or for `auto`:
// auto builds fp32 and the candidates for this machine's provider from one read of the checkpoint,
// embeds the calibration set through each (native-models/precision/), keeps the first candidate whose
// embeddings agree with fp32 (else fp32), and deletes every other graph, so only the chosen graphs
// stay on disk and the manifest records the chosen precision (the one the DB's model identity uses).
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CalibrationReport, Precision, PrecisionRequest, ProviderName } from '../../base/types.ts';
import { convertCheckpointTo } from '../../native-models/convert.ts';
import type { ConvertOptions } from '../../native-models/convert.ts';
import type { GraphName } from '../../native-models/family.ts';
import { calibrationInputs, candidatesFor, compare, embedFolder } from '../../native-models/precision/calibrate.ts';
import { agrees, choose, THRESHOLDS } from '../../native-models/precision/decide.ts';
import { familyOfConfig } from '../../native-models/registry.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import { sha256Bytes } from '../hash.ts';
import type { ProgressListener } from '../progress.ts';
import type { GraphEntry } from './manifest.ts';
import { providerChoice } from './providers.ts';

export interface ConvertIntoOptions {
  readonly request: PrecisionRequest;
  readonly convert: Omit<ConvertOptions, 'precision' | 'precisions' | 'onStage'>;
  readonly check?: (config: ModelConfig) => void;
  /** The provider the model will run on (auto's candidates and its measurements depend on it). */
  readonly provider?: ProviderName | 'auto';
  readonly report: ProgressListener;
}

export interface ConvertedInto {
  readonly config: ModelConfig;
  readonly precision: Precision;
  readonly graphs: Partial<Record<GraphName, GraphEntry>>;
  readonly calibration: CalibrationReport | null;
}

export async function convertInto(dir: string, source: string, options: ConvertIntoOptions): Promise<ConvertedInto> {
  const { report } = options;
  const provider = options.request === 'auto' ? (await providerChoice(options.provider ?? 'auto')).provider : null;
  const precisions: Precision[] = provider === null ? [options.request as Precision] : ['fp32', ...candidatesFor(provider)];
  const single = precisions.length === 1;
  const folder = (p: Precision): string => (single ? dir : path.join(dir, p));
  const graphs = new Map<Precision, Partial<Record<GraphName, GraphEntry>>>(precisions.map((p) => [p, {}]));
  for (const p of precisions) await mkdir(folder(p), { recursive: true });
  // Wall time per precision's builds (each graph's build + write, timed between sink calls), so the
  // report can say what auto added beyond the fp32 conversion an fp32 import does anyway.
  const buildMs = new Map<Precision, number>(precisions.map((p) => [p, 0]));
  let last = performance.now();
  const { config } = await convertCheckpointTo(
    source,
    async (graphName, model, precision) => {
      const fileName = `${graphName}.onnx`;
      await writeFile(path.join(folder(precision), fileName), model.bytes);
      buildMs.set(precision, buildMs.get(precision)! + performance.now() - last);
      graphs.get(precision)![graphName] = {
        file: fileName,
        bytes: model.bytes.byteLength,
        sha256: sha256Bytes(model.bytes),
        inputs: model.inputs,
        outputs: model.outputs,
      };
    },
    {
      ...options.convert,
      precisions,
      ...(options.check ? { check: options.check } : {}),
      onStage: (stage, done, total) => {
        if (stage === 'read') report({ stage: 'read', label: 'Reading checkpoint', done, total, unit: 'bytes' });
        else report({ stage: `convert:${stage}`, label: `Building ${stage} graph`, done, total, unit: 'items' });
        // A graph's build starts when the previous one was handed over (or reading/checking ended).
        if (stage !== 'read' && stage !== 'check') last = performance.now();
      },
    },
  );
  if (provider === null) return { config, precision: precisions[0]!, graphs: graphs.get(precisions[0]!)!, calibration: null };

  const calibrationStart = performance.now();
  const family = familyOfConfig(config);
  const inputs = calibrationInputs(family, config);
  const session = { provider };
  report({ stage: 'calibrate', label: 'Measuring precision', done: 0, total: precisions.length, unit: 'items' });
  const ref = await embedFolder(folder('fp32'), family, config, inputs, session);
  const candidates: Array<CalibrationReport['candidates'][number]> = [];
  // Candidates in order of preference; measuring stops at the first that agrees (the rest would lose anyway).
  for (const [i, p] of precisions.slice(1).entries()) {
    report({ stage: 'calibrate', label: 'Measuring precision', done: i + 1, total: precisions.length, unit: 'items' });
    const figures = compare(ref, await embedFolder(folder(p), family, config, inputs, session), config, inputs.count);
    const accepted = agrees([figures.audio, figures.visual]);
    candidates.push({ precision: p, audio: figures.audio, visual: figures.visual, accepted });
    if (accepted) break;
  }
  const chosen = choose(candidates.map((c) => ({ precision: c.precision, figures: [c.audio, c.visual] })));
  for (const entry of Object.values(graphs.get(chosen)!)) {
    if (entry !== undefined) await rename(path.join(folder(chosen), entry.file), path.join(dir, entry.file));
  }
  for (const p of precisions) await rm(folder(p), { recursive: true, force: true });
  // The candidates' builds plus the calibration runs: what auto adds to an fp32 import.
  const extraBuildMs = precisions.slice(1).reduce((s, p) => s + buildMs.get(p)!, 0);
  const ms = extraBuildMs + (performance.now() - calibrationStart);
  return {
    config,
    precision: chosen,
    graphs: graphs.get(chosen)!,
    calibration: { provider, thresholds: { ...THRESHOLDS }, candidates, chosen, ms },
  };
}
