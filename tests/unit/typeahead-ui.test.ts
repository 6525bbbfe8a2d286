// The search bar's type-ahead and the Models page's tagging line, as the renderer computes them
// (renderer/src/typeahead.ts, renderer/src/tagging.ts: no DOM, so they run here under Node).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NameSuggestions, TaggingStatus } from '../../core/api/contract.ts';
import { detail, moveActive, pickOption, pickTyped, wantsSuggestions } from '../../renderer/src/typeahead.ts';
import { recipeText, taggingLine, taggingRunText } from '../../renderer/src/tagging.ts';

const answer = (classes: boolean): NameSuggestions => ({
  text: 'do',
  suggestions: classes ? [{ source: 'class', name: 'Dog', kind: 'prefix', matched: 'Dog', index: 74, model: 'as' }] : [],
  model: classes ? 'as' : null,
  noClassNames: classes ? null : 'no-tagging-model',
});

test('suggestions from two characters on; "label:" is a label search of its own', () => {
  assert.equal(wantsSuggestions('d'), false);
  assert.equal(wantsSuggestions(' d '), false);
  assert.equal(wantsSuggestions('do'), true);
  assert.equal(wantsSuggestions('label: door'), false);
});

test('what an option says: the synonym or parent that matched, or that it is a label', () => {
  assert.equal(detail({ source: 'class', name: 'Dog', kind: 'exact', matched: 'Dog', index: 74, model: 'as' }), 'sound');
  assert.equal(detail({ source: 'class', name: 'Male speech, man speaking', kind: 'exact', matched: 'man speaking', index: 1, model: 'as' }), 'sound · “man speaking”');
  assert.equal(detail({ source: 'class', name: 'Bark', kind: 'related', matched: 'Dog', index: 75, model: 'as' }), 'sound · related to Dog');
  assert.equal(detail({ source: 'label', name: 'door', kind: 'exact', positives: 1 }), 'your label · 1 example');
  assert.equal(detail({ source: 'label', name: 'door', kind: 'exact', positives: 3 }), 'your label · 3 examples');
});

test('arrow keys wrap around the list', () => {
  assert.deepEqual([moveActive(-1, 3, 'ArrowDown'), moveActive(2, 3, 'ArrowDown'), moveActive(0, 3, 'ArrowUp'), moveActive(-1, 3, 'ArrowUp'), moveActive(0, 0, 'ArrowDown')], [0, 0, 2, 2, -1]);
});

test('Enter on the typed text: a label of that name, else a sound name the model knows, else the label search', () => {
  assert.deepEqual(pickTyped('DOOR ', ['door'], answer(true)), { kind: 'label', name: 'door' });
  assert.deepEqual(pickTyped('dogs', ['door'], answer(true)), { kind: 'text', name: 'dogs' });
  assert.deepEqual(pickTyped('dogs', ['door'], answer(false)), { kind: 'label', name: 'dogs' });
  assert.deepEqual(pickTyped('label: dog', [], answer(true)), { kind: 'label', name: 'dog' });
  assert.equal(pickTyped('  ', [], answer(true)), undefined);
  assert.equal(pickTyped('label:', [], null), undefined);
  assert.deepEqual(pickOption({ source: 'class', name: 'Bark', kind: 'related', matched: 'Dog', index: 75, model: 'as' }), { kind: 'text', name: 'Bark' });
  assert.deepEqual(pickOption({ source: 'label', name: 'door', kind: 'prefix', positives: 2 }), { kind: 'label', name: 'door' });
});

test('the tagging line: model, mode, pictures per window, coverage; the run (going or paused, time left) when known', () => {
  const t: TaggingStatus = { model: 'as2m-av', recipe: { mode: 'multimodal', frames: 10, activation: 'sigmoid', source: 'official' }, modes: [], tagged: 1204, windows: 3100, running: false, paused: false, msPerWindow: null };
  assert.equal(taggingLine(t), 'Tagging with as2m-av (audio-visual, 10 pictures per window): 1,204 of 3,100 windows');
  assert.equal(taggingRunText(t), '');
  // 1,896 windows left at 38.4 ms each: 73 s.
  assert.equal(taggingRunText({ ...t, running: true, msPerWindow: 38.4 }), 'tagging now · about 73 s left · 38 ms per window');
  assert.equal(taggingRunText({ ...t, paused: true, msPerWindow: 4000 }), 'paused · about 2.1 h left · 4000 ms per window');
  assert.equal(taggingRunText({ ...t, running: true, msPerWindow: 1000 }), 'tagging now · about 32 min left · 1000 ms per window');
  assert.equal(taggingRunText({ ...t, msPerWindow: 2.25 }), '2.3 ms per window');
  assert.equal(recipeText({ mode: 'audioonly', frames: 0, activation: 'softmax', source: 'official' }), 'sound only');
  assert.equal(recipeText({ mode: 'multimodal', frames: 1, activation: 'sigmoid', source: 'default' }), 'audio-visual, 1 picture per window');
});
