// `foley search --text` and `foley tags` without --model use the model that tags the library (the
// installed fine-tuned one), not the default model, which here is the pretrained one that indexed the
// library (as in the app's first run). With no fine-tuned model installed they say what to install.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runIndex } from '../../core/indexing/indexer.ts';
import { openLibrary } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { foley } from '../helpers/cli.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

let base: string;
let dataDir: string;
let clip: string;

before(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-text-default-'));
  const root = path.join(base, 'videos');
  dataDir = path.join(base, 'data');
  mkdirSync(root);
  clip = path.join(root, 'a.mp4');
  await makeClip(clip, 12, 400);
  const { model } = await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  const library = openLibrary(dataDir);
  await runIndex({ library, model, roots: [root], provider: 'cpu' });
  library.close();
});

after(() => rmSync(base, { recursive: true, force: true }));

test('without a fine-tuned model: search --text and tags say to install one', async () => {
  for (const args of [['search', '--text', 'dog'], ['tags', `${clip}@3`]]) {
    const r = await foley([...args, '--data-dir', dataDir, '--json']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no tagging model installed: install a fine-tuned checkpoint/);
  }
});

test('with one installed: --text and tags use it, not the default model', async () => {
  await importModel(dataDir, path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), { name: 'as', heads: 1 });
  // Installed after indexing: nothing is tagged until foley tag (or the next foley index) runs.
  const early = await foley(['search', '--text', 'dog', '--data-dir', dataDir, '--json']);
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /model as has not tagged the library yet: run foley tag/);
  const tag = await foley(['tag', '--data-dir', dataDir, '--json']);
  assert.equal(tag.code, 0, tag.stderr);
  assert.equal((JSON.parse(tag.stdout) as { model: string }).model, 'as');
  const text = await foley(['search', '--text', 'dog', '--data-dir', dataDir, '--json']);
  assert.equal(text.code, 0, text.stderr);
  const r = JSON.parse(text.stdout) as { results: { class: string; rank: number }[]; query: { model: string } };
  assert.equal(r.query.model, 'as');
  assert.ok(r.results.length > 0);
  assert.ok(r.results.every((x) => x.class === 'Dog'));
  const tags = await foley(['tags', `${clip}@3`, '--top', '3', '--data-dir', dataDir, '--json']);
  assert.equal(tags.code, 0, tags.stderr);
  const t = JSON.parse(tags.stdout) as { model: string; tags: { name: string }[] };
  assert.deepEqual([t.model, t.tags.length], ['as', 3]);
  // --model still names one: the pretrained default has no classifier.
  const named = await foley(['search', '--text', 'dog', '--model', 'tiny', '--data-dir', dataDir, '--json']);
  assert.notEqual(named.code, 0);
  assert.match(named.stderr, /tiny has no classifier/);
});
