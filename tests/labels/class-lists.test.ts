// The shipped class lists (native-models/cavmae/classes/): AudioSet's 527 in the official index order
// with their ontology children, VGGSound's 309 in sorted order, chosen by a classifier's output count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shippedClassList } from '../../native-models/cavmae/class-lists.ts';

test('527 outputs: AudioSet, in the official index order, with ids and ontology children', () => {
  const list = shippedClassList(527);
  assert.ok(list !== undefined);
  assert.equal(list.list, 'audioset');
  assert.match(list.licence, /CC BY-SA 4\.0/);
  assert.equal(list.classes.length, 527);
  list.classes.forEach((c, i) => assert.equal(c.index, i));
  // Rows of the official class_labels_indices.csv.
  assert.deepEqual(list.classes[0], { index: 0, mid: '/m/09x0r', name: 'Speech', children: list.classes[0]!.children });
  const byName = new Map(list.classes.map((c) => [c.name, c]));
  const dog = byName.get('Dog');
  assert.equal(dog?.mid, '/m/0bt9lr');
  assert.equal(dog?.index, 74);
  assert.deepEqual(dog?.children.map((i) => list.classes[i]!.name), ['Bark', 'Yip', 'Howl', 'Bow-wow', 'Growling', 'Whimper (dog)']);
  assert.equal(list.classes[526]!.name, 'Field recording');
  assert.equal(new Set(list.classes.map((c) => c.mid)).size, 527, 'ids are unique');
  for (const c of list.classes) for (const k of c.children) assert.ok(k >= 0 && k < 527 && k !== c.index);
});

test('309 outputs: VGGSound, sorted, no ids', () => {
  const list = shippedClassList(309);
  assert.ok(list !== undefined);
  assert.equal(list.list, 'vggsound');
  assert.match(list.licence, /CC BY 4\.0/);
  const names = list.classes.map((c) => c.name);
  assert.equal(new Set(names).size, 309);
  assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  assert.equal(names[0], 'air conditioning noise');
  assert.ok(names.includes('dog barking') && names.includes('people clapping'));
  assert.ok(list.classes.every((c) => c.mid === '' && c.children.length === 0));
});

test('any other output count, or none, has no shipped list', () => {
  assert.equal(shippedClassList(10), undefined);
  assert.equal(shippedClassList(null), undefined);
  assert.equal(shippedClassList(308), undefined);
});
