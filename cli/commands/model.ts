import { downloadOfficialModel } from '../../core/models/official.ts';
import { DEFAULT_CHECKPOINT, OFFICIAL_CHECKPOINTS } from '../../core/models/official-checkpoints.ts';
import { familyTitle, importModel, listModels, removeModel, resolveModel, setDefaultModel, checkModelName } from '../../core/models/store.ts';
import type { ImportResult, InstalledModel } from '../../core/models/store.ts';
import { providerChoice, providerNotes } from '../../core/models/providers.ts';
import { PRECISIONS } from '../../base/types.ts';
import type { CalibrationReport, PrecisionRequest, ProviderName } from '../../base/types.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';
import { ProgressBar } from '../progress-bar.ts';

export const MODEL_HELP = `Usage:
  foley model import FILE [--name NAME] [--heads N] [--precision auto|fp32|int8|int8-mixed|fp16]
  foley model download [NAME] [--url URL] [--precision auto|fp32|int8|int8-mixed|fp16]
  foley model list
  foley model default NAME
  foley model remove NAME

Import converts a CAV-MAE PyTorch checkpoint (.pth, or .safetensors) into ONNX graphs in the data
directory; importing the same file again reuses the conversion. Download fetches an official
checkpoint (default ${DEFAULT_CHECKPOINT}), resuming an interrupted download, then converts it;
sync (CAV-MAE Sync) comes from Google Drive, through its confirm page.
Official checkpoints: ${OFFICIAL_CHECKPOINTS.map((c) => c.name).join(', ')}.

--precision auto (the default) builds fp32 and a cheaper candidate (int8, then int8-mixed on the CPU;
fp16 on an accelerator), embeds a calibration set with both and keeps the candidate only when every
embedding's cosine to fp32 is >= 0.999 and the 10 nearest neighbours agree >= 98%; else fp32.
\`foley model list\` shows what was measured.

Options: --data-dir DIR, --json, --provider auto|cpu|cuda|dml|coreml|webgpu (for list, and what auto measures on), --help`;

/** --precision; auto when not given (programmatic imports default to fp32, the command line to auto). */
function precisionFrom(v: unknown): PrecisionRequest {
  if (v === undefined) return 'auto';
  if (v === 'auto' || (PRECISIONS as readonly unknown[]).includes(v)) return v as PrecisionRequest;
  throw new UsageError(`--precision must be auto, ${PRECISIONS.join(', ')} (got "${String(v)}")`);
}

/** One line per candidate auto measured: "int8 audio min cos 0.99998 mean 0.99999 overlap 0.99, visual …, kept". */
export function calibrationLines(c: CalibrationReport): string[] {
  const f = (a: CalibrationReport['candidates'][number]['audio']): string =>
    `min cos ${a.minCosine.toFixed(5)} mean ${a.meanCosine.toFixed(5)} overlap ${a.overlap.toFixed(3)}`;
  return [
    `auto on ${c.provider}: chose ${c.chosen} (${c.candidates[0]?.audio.samples ?? 0} sounds, ${c.candidates[0]?.visual.samples ?? 0} pictures, +${(c.ms / 1000).toFixed(1)} s)`,
    ...c.candidates.map((x) => `${x.precision}: audio ${f(x.audio)}; visual ${f(x.visual)}; ${x.accepted ? 'agrees' : 'rejected'}`),
  ];
}

/** --provider for auto's measurement: the provider the model will run on. */
function providerOf(values: { provider?: string | boolean | undefined }): { provider?: ProviderName | 'auto' } {
  const { provider } = runtimeFrom(values);
  return provider !== undefined ? { provider } : {};
}

function describe(r: ImportResult): Record<string, unknown> {
  const m = r.model.manifest;
  return {
    name: m.name,
    reused: r.reused,
    dir: r.model.dir,
    bytes: r.model.bytes,
    family: familyTitle(m.config),
    kind: m.config.kind,
    numClasses: m.config.numClasses,
    embedDim: m.config.embedDim,
    precision: m.precision,
    precisionRequest: m.precisionRequest ?? m.precision,
    calibration: m.calibration ?? null,
    source: m.source,
    graphs: Object.keys(m.graphs),
  };
}

function summary(r: ImportResult): string {
  const m = r.model.manifest;
  const c = m.config;
  return `${r.reused ? 'Already converted' : 'Converted'} ${m.name}: ${familyTitle(c)} ${c.kind}${c.numClasses !== null ? ` (${c.numClasses} classes)` : ''}, D=${c.embedDim}, ${c.audioDepth}+${c.jointDepth} blocks, ${(r.model.bytes / 2 ** 20).toFixed(1)} MiB ${m.precision} in ${r.model.dir}`;
}

