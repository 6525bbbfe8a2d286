// Label services: parsing, snapping to windows, rename/merge/remove, CSV/JSON export and import,
// search order, suggestions and answers.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { parseClassCsv } from '../../core/learning/classes.ts';
import { searchByLabel } from '../../core/learning/label-search.ts';
import { addLabelTo, exportLabels, importLabels, labelSummary, listLabelViews, mergeLabelNames, parseMoment, parseTime, removeLabels, renameLabel } from '../../core/learning/labels.ts';
import { runTraining } from '../../core/learning/training/trainer.ts';
import { answerSuggestion, suggestionsOrBaseline } from '../../core/learning/suggestions.ts';
import { createJob } from '../../db/jobs.ts';
import { listAnswers } from '../../db/learning.ts';
import { FoleyError } from '../../base/errors.ts';
import { rollback } from '../../core/learning/training/versions.ts';
import { makeSyntheticLibrary } from '../training/synthetic.ts';

function lib(labelled = 0, files = 6): { library: Library; modelId: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-labels-'));
  const s = makeSyntheticLibrary(path.join(dir, 'foley.db'), { files, labelled });
  const modelId = s.modelId;
  s.db.close();
  return { library: openLibrary(dir), modelId };
}

const FILE = '/synthetic/clip-0001.mp4';

test('moments and times parse', () => {
  assert.deepEqual(parseMoment('/a/b@c.mp4@1:02.5-70'), { file: '/a/b@c.mp4', startS: 62.5, endS: 70 });
  assert.deepEqual(parseMoment('clip.mp4'), { file: 'clip.mp4', startS: null, endS: null });
  assert.deepEqual(parseMoment('clip.mp4@12'), { file: 'clip.mp4', startS: 12, endS: null });
  assert.equal(parseTime('1:00:02'), 3602);
  assert.throws(() => parseMoment('clip.mp4@20-10'), /ends before/);
  assert.throws(() => parseTime('abc'), /not a time/);
});

test('labels snap to windows; duplicates are not added twice', () => {
  const { library } = lib();
  assert.deepEqual(pick(addLabelTo(library, { name: 'dog', file: FILE, startS: 12 }).label), [10, 20]);
  assert.deepEqual(pick(addLabelTo(library, { name: 'dog', file: FILE, startS: 5, endS: 15 }).label), [0, 20]);
  const whole = addLabelTo(library, { name: 'outdoor', file: FILE, polarity: 'negative' }).label;
  assert.deepEqual([whole.startS, whole.endS, whole.polarity], [null, null, 'negative']);
  assert.equal(addLabelTo(library, { name: 'dog', file: FILE, startS: 13 }).added, false);
  assert.throws(() => addLabelTo(library, { name: 'dog', file: '/not/there.mp4' }), /not in the library/);
  assert.throws(() => addLabelTo(library, { name: ' ', file: FILE }), /empty/);
  assert.throws(() => addLabelTo(library, { name: 'dog', file: FILE, startS: 500, endS: 600 }), /no window/);
  assert.deepEqual(labelSummary(library), [{ name: 'dog', positives: 2, negatives: 0, learnedFrom: null }, { name: 'outdoor', positives: 0, negatives: 1, learnedFrom: null }]);
  library.close();
});

function pick(l: { startS: number | null; endS: number | null }): [number | null, number | null] {
  return [l.startS, l.endS];
}

test('rename, merge and remove', () => {
  const { library } = lib();
  addLabelTo(library, { name: 'dog', file: FILE, startS: 0 });
  addLabelTo(library, { name: 'doggo', file: FILE, startS: 0 });
  addLabelTo(library, { name: 'doggo', file: FILE, startS: 30 });
  addLabelTo(library, { name: 'pup', file: FILE, startS: 50 });
  assert.throws(() => renameLabel(library, 'pup', 'dog'), /exists already/);
  assert.deepEqual(renameLabel(library, 'pup', 'puppy'), { renamed: 1 });
  assert.deepEqual(mergeLabelNames(library, ['doggo', 'puppy'], 'dog'), { merged: 2 });
  assert.deepEqual(listLabelViews(library, { name: 'dog' }).map((l) => l.startS), [0, 30, 50], 'the duplicate at 0 merged away');
  const id = listLabelViews(library, { name: 'dog' })[0]!.id;
  assert.deepEqual(removeLabels(library, { ids: [id] }), { removed: 1 });
  assert.deepEqual(removeLabels(library, { name: 'dog' }), { removed: 2 });
  assert.equal(listLabelViews(library).length, 0);
  library.close();
});

