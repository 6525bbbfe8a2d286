// `foley search --text NAME` and `foley tags FILE@SECONDS` end to end on real clips indexed with the tiny 527-output fine-tuned
// checkpoint (AudioSet names shipped): windows ranked by the probability (sigmoid of the stored
// logits) for the class, in order, for a class that is no window's top class too; names resolved as
// typed; the user's class CSV renames at once, without re-tagging.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runIndex } from '../../core/indexing/indexer.ts';
import { openLibrary, modelRecord } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { suggestClasses } from '../../core/learning/class-suggest.ts';
import { shippedClassList } from '../../native-models/cavmae/class-lists.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'cli', 'main.ts');
const AUDIOSET = shippedClassList(527)!.classes;

interface TextResult {
  rank: number;
  file: string;
  start: number;
  end: number;
  score: number;
  windows: number;
  window: { id: number };
  class: string;
  classIndex: number;
  mid: string;
  matched: string;
}
interface TagsResponse {
  tags: { name: string; mid: string; score: number; index: number }[];
  window: { id: number; start: number; end: number };
  names: string;
  scored: number;
}
interface TextResponse {
  results: TextResult[];
  query: { kind: string; text: string; model: string; classes: { index: number; name: string }[]; names: string };
  hasMore: boolean;
  tagged: number;
  windows: number;
}

