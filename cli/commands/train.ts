import { openLibrary, modelRecord } from '../../core/library/handle.ts';
import { resolveModel } from '../../core/models/store.ts';
import { runningTrainingJob, startTraining, waitForTrainingJob } from '../../core/learning/training/job.ts';
import type { TrainingOutcome } from '../../core/learning/training/job.ts';
import { rollback, trainedVersions, trainingStatus } from '../../core/learning/training/versions.ts';
import type { TrainedVersion } from '../../core/learning/training/versions.ts';
import type { TrainOptions, TrainSummary } from '../../core/learning/training/trainer.ts';
import { dataDirFrom, numberOption, parse, printJson, UsageError } from '../args.ts';
import { formatDuration } from '../progress-bar.ts';

export const TRAIN_HELP = `Usage:
  foley train [--model M] [--wait] [--no-adapter] [--epochs N] [--json]
  foley train status | versions [--json]
  foley train rollback [head|adapter] [--to VERSION]

Trains, on the stored embeddings, a head per label (starting from the zero-shot baseline: similarity
to the mean of each label's examples) and a cross-modal adapter, in a low-priority worker thread.
Each is kept only if it beats the baseline on held-out labelled moments (heads: average precision;
adapter: audio→visual and visual→audio recall); every version is stored with its metrics. Prints
the metrics before/after. Ctrl-C stops after the current mini-batch; run again to resume from the
last finished epoch (\`foley jobs pause|resume|cancel ID\` work from another terminal too).
When another process is training this model already, prints its state, or with --wait waits for it.
rollback makes the previous kept version active again (--to: a given one).`;

function pct(x: unknown): string {
  return typeof x === 'number' ? x.toFixed(3) : '  -  ';
}

function printSummary(s: TrainSummary): void {
  console.log(`Trained on ${s.trainSize} windows (${s.heldoutSize} held out), labels: ${s.labels.join(', ') || '(none)'}; ${s.seconds.toFixed(1)} s`);
  if (s.head !== null) {
    const m = s.head.metrics as { apBaseline: number | null; apFinal: number | null; labels: { name: string; apBaseline: number | null; apTrained: number | null; kept: boolean; heldoutPositives: number }[] };
    console.log(`Heads (version ${s.head.versionId}, ${s.head.kept ? 'kept' : 'not better than the baseline: baseline stays'}): held-out AP ${pct(m.apBaseline)} → ${pct(m.apFinal)}`);
    for (const l of m.labels) console.log(`  ${l.name.padEnd(24)} AP ${pct(l.apBaseline)} → ${pct(l.apTrained)} ${l.kept ? 'kept' : l.apBaseline === null ? `(too few held-out examples: ${l.heldoutPositives} positive)` : 'baseline'}`);
  }
  if (s.adapter !== null) {
    const m = s.adapter.metrics as { skipped: string | null; before: { audioToVisual: { mean: number }; visualToAudio: { mean: number } } | null; after: { audioToVisual: { mean: number }; visualToAudio: { mean: number } } | null };
    if (m.skipped !== null) console.log(`Adapter: skipped (${m.skipped})`);
    else console.log(`Adapter (version ${s.adapter.versionId}, ${s.adapter.kept ? 'kept' : 'not kept'}): recall a→v ${pct(m.before?.audioToVisual.mean)} → ${pct(m.after?.audioToVisual.mean)}, v→a ${pct(m.before?.visualToAudio.mean)} → ${pct(m.after?.visualToAudio.mean)}`);
  }
  console.log(`Active: head ${s.activeHead ?? 'baseline'}, adapter ${s.activeAdapter ?? 'none'}; ${s.predictions} predictions stored`);
}

function versionLine(v: TrainedVersion): string {
  const m = v.metrics as Record<string, unknown>;
  const detail = v.kind === 'head' ? `AP ${pct(m.apBaseline)} → ${pct(m.apFinal)}` : `recall a→v ${pct((m.after as { audioToVisual?: { mean?: number } } | null)?.audioToVisual?.mean)}`;
  return `${String(v.id).padStart(4)} ${v.kind.padEnd(7)} ${v.active ? 'active ' : v.kept ? 'kept   ' : 'dropped'} ${new Date(v.createdAt).toISOString().slice(0, 19)} train ${v.trainSize} held-out ${v.heldoutSize} ${detail}`;
}

