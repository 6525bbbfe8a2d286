import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { evaluate } from '../../core/evaluation/evaluate.ts';
import type { EvaluationResult } from '../../core/evaluation/evaluate.ts';
import { DEFAULT_LIMIT, DEFAULT_SEED } from '../../core/evaluation/library-pairs.ts';
import type { RetrievalFigures } from '../../core/evaluation/metrics.ts';
import { openLibrary } from '../../core/library/handle.ts';
import { dataDirFrom, numberOption, parse, printJson, RUNTIME_OPTIONS, runtimeFrom, UsageError } from '../args.ts';
import { ProgressBar } from '../progress-bar.ts';

export const EVAL_HELP = `Usage:
  foley eval [--model NAME]… [--pairs PAIRS.csv] [--limit N] [--seed S] [--adapter] [--json]

How well a model finds things in this library: cross-modal retrieval as the CAV-MAE paper measures it
(R@1, R@5, R@10 and the median rank, audio→visual and visual→audio). Each query's true partner is
its own other half; rank = gallery items with a cosine higher than the partner's by more than 1e-6.

Without --pairs: one window per indexed file that has both a sound and a picture vector of the model
(which window: --seed, default ${DEFAULT_SEED}), its sound against its own picture; --limit caps the files
(default ${DEFAULT_LIMIT}). --pairs: a CSV with the header "audio,image"; a cell is a file (audio: its window
at 0 s; image: the picture) or FILE@SECONDS (that window's sound, or the frame that window uses);
relative paths are relative to the CSV's folder.
--adapter also evaluates through the active trained adapter (before/after).
--model may be given several times (--json then prints a list). Results are stored for the app.
--json prints {"n","audioToVisual":{"r1","r5","r10","medianRank"},"visualToAudio":{…},"model"}.

Options: --data-dir DIR, --provider auto|cpu|…, --threads N (pairs mode embeds), --help`;

function jsonOf(r: EvaluationResult): object {
  const out = { n: r.n, audioToVisual: r.audioToVisual, visualToAudio: r.visualToAudio, model: r.model };
  return r.adapter === null ? out : { ...out, adapter: r.adapter };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
const line = (label: string, f: RetrievalFigures): string => `  ${label.padEnd(22)}${pct(f.r1)}${pct(f.r5)}${pct(f.r10)}${f.medianRank.toString().padStart(8)}`;

function printTable(r: EvaluationResult): void {
  const what = r.mode === 'library' ? `${r.n} files (of ${r.eligibleFiles} with both sound and picture), seed ${r.seed}` : `${r.n} pairs`;
  console.log(`model ${r.model}: ${what}`);
  console.log(`  ${''.padEnd(22)}${'R@1'.padStart(7)}${'R@5'.padStart(7)}${'R@10'.padStart(7)}${'MedR'.padStart(8)}`);
  console.log(line('audio → visual', r.audioToVisual));
  console.log(line('visual → audio', r.visualToAudio));
  if (r.adapter !== null) {
    console.log(line(`audio → visual (v${r.adapter.version})`, r.adapter.audioToVisual));
    console.log(line(`visual → audio (v${r.adapter.version})`, r.adapter.visualToAudio));
  }
}

export async function evalCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string', multiple: true },
    pairs: { type: 'string' },
    limit: { type: 'string' },
    seed: { type: 'string' },
    adapter: { type: 'boolean' },
    ...RUNTIME_OPTIONS,
  });
  if (values.help === true) {
    console.log(EVAL_HELP);
    return;
  }
  const limit = numberOption('limit', values.limit, { min: 1, integer: true });
  const seed = numberOption('seed', values.seed, { min: 0, integer: true });
  if (seed !== undefined && seed > 0xffffffff) throw new UsageError('--seed must be at most 4294967295');
  if (values.pairs !== undefined && (limit !== undefined || seed !== undefined)) throw new UsageError('--limit and --seed apply to library mode, not --pairs');
  const models: (string | undefined)[] = values.model ?? [undefined];
  const json = values.json === true;
  const library = openLibrary(dataDirFrom(values));
  const bar = new ProgressBar(process.stderr, !json && process.stderr.isTTY === true);
  const results: EvaluationResult[] = [];
  try {
    for (const model of models) {
      const r = await evaluate(library, {
        ...(model !== undefined ? { model } : {}),
        ...(values.pairs !== undefined ? { pairs: values.pairs } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(seed !== undefined ? { seed } : {}),
        adapter: values.adapter === true,
        session: runtimeFrom(values),
        onProgress: (p) => bar.update({ stage: p.stage, label: p.stage === 'embed' ? 'embedding pairs' : 'ranking', done: p.done, total: p.total, unit: 'items' }),
      });
      bar.done();
      results.push(r);
      if (!json) printTable(r);
    }
  } finally {
    library.close();
    await releaseEncoders();
  }
  if (json) printJson(models.length > 1 ? results.map(jsonOf) : jsonOf(results[0]!));
}
