// A fine-tuned checkpoint with 527 outputs is named by the shipped AudioSet list and one with 309 by
// the VGGSound list, with no CSV from the user; `foley label classes CSV` overrides the names at once,
// without re-tagging (names only label logit indices). Real clips, real ONNX sessions, through the CLI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runIndex } from '../../core/indexing/indexer.ts';
import { openLibrary, modelRecord } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

interface ClassSearch {
  class: { index: number; mid: string; name: string } | null;
  moments: { source: string; windowId: number; score: number }[];
}

test('527 and 309 outputs get the AudioSet and VGGSound names; a class CSV overrides them without re-tagging', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-shipped-classes-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  await makeClip(path.join(root, 'a.mp4'), 21, 400);
  const library = openLibrary(dataDir);
  const ids: Record<string, number> = {};
  for (const [name, variant] of [['as', 'ft-d32-c527'], ['vgg', 'ft-d32-c309']] as const) {
    const { model } = await importModel(dataDir, path.join(cavmaeDir(variant), 'checkpoint.pth'), { name, heads: 1 });
    await runIndex({ library, model, roots: [root], provider: 'cpu' });
    ids[name] = modelRecord(library, model).id;
  }
  const classLogitRows = (): number => library.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM class_logits').get()!.n;

  const cli = (...args: string[]): unknown => JSON.parse(execFileSync(process.execPath, [MAIN, ...args, '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as unknown;
  const classMoments = (r: ClassSearch): { windowId: number; score: number }[] => r.moments.filter((m) => m.source === 'class').map(({ windowId, score }) => ({ windowId, score }));

  // AudioSet names, any case, found by display name or ontology id; the 3 windows tagged on demand.
  const dog = cli('label', 'search', 'dog', '--model', 'as') as ClassSearch;
  assert.deepEqual(dog.class, { index: 74, mid: '/m/0bt9lr', name: 'Dog' });
  const dogMoments = classMoments(dog);
  assert.equal(dogMoments.length, 3);
  for (let i = 1; i < dogMoments.length; i++) assert.ok(dogMoments[i - 1]!.score >= dogMoments[i]!.score);
  assert.equal(classLogitRows(), 3);
  const bark = cli('label', 'search', '/m/05tny_', '--model', 'as') as ClassSearch;
  assert.deepEqual(bark.class, { index: 75, mid: '/m/05tny_', name: 'Bark' });
  assert.notDeepEqual(classMoments(bark).map((m) => m.score).sort(), dogMoments.map((m) => m.score).sort(), 'another class, other scores');

  // VGGSound names (no ids) for the 309-output model.
  const barking = cli('label', 'search', 'Dog Barking', '--model', 'vgg') as ClassSearch;
  assert.deepEqual(barking.class, { index: 62, mid: '', name: 'dog barking' });
  assert.equal(classMoments(barking).length, 3);
  assert.equal(classLogitRows(), 6);
  assert.equal((cli('label', 'search', 'dog', '--model', 'vgg') as ClassSearch).class, null, 'VGGSound has no class "dog"');

  // The user's names replace the shipped ones at once; the stored scores are reused as they are.
  const csv = path.join(base, 'classes.csv');
  writeFileSync(csv, `index,mid,display_name\n${Array.from({ length: 527 }, (_, i) => `${i},/t/${i},"Thing ${i}"`).join('\n')}\n`);
  assert.deepEqual(cli('label', 'classes', csv, '--model', 'as'), { classes: 527, scored: 0 });
  const thing = cli('label', 'search', 'thing 74', '--model', 'as') as ClassSearch;
  assert.deepEqual(thing.class, { index: 74, mid: '/t/74', name: 'Thing 74' });
  assert.deepEqual(classMoments(thing), dogMoments, 'the same scores, under the new name');
  assert.equal(classLogitRows(), 6, 'nothing re-tagged');
  assert.equal((cli('label', 'search', 'dog', '--model', 'as') as ClassSearch).class, null, 'the shipped names are gone for this model');
  assert.equal((cli('label', 'search', 'dog barking', '--model', 'vgg') as ClassSearch).class?.index, 62, 'and kept for the other');
  library.close();
});