export async function modelCommand(argv: readonly string[]): Promise<void> {
  const [first, ...tail] = argv;
  // "foley model --help" has no subcommand: treat the flag as the rest of the arguments.
  const [sub, rest] = first !== undefined && first.startsWith('-') ? ['help', argv] : [first, tail];
  const { values, positionals } = parse(
    rest,
    {
      name: { type: 'string' },
      heads: { type: 'string' },
      precision: { type: 'string' },
      url: { type: 'string' },
      ...RUNTIME_OPTIONS,
    },
    true,
  );
  if (values.help === true || sub === undefined || sub === 'help') {
    console.log(MODEL_HELP);
    return;
  }
  const dataDir = dataDirFrom(values);
  const bar = new ProgressBar();
  const onProgress = bar.update.bind(bar);
  switch (sub) {
    case 'import': {
      const file = positionals[0];
      if (file === undefined || positionals.length > 1) throw new UsageError('model import takes one checkpoint file');
      const heads = numberOption('heads', values.heads, { min: 1, integer: true });
      const precision = precisionFrom(values.precision);
      const result = await importModel(dataDir, file, {
        ...(typeof values.name === 'string' ? { name: values.name } : {}),
        ...(heads !== undefined ? { heads } : {}),
        precision,
        ...providerOf(values),
        onProgress,
      }).finally(() => bar.done());
      if (values.json === true) printJson(describe(result));
      else console.log(summary(result));
      return;
    }
    case 'download': {
      if (positionals.length > 1) throw new UsageError('model download takes at most one model name');
      const name = positionals[0] ?? DEFAULT_CHECKPOINT;
      const precision = precisionFrom(values.precision);
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const result = await downloadOfficialModel(dataDir, name, {
          ...(typeof values.url === 'string' ? { url: values.url } : {}),
          precision,
          ...providerOf(values),
          onProgress,
          signal: controller.signal,
        }).finally(() => bar.done());
        if (values.json === true) printJson(describe(result));
        else console.log(summary(result));
      } finally {
        process.off('SIGINT', onSignal);
      }
      return;
    }
    case 'list':
      return listCommand(dataDir, values);
    case 'default': {
      const name = positionals[0];
      if (name === undefined) throw new UsageError('model default takes a model name');
      const m = await resolveModel(dataDir, checkModelName(name));
      await setDefaultModel(dataDir, m.manifest.name);
      if (values.json === true) printJson({ default: m.manifest.name });
      else console.log(`Default model: ${m.manifest.name}`);
      return;
    }
    case 'remove': {
      const name = positionals[0];
      if (name === undefined) throw new UsageError('model remove takes a model name');
      await removeModel(dataDir, name);
      if (values.json === true) printJson({ removed: name });
      else console.log(`Removed ${name}`);
      return;
    }
    default:
      throw new UsageError(`unknown model command "${sub}" (import, download, list, default, remove)`);
  }
}

/** `foley model list`: installed models (the default starred), the execution provider, official checkpoints. */
async function listCommand(dataDir: string, values: { json?: boolean | string | undefined; provider?: string | boolean | undefined; threads?: string | boolean | undefined }): Promise<void> {
  const models = await listModels(dataDir);
  let defaultName: string | undefined;
  if (models.length > 0) defaultName = (await resolveModel(dataDir, undefined).catch(() => undefined))?.manifest.name;
  const runtime = runtimeFrom(values);
  const choice = await providerChoice(runtime.provider ?? 'auto');
  if (values.json === true) {
    printJson({
      dataDir,
      provider: choice.provider,
      providerAttempts: choice.attempts,
      default: defaultName ?? null,
      models: models.map((m) => modelJson(m)),
      official: OFFICIAL_CHECKPOINTS.map((c) => ({ name: c.name, title: c.title, kind: c.kind, use: c.use, installed: models.some((m) => m.manifest.name === c.name) })),
    });
    return;
  }
  console.log(`Execution provider: ${choice.provider}${providerNotes(choice).map((n) => ` (${n})`).join('')}`);
  console.log(`Models in ${dataDir}:`);
  if (models.length === 0) console.log('  (none: run "foley model download" or "foley model import FILE")');
  for (const m of models) {
    const c = m.manifest.config;
    console.log(
      `  ${m.manifest.name === defaultName ? '*' : ' '} ${m.manifest.name.padEnd(18)} ${`${familyTitle(c)} ${c.kind}`.padEnd(25)} D=${c.embedDim} ${m.manifest.precision} ${(m.bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  from ${m.manifest.source.fileName}`,
    );
    if (m.manifest.calibration) for (const line of calibrationLines(m.manifest.calibration)) console.log(`      ${line}`);
  }
  console.log('Official checkpoints (foley model download NAME):');
  for (const c of OFFICIAL_CHECKPOINTS) console.log(`    ${c.name.padEnd(18)} ${c.title}`);
}

function modelJson(m: InstalledModel): Record<string, unknown> {
  const { manifest } = m;
  return {
    name: manifest.name,
    family: familyTitle(manifest.config),
    kind: manifest.config.kind,
    numClasses: manifest.config.numClasses,
    embedDim: manifest.config.embedDim,
    precision: manifest.precision,
    precisionRequest: manifest.precisionRequest ?? manifest.precision,
    calibration: manifest.calibration ?? null,
    bytes: m.bytes,
    dir: m.dir,
    converterVersion: manifest.converterVersion,
    source: manifest.source,
    createdAt: manifest.createdAt,
  };
}