export async function trainCommand(argv: readonly string[]): Promise<void> {
  const [first, ...tail] = argv;
  const [sub, rest] = first === undefined || first.startsWith('-') ? ['run', argv] : [first, tail];
  const { values, positionals } = parse(
    rest,
    { model: { type: 'string' }, wait: { type: 'boolean' }, 'no-adapter': { type: 'boolean' }, epochs: { type: 'string' }, to: { type: 'string' } },
    true,
  );
  if (values.help === true) {
    console.log(TRAIN_HELP);
    return;
  }
  const json = values.json === true;
  const library = openLibrary(dataDirFrom(values));
  try {
    const modelId = modelRecord(library, await resolveModel(library.dataDir, values.model)).id;
    if (sub === 'status') {
      const s = trainingStatus(library, modelId);
      if (json) printJson(s);
      else console.log(`Running job: ${s.runningJobId ?? 'none'}; active head ${s.activeHead?.id ?? 'baseline'}, adapter ${s.activeAdapter?.id ?? 'none'}; ${s.versions} versions; labels changed since: ${s.labelsChanged ? 'yes' : 'no'}`);
      return;
    }
    if (sub === 'versions') {
      const versions = trainedVersions(library, modelId);
      if (json) printJson({ versions });
      else for (const v of versions) console.log(versionLine(v));
      return;
    }
    if (sub === 'rollback') {
      const kind = positionals[0] ?? 'head';
      if (kind !== 'head' && kind !== 'adapter') throw new UsageError('rollback takes head or adapter');
      const to = numberOption('to', values.to, { min: 1, integer: true });
      const v = rollback(library, modelId, kind, to);
      if (json) printJson({ active: v });
      else console.log(v === null ? `No ${kind} version active: back to the ${kind === 'head' ? 'zero-shot baseline' : 'plain embeddings'}` : `Active ${kind}: ${versionLine(v)}`);
      return;
    }
    if (sub !== 'run') throw new UsageError(`unknown train command "${sub}"`);
    const other = runningTrainingJob(library, modelId);
    if (other !== undefined) {
      if (values.wait !== true) {
        if (json) printJson({ running: other });
        else console.log(`Training job ${other.id} is running in another process (${other.progressDone}/${other.progressTotal ?? '?'}); --wait to wait for it`);
        return;
      }
      const job = await waitForTrainingJob(library, other.id);
      const versions = trainedVersions(library, modelId).filter((v) => v.jobId === other.id);
      if (json) printJson({ job, versions });
      else for (const v of versions) console.log(versionLine(v));
      return;
    }
    const epochs = numberOption('epochs', values.epochs, { min: 1, integer: true });
    const options: TrainOptions = {
      ...(epochs !== undefined ? { head: { epochs } } : {}),
      ...(values['no-adapter'] === true ? { adapter: false as const } : {}),
    };
    const tty = process.stderr.isTTY === true && !json;
    const handle = startTraining(library, {
      modelId,
      options,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${p.stage.padEnd(11)} ${((100 * p.done) / p.total).toFixed(0).padStart(3)}% ETA ${p.etaSeconds === null ? '--:--' : formatDuration(p.etaSeconds)}   `);
      },
    });
    const onSigint = (): void => {
      process.stderr.write('\nStopping (run foley train again to resume)…\n');
      handle.stop();
    };
    process.on('SIGINT', onSigint);
    let outcome: TrainingOutcome;
    try {
      outcome = await handle.done;
    } finally {
      process.off('SIGINT', onSigint);
      if (tty) process.stderr.write('\n');
    }
    if (json) printJson(outcome);
    else if (outcome.status === 'done') printSummary(outcome.summary);
    else console.log(`Training job ${outcome.jobId} ${outcome.status === 'paused' ? 'stopped; run again to resume' : 'cancelled'}`);
  } finally {
    library.close();
  }
}