test('search --text ranks windows by the class probability and tags list a window\'s classes; names as typed; renames without re-scoring', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-text-search-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  await makeClip(path.join(root, 'a.mp4'), 21, 400);
  await makeClip(path.join(root, 'b.mp4'), 12, 1200, 'smptebars');
  const { model } = await importModel(dataDir, path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), { name: 'as', heads: 1 });
  const library = openLibrary(dataDir);
  await runIndex({ library, model, roots: [root], provider: 'cpu' });
  const modelId = modelRecord(library, model).id;

  const cli = (...args: string[]): TextResponse => JSON.parse(execFileSync(process.execPath, [MAIN, 'search', ...args, '--model', 'as', '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as TextResponse;
  /** The stored logits through a sigmoid, computed here: window id → 527 probabilities. */
  const stored = (): Map<number, Float64Array> => {
    const rows = library.db.prepare<[number], { window_id: number; logits: Buffer }>('SELECT window_id, logits FROM class_logits WHERE model_id = ?').all(modelId);
    const probability = (b: Buffer): Float64Array => Float64Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), (z) => 1 / (1 + Math.exp(-z)));
    return new Map(rows.map((r) => [r.window_id, probability(r.logits)]));
  };
  /** Every window, best first, for one class, as the search should rank them. */
  const expected = (scores: Map<number, Float64Array>, index: number): { id: number; score: number }[] =>
    [...scores].map(([id, s]) => ({ id, score: s[index]! })).sort((a, b) => b.score - a.score || a.id - b.id);

  // Tags of a moment first: only that file's 2 windows are classified.
  const tagsOf = (moment: string, ...more: string[]): TagsResponse =>
    JSON.parse(execFileSync(process.execPath, [MAIN, 'tags', moment, '--model', 'as', ...more, '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as TagsResponse;
  const bTags = tagsOf(`${path.join(root, 'b.mp4')}@3`, '--top', '5');
  assert.equal(bTags.scored, 2);
  assert.equal(stored().size, 2);
  const bWindow = stored().get(bTags.window.id)!;
  assert.deepEqual([bTags.window.start, bTags.names, bTags.tags.length], [0, 'audioset', 5]);
  const bBest = [...bWindow].map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index).slice(0, 5);
  // Tags carry float32 probabilities.
  assert.deepEqual(bTags.tags, bBest.map((t) => ({ name: AUDIOSET[t.index]!.name, mid: AUDIOSET[t.index]!.mid, score: Math.fround(t.score), index: t.index })));

  // The rest of the library is tagged by foley tag (as foley index does when a tagging model is installed).
  const tag = JSON.parse(execFileSync(process.execPath, [MAIN, 'tag', '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as { tagged: number; model: string };
  assert.deepEqual([tag.tagged, tag.model], [3, 'as']);
  const dog = cli('--text', 'dog', '--no-merge', '--top', '10');
  assert.deepEqual([dog.tagged, dog.windows], [5, 5], 'every window tagged (by foley tag): search never classifies');
  const scores = stored();
  assert.equal(scores.size, 5);
  assert.deepEqual(dog.query.classes.map((c) => c.name), ['Dog']);
  assert.equal(dog.query.names, 'audioset');
  const want = expected(scores, 74);
  assert.deepEqual(dog.results.map((r) => r.window.id), want.map((e) => e.id));
  dog.results.forEach((r, i) => assert.ok(Math.abs(r.score - want[i]!.score) < 1e-12, `${r.score} vs ${want[i]!.score}`));
  assert.deepEqual(dog.results.map((r) => r.rank), [1, 2, 3, 4, 5]);
  assert.equal(new Set(dog.results.map((r) => r.score)).size, 5, 'distinct probabilities: the order means something');
  for (const r of dog.results) assert.deepEqual([r.class, r.classIndex, r.mid, r.matched], ['Dog', 74, '/m/0bt9lr', 'both']);

  // A class that is no window's top class ranks the windows by its own probability all the same.
  const tops = new Set([...scores.values()].map((s) => s.indexOf(Math.max(...s))));
  const spread = (i: number): number => Math.max(...[...scores.values()].map((s) => s[i]!)) - Math.min(...[...scores.values()].map((s) => s[i]!));
  const quiet = AUDIOSET.filter((c) => !tops.has(c.index) && !c.name.includes(',')).sort((a, b) => spread(b.index) - spread(a.index))[0]!;
  const byQuiet = cli('--text', quiet.name.toUpperCase(), '--no-merge');
  assert.deepEqual([byQuiet.tagged, byQuiet.windows], [5, 5]);
  assert.deepEqual(byQuiet.results.map((r) => r.window.id), expected(scores, quiet.index).map((e) => e.id));
  assert.ok(byQuiet.results.every((r) => r.class === quiet.name));
  assert.notDeepEqual(byQuiet.results.map((r) => r.window.id), dog.results.map((r) => r.window.id), 'another class, another order');

  // Adjacent windows of a file merge into moments; --top pages them.
  const merged = cli('--text', 'dog');
  assert.ok(merged.results.length < 5 && merged.results.length >= 2, `${merged.results.length} moments from 5 windows of 2 files`);
  assert.equal(merged.results.reduce((n, r) => n + r.windows, 0), 5);
  assert.equal(merged.results[0]!.score, dog.results[0]!.score);
  const first = cli('--text', 'dog', '--top', '1');
  assert.equal(first.results.length, 1);
  assert.equal(first.hasMore, true);

  // A moment search narrowed to a class: only windows the model gives Dog at least --class-min.
  const dogRank = expected(stored(), 74);
  const min = dogRank[2]!.score;
  const passing = new Set(dogRank.filter((e) => e.score >= min).map((e) => e.id));
  assert.equal(passing.size, 3);
  interface MomentResponse { results: { window: { id: number }; score: number }[]; classFilter: { classes: string[]; min: number; windows: number; tagged: number; total: number } }
  const at = (...more: string[]): MomentResponse =>
    JSON.parse(execFileSync(process.execPath, [MAIN, 'search', '--at', `${path.join(root, 'a.mp4')}@3`, '--no-merge', '--model', 'as', ...more, '--data-dir', dataDir, '--json'], { encoding: 'utf8' })) as MomentResponse;
  const narrowed = at('--class', 'dog', '--class-min', String(min));
  const everything = at();
  assert.deepEqual(narrowed.results.map((r) => r.window.id), everything.results.map((r) => r.window.id).filter((id) => passing.has(id)), 'the same ranking, among the passing windows');
  assert.ok(narrowed.results.length >= 2 && narrowed.results.length < everything.results.length);
  assert.deepEqual([narrowed.classFilter.classes, narrowed.classFilter.min, narrowed.classFilter.windows, narrowed.classFilter.tagged, narrowed.classFilter.total], [['Dog'], min, 3, 5, 5]);
  const badMin = spawnSync(process.execPath, [MAIN, 'search', '--at', `${path.join(root, 'a.mp4')}@3`, '--class', 'dog', '--class-min', '1.5', '--data-dir', dataDir], { encoding: 'utf8' });
  assert.notEqual(badMin.status, 0);
  assert.match(badMin.stderr, /--class-min must be between 0 and 1/);

  // Names as typed: plurals, synonyms, unfinished words.
  assert.deepEqual(cli('--text', 'barks').query.classes.map((c) => c.name), ['Bark']);
  assert.deepEqual(cli('--text', 'dogs').query.classes.map((c) => c.name), ['Dog']);
  assert.deepEqual(cli('--text', 'man speaking').query.classes.map((c) => c.name), ['Male speech, man speaking']);
  assert.deepEqual(cli('--text', 'appl').query.classes.map((c) => c.name), ['Applause']);
  const none = spawnSync(process.execPath, [MAIN, 'search', '--text', 'zzqx', '--model', 'as', '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /no class of as is called "zzqx"/);
  const mixed = spawnSync(process.execPath, [MAIN, 'search', '--text', 'dog', '--at', 'x.mp4@1', '--data-dir', dataDir], { encoding: 'utf8' });
  assert.notEqual(mixed.status, 0);
  assert.match(mixed.stderr, /--text NAME is a search of its own/);

  // Type-ahead over the model's names: the shipped list, with ontology children.
  assert.deepEqual(suggestClasses(library, modelId, 527, 'do', 3).map((m) => m.name), ['Dog', 'Pigeon, dove', 'Canidae, dogs, wolves']);
  assert.ok(suggestClasses(library, modelId, 527, 'dog').some((m) => m.name === 'Bark' && m.kind === 'related'));

  // The user's names win at once; the stored scores serve them.
  const csv = path.join(base, 'classes.csv');
  writeFileSync(csv, `index,mid,display_name\n${AUDIOSET.map((c) => `${c.index},/t/${c.index},"Thing ${c.index}"`).join('\n')}\n`);
  execFileSync(process.execPath, [MAIN, 'label', 'classes', csv, '--model', 'as', '--data-dir', dataDir], { encoding: 'utf8' });
  const renamed = cli('--text', 'thing 74', '--no-merge');
  assert.equal(renamed.query.names, 'user');
  assert.deepEqual(renamed.results.map((r) => [r.window.id, r.score, r.class, r.mid]), dog.results.map((r) => [r.window.id, r.score, 'Thing 74', '/t/74']));
  const gone = spawnSync(process.execPath, [MAIN, 'search', '--text', 'dog', '--model', 'as', '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
  assert.match(gone.stderr, /no class of as is called "dog"/);
  assert.deepEqual(suggestClasses(library, modelId, 527, 'thing 7', 2), [
    { index: 7, name: 'Thing 7', kind: 'exact', matched: 'Thing 7' },
    { index: 70, name: 'Thing 70', kind: 'prefix', matched: 'Thing 70' },
  ]);
  assert.deepEqual(suggestClasses(library, modelId, 527, 'dog'), [], 'the shipped names are no longer offered');
  const renamedTags = tagsOf(`${path.join(root, 'a.mp4')}@12.5`, '--top', '3');
  assert.deepEqual([renamedTags.window.start, renamedTags.scored, renamedTags.names], [10, 0, 'user']);
  assert.ok(renamedTags.tags.every((t) => t.name === `Thing ${t.index}` && t.mid === `/t/${t.index}`));
  assert.ok(renamedTags.tags[0]!.score >= renamedTags.tags[1]!.score && renamedTags.tags[1]!.score >= renamedTags.tags[2]!.score);
  library.close();
});

test('search --text says why a model cannot answer: no classifier, or classes without names', async () => {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'foley-text-search-none-')), 'data');
  await importModel(dataDir, path.join(cavmaeDir('ft-d32-c10'), 'checkpoint.pth'), { name: 'ten', heads: 1 });
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'pre', heads: 1 });
  const run = (name: string): string => {
    const r = spawnSync(process.execPath, [MAIN, 'search', '--text', 'dog', '--model', name, '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    return r.stderr;
  };
  assert.match(run('ten'), /model ten has 10 classes and no names: give them with foley label classes CSV/);
  assert.match(run('pre'), /model pre has no classifier/);
});
