// The in-memory class ranking (core/search/class-rank-cache.ts) against brute force over the stored
// logits in a real SQLite file: the same windows in the same order with the same values, for one class
// and several, sigmoid and softmax lists, every k up to the whole table, ties, a class that is no
// window's top class, and rows written, replaced and deleted after the cache was built.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { putClassLogits } from '../../db/class-logits.ts';
import type { Database } from '../../db/connection.ts';
import { deleteFile } from '../../db/files.ts';
import { classRankCacheInfo, clearClassRankCache, topWindowsForClasses, windowsAtLeast } from '../../core/search/class-rank-cache.ts';
import { logSumExp, rankValue } from '../../core/tagging/probability.ts';
import type { Activation } from '../../core/tagging/probability.ts';
import { tempDatabase, testModel } from '../db/helpers.ts';
import { seedClassLogits } from './class-logits-library.ts';

interface Seeded {
  readonly db: Database;
  readonly modelId: number;
  readonly logits: Map<number, Float32Array>;
  readonly fileIds: number[];
}

function seed(numClasses: number, files: number, perFile: number, seedValue: number): Seeded {
  const { db } = tempDatabase();
  const { model } = testModel(db, 8);
  return { db, modelId: model.id, ...seedClassLogits(db, model.id, numClasses, files, perFile, seedValue) };
}

function bruteForce(logits: Map<number, Float32Array>, classes: readonly number[], k: number, activation: Activation): { windowId: number; value: number; classIndex: number }[] {
  const out = [...logits].map(([windowId, z]) => {
    const lse = activation === 'softmax' ? logSumExp(z) : 0;
    let best = { value: -Infinity, classIndex: -1 };
    for (const c of classes) {
      const value = rankValue(z, c, activation, lse);
      if (value > best.value) best = { value, classIndex: c };
    }
    return { windowId, ...best };
  });
  out.sort((a, b) => b.value - a.value || a.windowId - b.windowId);
  return out.slice(0, k);
}

function check(s: Seeded, numClasses: number, activation: Activation, classes: readonly number[], k: number): number {
  const got = topWindowsForClasses(s.db, s.modelId, classes, k, { numClasses, activation });
  const want = bruteForce(s.logits, classes, k, activation);
  assert.deepEqual(
    got.ranked.map((h) => ({ windowId: h.windowId, value: h.value, classIndex: h.classIndex })),
    want,
    `classes ${classes.join(',')} k ${k} (${activation})`,
  );
  return got.candidates;
}

for (const [numClasses, activation] of [[527, 'sigmoid'], [309, 'softmax']] as const) {
  test(`class ranking equals brute force over the stored logits (${numClasses} classes, ${activation})`, () => {
    clearClassRankCache();
    const s = seed(numClasses, 12, 250, numClasses);
    const n = s.logits.size;
    // Class 7 is nobody's top class (checked here, so the case is really covered).
    const tops = new Set([...s.logits.values()].map((z) => z.indexOf(Math.max(...z))));
    assert.ok(!tops.has(7));
    const pruned: number[] = [];
    for (const classes of [[7], [0], [3, 7], [1, 2, 5, 100, 300]]) {
      for (const k of [1, 10, 88, 999, n, n + 10]) pruned.push(check(s, numClasses, activation, classes, k) / n);
    }
    // The windows at or above a probability (the class filter of a sound or picture search).
    // Bounds at a rank of each case's values, so a set is neither empty nor all.
    for (const [classes, rank] of [[[7], 300], [[12], 100], [[3, 7], 300], [[1, 2, 5], 1000]] as const) {
      const all = bruteForce(s.logits, classes, n, activation);
      const min = all[rank]!.value;
      const want = new Set(all.filter((h) => h.value >= min).map((h) => h.windowId));
      assert.ok(want.size > rank && want.size < n, `${classes.join(",")}: ${want.size} of ${n} at rank ${rank}`);
      const got = windowsAtLeast(s.db, s.modelId, classes, min, { numClasses, activation });
      assert.deepEqual([...got].sort((a, b) => a - b), [...want].sort((a, b) => a - b), `at least ${min} for ${classes.join(',')}`);
    }
    // For a page of results the bytes leave few rows to read exactly.
    assert.ok(check(s, numClasses, activation, [7], 88) < n / 4, 'a top-88 query reads under a quarter of the rows');

    // Windows tagged after the cache was built: read as a segment of their own, ranked with the rest.
    const more = seedClassLogits(s.db, s.modelId, numClasses, 2, 250, numClasses + 1, 100);
    for (const [id, z] of more.logits) s.logits.set(id, z);
    s.fileIds.push(...more.fileIds);
    for (const k of [1, 88, s.logits.size]) check(s, numClasses, activation, [7], k);
    check(s, numClasses, activation, [3, 7], 500);
    assert.equal(classRankCacheInfo(s.db, s.modelId)?.segments, 2);

    // A row replaced after the cache was built: the next query sees it at once.
    const [first] = s.logits.keys();
    const z = Float32Array.from(s.logits.get(first!)!);
    z[7] = 50;
    putClassLogits(s.db, s.modelId, [{ windowId: first!, mode: 'audioonly', frames: 0, logits: z }]);
    s.logits.set(first!, z);
    const after = topWindowsForClasses(s.db, s.modelId, [7], 3, { numClasses, activation });
    assert.deepEqual([after.ranked[0]!.windowId, after.ranked[0]!.mode, after.ranked[0]!.frames], [first, 'audioonly', 0]);
    check(s, numClasses, activation, [7], 40);
    assert.equal(classRankCacheInfo(s.db, s.modelId)?.segments, 1, 'a rewrite reads everything again');

    // A file deleted: its windows drop out.
    const gone = s.fileIds[0]!;
    const goneIds = new Set(s.db.prepare<[number], number>('SELECT id FROM windows WHERE file_id = ?').pluck().all(gone));
    deleteFile(s.db, gone);
    for (const id of goneIds) s.logits.delete(id);
    check(s, numClasses, activation, [7], 300);
    assert.equal(topWindowsForClasses(s.db, s.modelId, [7], 5, { numClasses, activation }).tagged, s.logits.size);
    s.db.close();
  });
}

test('a model without stored logits ranks nothing', () => {
  clearClassRankCache();
  const { db } = tempDatabase();
  const { model } = testModel(db, 8);
  assert.deepEqual(topWindowsForClasses(db, model.id, [1], 10, { numClasses: 527, activation: 'sigmoid' }), { ranked: [], tagged: 0, candidates: 0 });
  db.close();
});
