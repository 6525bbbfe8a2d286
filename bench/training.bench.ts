// Training time on CPU for 100, 1,000 and 10,000 labelled moments (synthetic structured embeddings,
// D=768, three labels following a hidden rule; tests/training/synthetic.ts), one thread, in-process
// (the worker adds only its start-up, ~0.1 s). Reported per stage: dataset (read embeddings + labels),
// heads (30 epochs, ≥300 Adam steps), adapter (≤10 epochs × 20 steps of 128 pairs, D×D maps), and the
// prediction refresh over the whole library; plus the held-out metric gains.
// Not registered in bench/run.ts (the lead does); run alone: node bench/training.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createJob } from '../db/jobs.ts';
import { runTraining } from '../core/learning/training/trainer.ts';
import type { TrainProgress } from '../core/learning/training/trainer.ts';
import { makeSyntheticLibrary } from '../tests/training/synthetic.ts';

const SIZES = [100, 1000, 10_000];

export async function benchTraining(): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown>[] = [];
  for (const labelled of SIZES) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-train-bench-'));
    const windows = Math.max(2000, Math.round(labelled * 1.5));
    const lib = makeSyntheticLibrary(path.join(dir, 'foley.db'), { dim: 768, files: windows / 10, windowsPerFile: 10, labelled });
    const job = createJob(lib.db, 'train', { modelId: lib.modelId });
    const marks: { stage: TrainProgress['stage']; t: number }[] = [];
    const t0 = performance.now();
    const s = await runTraining({
      db: lib.db, modelId: lib.modelId, jobId: job.id, options: {}, checkpoint: () => Promise.resolve(),
      onProgress: (p) => {
        if (marks[marks.length - 1]?.stage !== p.stage) marks.push({ stage: p.stage, t: performance.now() });
      },
    });
    const total = (performance.now() - t0) / 1000;
    const at = (stage: TrainProgress['stage']): number => marks.find((m) => m.stage === stage)?.t ?? NaN;
    const hm = s.head!.metrics as { apBaseline: number; apFinal: number };
    const am = s.adapter!.metrics as { before: { audioToVisual: { mean: number }; visualToAudio: { mean: number } }; after: { audioToVisual: { mean: number }; visualToAudio: { mean: number } } };
    rows.push({
      labelled,
      windows,
      trainSize: s.trainSize,
      heldout: s.heldoutSize,
      datasetS: (at('head') - at('dataset')) / 1000,
      headS: (at('adapter') - at('head')) / 1000,
      adapterS: (at('predictions') - at('adapter')) / 1000,
      predictionsS: (at('done') - at('predictions')) / 1000,
      totalS: total,
      apBaseline: hm.apBaseline,
      apTrained: hm.apFinal,
      recallAvBefore: am.before.audioToVisual.mean,
      recallAvAfter: am.after.audioToVisual.mean,
      recallVaBefore: am.before.visualToAudio.mean,
      recallVaAfter: am.after.visualToAudio.mean,
    });
    lib.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x: unknown, d = 2): string => (typeof x === 'number' ? x.toFixed(d) : String(x));
  console.log('labelled  windows  train  held  dataset_s  heads_s  adapter_s  predict_s  total_s   AP base→trained   R(a→v) before→after  R(v→a) before→after');
  for (const r of rows) {
    console.log(
      `${String(r.labelled).padStart(8)} ${String(r.windows).padStart(8)} ${String(r.trainSize).padStart(6)} ${String(r.heldout).padStart(5)} ${f(r.datasetS).padStart(10)} ${f(r.headS).padStart(8)} ${f(r.adapterS).padStart(10)} ${f(r.predictionsS).padStart(10)} ${f(r.totalS).padStart(8)}   ${f(r.apBaseline, 3)}→${f(r.apTrained, 3)}       ${f(r.recallAvBefore, 3)}→${f(r.recallAvAfter, 3)}          ${f(r.recallVaBefore, 3)}→${f(r.recallVaAfter, 3)}`,
    );
  }
  return { dim: 768, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, rows };
}

if (import.meta.main) await benchTraining();
