// The proof: on a library whose labels follow a hidden rule, training beats the few-shot baseline by a
// stated margin (held-out AP, and AP of label search over every unlabelled window against the hidden
// truth); on a library where labels are random, the baseline stays (no version active, search
// unchanged). Training runs in-process here (runTraining); tests/training/jobs.test.ts covers the worker.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openLibrary } from '../../core/library/handle.ts';
import { searchByLabel } from '../../core/learning/label-search.ts';
import { fitFewShot, scoreTable } from '../../core/learning/few-shot.ts';
import { labelWindows } from '../../core/learning/training/dataset.ts';
import { readEmbeddingTable } from '../../core/learning/training/embedding-table.ts';
import { averagePrecision } from '../../core/learning/training/math.ts';
import { runTraining } from '../../core/learning/training/trainer.ts';
import type { TrainSummary } from '../../core/learning/training/trainer.ts';
import { createJob } from '../../db/jobs.ts';
import { listLabels } from '../../db/labels.ts';
import { activeVersion, countPredictions, topPredictions } from '../../db/learning.ts';
import { makeSyntheticLibrary } from './synthetic.ts';
import type { SyntheticLibrary } from './synthetic.ts';

/**
 * Held-out AP must improve by at least this much on the learnable library. Measured +0.18 over the
 * few-shot baseline's linear part (0.750 → 0.933); it was +0.43 over the old zero-shot one (0.456 →
 * 0.882), which the few-shot start itself beats by +0.29.
 */
const MARGIN = 0.1;

async function train(lib: SyntheticLibrary): Promise<TrainSummary> {
  const job = createJob(lib.db, 'train', { modelId: lib.modelId });
  return runTraining({ db: lib.db, modelId: lib.modelId, jobId: job.id, options: {}, checkpoint: () => Promise.resolve() });
}

/** AP of ranking every unlabelled window by `score`, against the hidden rule. */
function unlabelledAp(lib: SyntheticLibrary, name: string, score: (windowId: number) => number): number {
  const db = lib.db;
  const labelled = new Set<number>();
  const table = readEmbeddingTable(db, lib.modelId);
  const byFile = new Map<number, typeof table.windows[number][]>();
  for (const w of table.windows) byFile.set(w.fileId, [...(byFile.get(w.fileId) ?? []), w]);
  for (const l of listLabels(db)) for (const w of labelWindows(l, byFile.get(l.fileId) ?? [])) labelled.add(w.id);
  const ids = lib.windowIds.filter((id) => !labelled.has(id));
  return averagePrecision(ids.map(score), ids.map((id) => lib.truth.get(name)!.has(id)));
}

