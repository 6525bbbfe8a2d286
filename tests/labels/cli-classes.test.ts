// End to end through the CLI on real (generated) clips indexed with the tiny fine-tuned CAV-MAE
// fixture (D=32, 10 classes): label add/list/export/search, class names from a made-up CSV with
// classifier scores computed on demand, and `foley train --json`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runIndex } from '../../core/indexing/indexer.ts';
import { openLibrary, modelRecord } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { listModelClasses } from '../../db/learning.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

test('label, class names and train through the CLI', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-label-cli-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  const a = path.join(root, 'a.mp4');
  const b = path.join(root, 'b.mp4');
  await makeClip(a, 21, 400);
  await makeClip(b, 12, 1200, 'smptebars');
  const { model } = await importModel(dataDir, path.join(cavmaeDir('ft-d32-c10'), 'checkpoint.pth'), { name: 'ft', heads: 1 });
  const library = openLibrary(dataDir);
  await runIndex({ library, model, roots: [root], provider: 'cpu' });
  const modelId = modelRecord(library, model).id;
  library.close();

  const cli = (...args: string[]): unknown => JSON.parse(execFileSync(process.execPath, [MAIN, ...args, '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as unknown;

  const added = cli('label', 'add', 'hum', `${a}@12.5`) as { label: { startS: number; endS: number; polarity: string }; added: boolean };
  assert.deepEqual([added.label.startS, added.label.endS, added.label.polarity, added.added], [10, 20, 'positive', true]);
  cli('label', 'add', 'hum', `${b}@0-5`, '--negative');
  const listed = cli('label', 'list') as { labels: { name: string }[] };
  assert.equal(listed.labels.length, 2);

  const csv = path.join(base, 'classes.csv');
  writeFileSync(csv, `index,mid,display_name\n${Array.from({ length: 10 }, (_, i) => `${i},/m/c${i},"Class ${i}"`).join('\n')}\n`);
  assert.deepEqual(cli('label', 'classes', csv, '--model', 'ft'), { classes: 10, scored: 0 });
  const check = openLibrary(dataDir);
  assert.equal(listModelClasses(check.db, modelId).length, 10);
  check.close();

  const byClass = cli('label', 'search', 'class 3', '--model', 'ft') as { class: { index: number } | null; moments: { source: string; score: number }[] };
  assert.equal(byClass.class?.index, 3);
  const cls = byClass.moments.filter((m) => m.source === 'class');
  assert.equal(cls.length, 5, 'every window (3 of a, 2 of b) scored on demand');
  for (const m of cls) assert.ok(m.score > 0 && m.score < 1);
  for (let i = 1; i < cls.length; i++) assert.ok(cls[i - 1]!.score >= cls[i]!.score);

  const byLabel = cli('label', 'search', 'hum', '--model', 'ft') as { labelled: number; predictions: { kind: string }; moments: { source: string; path: string; startS: number }[] };
  assert.equal(byLabel.labelled, 1);
  assert.equal(byLabel.predictions?.kind, 'few-shot');
  assert.equal(byLabel.moments[0]!.source, 'label');
  assert.ok(!byLabel.moments.some((m) => m.source === 'prediction' && m.path === b && m.startS === 0), 'the negative window is not predicted');

  const viaSearch = cli('search', '--label', 'hum', '--model', 'ft') as typeof byLabel;
  assert.deepEqual(viaSearch, byLabel, 'foley search --label NAME is the same search');

  const trained = cli('train', '--model', 'ft') as { status: string; summary: { labels: string[]; head: { kept: boolean }; adapter: { kept: boolean; metrics: { skipped: string } } } };
  assert.equal(trained.status, 'done');
  assert.deepEqual(trained.summary.labels, ['hum']);
  assert.equal(trained.summary.head.kept, false, 'one example: nothing to judge, baseline stays');
  assert.match(trained.summary.adapter.metrics.skipped, /need 40/);
  const exported = execFileSync(process.execPath, [MAIN, 'label', 'export', '--data-dir', dataDir], { encoding: 'utf8' });
  assert.match(exported, /^name,path,start,end,polarity\nhum,.*a\.mp4,10,20,positive\nhum,.*b\.mp4,0,10,negative\n$/);
});
