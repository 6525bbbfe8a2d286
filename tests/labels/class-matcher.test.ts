// The type-ahead name matcher (core/learning/class-matcher.ts) on the shipped AudioSet and VGGSound
// lists and on a small made-up list for the edge cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClassMatcher } from '../../core/learning/class-matcher.ts';
import { shippedClassList } from '../../native-models/cavmae/class-lists.ts';

const audioset = createClassMatcher(shippedClassList(527)!.classes);
const vggsound = createClassMatcher(shippedClassList(309)!.classes);
const names = (found: { name: string }[]): string[] => found.map((m) => m.name);

test('"dog" finds Dog first, then the sounds under it in the ontology', () => {
  const found = audioset('dog');
  assert.deepEqual(found[0], { index: 74, name: 'Dog', kind: 'exact', matched: 'Dog' });
  assert.deepEqual(found[1], { index: 122, name: 'Canidae, dogs, wolves', kind: 'exact', matched: 'dogs' }, 'a synonym, plural-insensitive');
  const children = found.filter((m) => m.kind === 'related' && m.matched === 'Dog');
  assert.deepEqual(names(children), ['Bark', 'Yip', 'Howl', 'Bow-wow', 'Growling', 'Whimper (dog)']);
  assert.ok(found.indexOf(children[0]!) > 1, 'children after the classes named so');
});

test('case, accents and plurals do not matter; "barks" is Bark', () => {
  assert.deepEqual(audioset('barks')[0], { index: 75, name: 'Bark', kind: 'exact', matched: 'Bark' });
  assert.deepEqual(audioset('DOGS')[0]?.name, 'Dog');
  assert.deepEqual(audioset('horses')[0]?.name, 'Horse');
  assert.deepEqual(audioset('ÉXPLOSIONS')[0]?.name, 'Explosion');
  assert.deepEqual(names(audioset('barks', 2)).length, 1, 'nothing else is a bark');
});

test('synonyms after a comma match on their own; words in any order; the last word may be unfinished', () => {
  assert.deepEqual(audioset('man speaking')[0], { index: 1, name: 'Male speech, man speaking', kind: 'exact', matched: 'man speaking' });
  assert.deepEqual(audioset('man speak')[0]?.kind, 'prefix');
  assert.deepEqual(audioset('speaking man')[0], { index: 1, name: 'Male speech, man speaking', kind: 'words', matched: 'man speaking' });
  assert.deepEqual(audioset('appl')[0]?.name, 'Applause');
  assert.equal(audioset('ma speaking').length, 0, 'only the last word may be unfinished');
});

test('VGGSound names: "dog" and "barks" find the dog sounds', () => {
  const dog = vggsound('dog', 50);
  assert.ok(dog.length >= 5 && dog.every((m) => m.name.startsWith('dog ') && m.kind === 'prefix'));
  assert.ok(names(vggsound('barks')).includes('dog barking'));
  assert.ok(names(vggsound('barks')).every((n) => n.includes('barking')));
});

test('plural forms, qualifiers, limits and empty input on a made-up list', () => {
  const match = createClassMatcher([
    { index: 0, name: 'Fly, housefly' },
    { index: 1, name: 'Goose' },
    { index: 2, name: 'Box, crate', children: [3] },
    { index: 3, name: 'Lid' },
    { index: 4, name: 'Whimper (dog)' },
    { index: 5, name: 'Bus' },
    { index: 6, name: 'Glass' },
  ]);
  assert.deepEqual(names(match('flies')), ['Fly, housefly']);
  assert.deepEqual(names(match('geese')), ['Goose']);
  assert.deepEqual(match('boxes'), [
    { index: 2, name: 'Box, crate', kind: 'exact', matched: 'Box' },
    { index: 3, name: 'Lid', kind: 'related', matched: 'Box, crate' },
  ]);
  assert.deepEqual(match('dog'), [{ index: 4, name: 'Whimper (dog)', kind: 'related', matched: 'dog' }], 'a qualifier relates, it is not the name');
  assert.deepEqual(match('whimper')[0]?.kind, 'exact');
  assert.deepEqual(names(match('buses')), ['Bus']);
  assert.deepEqual(names(match('glasses')), ['Glass']);
  assert.deepEqual(names(match('bu')), ['Bus']);
  assert.equal(match('boxes', 1).length, 1);
  assert.deepEqual(match(''), []);
  assert.deepEqual(match('  ,; '), []);
  assert.deepEqual(match('zebra'), []);
});
