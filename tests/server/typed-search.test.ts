// Typed search over `foley serve`'s real HTTP API: search.suggest merges the tagging model's class names
// (AudioSet names for the tiny 527-output fine-tuned checkpoint) with the user's label names; a text
// query through the search bar's route ranks moments by that model's class probability, not the
// default (pretrained) model's; the Models response says which model tags and how far it is. Before a
// fine-tuned model is installed, both say why there are no class names.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApi } from '../../core/api/handlers.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import type { ApiSearchResponse, ModelsResponse, NameSuggestions } from '../../core/api/contract.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import { openLibrary } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { searchByClass } from '../../core/search/class-search.ts';
import { startServer } from '../../server/server.ts';
import type { RunningServer } from '../../server/server.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

const TOKEN = 'typed-search-token-0123456789';

describe('typed search over foley serve HTTP', { timeout: 120_000 }, () => {
  let base: string;
  let root: string;
  let dataDir: string;
  let api: FoleyApi;
  let server: RunningServer;

  /** A JSON POST with the token; the parsed body and the status. */
  const post = async <T>(route: string, body: unknown): Promise<{ status: number; body: T & { error?: { code: string; message: string } } }> => {
    const res = await fetch(`http://127.0.0.1:${server.port}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T & { error?: { code: string; message: string } } };
  };
  const call = <T>(method: string, params: unknown) => post<T>(`/api/call/${method}`, params);

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-typed-search-'));
    root = path.join(base, 'videos');
    dataDir = path.join(base, 'data');
    mkdirSync(root);
    await Promise.all([makeClip(path.join(root, 'a.mp4'), 21, 400), makeClip(path.join(root, 'b.mp4'), 12, 1200, 'smptebars')]);
    // The pretrained tiny model is the default and indexes the library, as in the app's first run.
    const { model } = await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
    const library = openLibrary(dataDir);
    await runIndex({ library, model, roots: [root], provider: 'cpu' });
    library.close();
    const dist = path.join(base, 'dist');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Foley</title>');
    // No training while the test labels moments.
    api = createApi({ dataDir, provider: 'cpu', threads: 1, trainDebounceMs: 600_000 });
    server = await startServer({ api, token: TOKEN, rendererDir: dist });
  });

  after(async () => {
    await server?.close();
    await api?.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('without a tagging model: labels only, and why there are no class names', async () => {
    await call('labels.add', { file: path.join(root, 'a.mp4'), start: 0, name: 'Dog' });
    await call('labels.add', { file: path.join(root, 'b.mp4'), start: 0, name: 'barking dogs outside' });
    await call('labels.add', { file: path.join(root, 'b.mp4'), start: 0, name: 'cat', polarity: 'negative' });
    const r = await call<NameSuggestions>('search.suggest', { text: 'DO' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { text: 'DO', suggestions: [{ source: 'label', name: 'Dog', kind: 'prefix', positives: 1 }, { source: 'label', name: 'barking dogs outside', kind: 'words', positives: 1 }], model: null, noClassNames: 'no-tagging-model' });
    // A name with negative examples only is not offered: a label search would find nothing.
    assert.deepEqual((await call<NameSuggestions>('search.suggest', { text: 'cat' })).body.suggestions, []);
    const text = await call<ApiSearchResponse>('search', { query: { kind: 'text', text: 'dog' } });
    assert.equal(text.status, 409);
    assert.match(text.body.error?.message ?? '', /no tagging model installed/);
    assert.equal((await call<ModelsResponse>('models.list', {})).body.tagging, null);
    assert.equal((await call('search.suggest', { text: '' })).status, 400);
    assert.equal((await call('search.suggest', { text: 'do', limit: 500 })).status, 400);
  });

  test('with a fine-tuned model: class names and labels merged, labels first when exact', async () => {
    // Installed through the API, as the Models page does: the app then tags the library in the background.
    const installed = await call('models.import', { file: path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), name: 'as', heads: 1, precision: 'fp32' });
    assert.equal(installed.status, 200, JSON.stringify(installed.body));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { tagging } = (await call<ModelsResponse>('models.list', {})).body;
      if (tagging !== null && tagging.windows > 0 && tagging.tagged === tagging.windows && !tagging.running) break;
      assert.ok(Date.now() < deadline, `the library was not tagged in 60 s: ${JSON.stringify(tagging)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = (await call<NameSuggestions>('search.suggest', { text: 'dog', limit: 8 })).body;
    assert.equal(r.model, 'as');
    assert.equal(r.noClassNames, null);
    assert.equal(r.suggestions.length, 8);
    // By kind (exact, prefix, words, related), the label first within a kind: the exact label, the
    // exact classes ("Canidae, dogs, wolves" too), the label with the word, then the classes under Dog.
    assert.deepEqual(r.suggestions.slice(0, 4).map((s) => [s.source, s.name, s.kind]), [['label', 'Dog', 'exact'], ['class', 'Dog', 'exact'], ['class', 'Canidae, dogs, wolves', 'exact'], ['label', 'barking dogs outside', 'words']]);
    const dog = r.suggestions[1]!;
    assert.deepEqual(dog, { source: 'class', name: 'Dog', kind: 'exact', matched: 'Dog', index: 74, model: 'as' });
    assert.ok(r.suggestions.slice(4).some((s) => s.source === 'class' && s.name === 'Bark' && s.kind === 'related' && s.matched === 'Dog'), JSON.stringify(r.suggestions));
    // Synonyms and plurals: "man speak" finds the class by its second name.
    const man = (await call<NameSuggestions>('search.suggest', { text: 'men speaking', limit: 3 })).body.suggestions[0]!;
    assert.deepEqual([man.source, man.name, man.kind], ['class', 'Male speech, man speaking', 'exact']);
    assert.ok(man.source === 'class' && man.matched === 'man speaking');
  });

  test('a text query on the search bar\'s route: moments by the tagging model\'s probability, each with its class', async () => {
    const r = await post<ApiSearchResponse>('/api/search', { query: { kind: 'text', text: 'dog' }, top: 3 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.query.kind, r.body.query.model, r.body.query.text?.text, r.body.query.text?.names], ['text', 'as', 'dog', 'audioset']);
    assert.deepEqual(r.body.query.text?.classes, [{ index: 74, mid: '/m/0bt9lr', name: 'Dog' }]);
    assert.ok(r.body.results.length >= 2, `${r.body.results.length} moments`);
    for (const [i, x] of r.body.results.entries()) {
      assert.deepEqual([x.class, x.classIndex, x.mid, x.rank], ['Dog', 74, '/m/0bt9lr', i + 1]);
      assert.ok(x.end > x.start && x.window.id > 0 && x.fileId > 0);
    }
    assert.deepEqual(r.body.results.map((x) => x.score), r.body.results.map((x) => x.score).sort((a, b) => b - a));
    // The same as the core's search for the class, through the same model.
    const library = openLibrary(dataDir);
    try {
      const direct = await searchByClass(library, { text: 'dog', model: 'as', top: 3 });
      assert.deepEqual(r.body.results.map((x) => [x.file, x.start, x.end, x.score]), direct.results.map((x) => [x.file, x.start, x.end, x.score]));
    } finally {
      library.close();
    }
    // The contract method says the same; offset pages; a name no class has is a 404 that says so.
    const viaCall = await call<ApiSearchResponse>('search', { query: { kind: 'text', text: 'Dog' }, top: 1, offset: 1 });
    assert.deepEqual(viaCall.body.results.map((x) => [x.rank, x.file, x.start]), [[2, r.body.results[1]!.file, r.body.results[1]!.start]]);
    const none = await call<ApiSearchResponse>('search', { query: { kind: 'text', text: 'zzqx' } });
    assert.equal(none.status, 404);
    assert.match(none.body.error?.message ?? '', /no class of as is called "zzqx"/);
    // Naming a model without classes is refused with the reason.
    const pretrained = await call<ApiSearchResponse>('search', { query: { kind: 'text', text: 'dog' }, model: 'tiny' });
    assert.equal(pretrained.status, 400);
    assert.match(pretrained.body.error?.message ?? '', /tiny has no classifier/);
    assert.equal((await call('search', { query: { kind: 'text', text: ' ' } })).status, 400);
    const refine = await call<ApiSearchResponse>('search', { query: { kind: 'text', text: 'dog' }, refine: true });
    assert.equal(refine.status, 400);
    assert.match(refine.body.error?.message ?? '', /a text query has no picture to localise/);
  });

  test('models.list says which model tags, how, and how far it is', async () => {
    const tagging = (await call<ModelsResponse>('models.list', {})).body.tagging;
    assert.ok(tagging !== null);
    assert.equal(tagging.model, 'as');
    assert.deepEqual([tagging.recipe.mode, tagging.recipe.frames, tagging.recipe.source], ['multimodal', 1, 'default']);
    assert.equal(tagging.windows, 5);
    assert.ok(tagging.tagged >= 0 && tagging.tagged <= tagging.windows);
  });
});