test('user errors carry a code: missing things are not_found, bad input bad_request', () => {
  const { library, modelId } = lib();
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof FoleyError, String(e));
      return e.code;
    }
    assert.fail('expected an error');
  };
  assert.equal(code(() => addLabelTo(library, { name: 'dog', file: '/not/there.mp4' })), 'not_found');
  assert.equal(code(() => addLabelTo(library, { name: 'dog', file: FILE, startS: 500, endS: 600 })), 'not_found');
  assert.equal(code(() => addLabelTo(library, { name: ' ', file: FILE })), 'bad_request');
  assert.equal(code(() => renameLabel(library, 'nothing', 'else')), 'not_found');
  assert.equal(code(() => removeLabels(library, { ids: [999] })), 'not_found');
  assert.equal(code(() => answerSuggestion(library, modelId, 'dog', 999_999, 'accepted')), 'not_found');
  assert.equal(code(() => rollback(library, modelId, 'head', 999)), 'not_found');
  library.close();
});

test('CSV and JSON export import into another library; unknown files are reported', () => {
  const { library: a } = lib();
  addLabelTo(a, { name: 'dog, "good" boy', file: FILE, startS: 10 });
  addLabelTo(a, { name: 'rain', file: '/synthetic/clip-0002.mp4', polarity: 'negative' });
  for (const format of ['csv', 'json'] as const) {
    const text = exportLabels(a, format);
    const { library: b } = lib();
    const r = importLabels(b, text, format);
    assert.deepEqual(r, { added: 2, duplicates: 0, skipped: [] });
    const strip = (l: ReturnType<typeof listLabelViews>[number]): unknown => ({ ...l, id: 0, createdAt: 0, fileId: 0 });
    assert.deepEqual(listLabelViews(b).map(strip), listLabelViews(a).map(strip), format);
    assert.equal(importLabels(b, text, format).duplicates, 2);
    b.close();
  }
  const { library: c } = lib();
  const r = importLabels(c, 'name,path,start,end,polarity\ndog,/elsewhere.mp4,0,10,positive\ncat,/synthetic/clip-0003.mp4,0:20,,\n', 'csv');
  assert.equal(r.added, 1);
  assert.equal(r.skipped.length, 1);
  assert.match(r.skipped[0]!.reason, /not in the library/);
  assert.deepEqual(pick(listLabelViews(c, { name: 'cat' })[0]!), [20, 30]);
  a.close();
  c.close();
});

test('class-labels CSV is checked', () => {
  const csv = 'index,mid,display_name\n0,/m/a,"Dog, bark"\n1,/m/b,Rain\n';
  assert.deepEqual(parseClassCsv(csv), [{ index: 0, mid: '/m/a', name: 'Dog, bark' }, { index: 1, mid: '/m/b', name: 'Rain' }]);
  assert.throws(() => parseClassCsv('a,b,c\n'), /header/);
  assert.throws(() => parseClassCsv('index,mid,display_name\n1,/m/a,x\n'), /expected 0/);
});

test('search lists labelled moments first and never repeats labelled windows; suggestions become labels', async () => {
  const { library, modelId } = lib(150, 30);
  addLabelTo(library, { name: 'dog', file: FILE, startS: 40, polarity: 'negative' });
  const zero = searchByLabel(library, { name: 'dog', modelId, top: 5, includeNegatives: true });
  assert.equal(zero.predictions?.kind, 'few-shot');
  assert.ok(zero.moments.slice(0, zero.labelled).every((m) => m.source === 'label' && m.score === 1));
  const negative = zero.negatives!.find((m) => m.path === FILE && m.startS === 40)!;
  assert.ok(negative !== undefined);
  assert.ok(!zero.moments.some((m) => m.source === 'prediction' && m.windowId === negative.windowId), 'a window labelled "not dog" is no prediction');
  assert.deepEqual(searchByLabel(library, { name: 'nothing', modelId }).moments, []);

  const job = createJob(library.db, 'train', { modelId });
  await runTraining({ db: library.db, modelId, jobId: job.id, options: { adapter: false }, checkpoint: () => Promise.resolve() });
  // From the trained head where it learned "dog", else from the few-shot baseline: either way 3.
  const list = suggestionsOrBaseline(library, modelId, 'dog', 3).suggestions;
  assert.equal(list.length, 3);
  const labelledBefore = listLabelViews(library, { name: 'dog' }).length;
  answerSuggestion(library, modelId, 'dog', list[0]!.windowId, 'accepted');
  answerSuggestion(library, modelId, 'dog', list[1]!.windowId, 'rejected');
  const after = listLabelViews(library, { name: 'dog' });
  assert.equal(after.length, labelledBefore + 2);
  assert.deepEqual(listAnswers(library.db, 'dog').map((a) => a.answer), ['accepted', 'rejected']);
  const next = suggestionsOrBaseline(library, modelId, 'dog', 3).suggestions.map((s) => s.windowId);
  assert.ok(!next.includes(list[0]!.windowId) && !next.includes(list[1]!.windowId), 'answered windows are not suggested again');
  library.close();
});