test('learnable labels: trained heads beat the few-shot baseline; the adapter improves cross-modal recall', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-learn-'));
  const lib = makeSyntheticLibrary(path.join(dir, 'foley.db'), { learnable: true });
  const s = await train(lib);
  const m = s.head!.metrics as { apBaseline: number; apFinal: number; labels: { name: string; apBaseline: number; apTrained: number; kept: boolean }[] };
  console.log(`learnable: held-out AP baseline ${m.apBaseline.toFixed(3)} → trained ${m.apFinal.toFixed(3)}`, m.labels.map((l) => `${l.name} ${l.apBaseline.toFixed(3)}→${l.apTrained.toFixed(3)}`).join(', '));
  assert.equal(s.head!.kept, true);
  assert.ok(m.apFinal - m.apBaseline >= MARGIN, `AP gain ${m.apFinal - m.apBaseline} < ${MARGIN}`);
  for (const l of m.labels) assert.equal(l.kept, true, `${l.name} kept`);

  const a = s.adapter!.metrics as { before: { audioToVisual: { mean: number }; visualToAudio: { mean: number } }; after: { audioToVisual: { mean: number }; visualToAudio: { mean: number } } };
  console.log(`adapter recall (mean R@1/5/10) a→v ${a.before.audioToVisual.mean.toFixed(3)} → ${a.after.audioToVisual.mean.toFixed(3)}, v→a ${a.before.visualToAudio.mean.toFixed(3)} → ${a.after.visualToAudio.mean.toFixed(3)}`);
  assert.equal(s.adapter!.kept, true);
  assert.ok(a.after.audioToVisual.mean > a.before.audioToVisual.mean + 0.1);
  assert.ok(a.after.visualToAudio.mean > a.before.visualToAudio.mean + 0.1);

  // Predictions for the whole library are stored; label search uses them, after the labelled moments.
  const head = activeVersion(lib.db, lib.modelId, 'head')!;
  assert.equal(head.id, s.head!.versionId);
  assert.equal(countPredictions(lib.db, head.id), 3 * lib.windowIds.length);
  const library = openLibrary(dir);
  try {
    const r = searchByLabel(library, { name: 'dog', modelId: lib.modelId, top: 10 });
    assert.equal(r.predictions?.kind, 'trained');
    assert.equal(r.predictions.kind === 'trained' ? r.predictions.versionId : null, head.id);
    const firstPrediction = r.moments.findIndex((x) => x.source === 'prediction');
    assert.equal(firstPrediction, r.labelled, 'labelled moments come first');
    assert.equal(r.moments.length, r.labelled + 10);
    const preds = r.moments.slice(firstPrediction);
    for (let i = 1; i < preds.length; i++) assert.ok(preds[i - 1]!.score >= preds[i]!.score);

    // Search quality on the windows nobody labelled, against the hidden rule.
    for (const name of ['dog', 'rain', 'siren']) {
      const pos = new Set<number>();
      const neg = new Set<number>();
      const table = readEmbeddingTable(lib.db, lib.modelId);
      const byFile = new Map<number, typeof table.windows[number][]>();
      for (const w of table.windows) byFile.set(w.fileId, [...(byFile.get(w.fileId) ?? []), w]);
      for (const l of listLabels(lib.db, { name })) for (const w of labelWindows(l, byFile.get(l.fileId) ?? [])) (l.polarity === 'positive' ? pos : neg).add(w.id);
      const rows = (ids: Set<number>): number[] => [...ids].map((id) => table.row.get(id)!);
      const baseline = scoreTable(table, fitFewShot(table, rows(pos), rows(neg))!);
      const trained = new Map(topPredictions(lib.db, head.id, name, 1e6).map((p) => [p.windowId, p.score]));
      const apZero = unlabelledAp(lib, name, (id) => baseline[table.row.get(id)!]!);
      const apTrained = unlabelledAp(lib, name, (id) => trained.get(id)!);
      console.log(`  ${name}: AP over unlabelled windows few-shot baseline ${apZero.toFixed(3)} → trained ${apTrained.toFixed(3)}`);
      assert.ok(apTrained - apZero >= MARGIN, `${name}: ${apZero} → ${apTrained}`);
    }
  } finally {
    library.close();
    lib.db.close();
  }
});

test('unlearnable labels: nothing is kept, the baseline stays in place', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-nolearn-'));
  const lib = makeSyntheticLibrary(path.join(dir, 'foley.db'), { learnable: false });
  const s = await train(lib);
  const m = s.head!.metrics as { apBaseline: number; apTrained: number; apFinal: number; labels: { kept: boolean }[] };
  console.log(`unlearnable: held-out AP baseline ${m.apBaseline.toFixed(3)}, trained ${m.apTrained.toFixed(3)}, final ${m.apFinal.toFixed(3)}`);
  assert.equal(s.head!.kept, false);
  assert.equal(m.apFinal, m.apBaseline, 'no regression: the baseline is what search uses');
  assert.ok(m.labels.every((l) => !l.kept));
  assert.equal(activeVersion(lib.db, lib.modelId, 'head'), undefined);
  const library = openLibrary(dir);
  try {
    const r = searchByLabel(library, { name: 'dog', modelId: lib.modelId, top: 5 });
    assert.equal(r.predictions?.kind, 'few-shot');
    assert.equal(r.moments.filter((x) => x.source === 'prediction').length, 5);
  } finally {
    library.close();
    lib.db.close();
  }
});
