// The one WHERE builder (db/where.ts) and the repositories' list filters built on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFile, listFiles, updateFile } from '../../db/files.ts';
import { addRoot } from '../../db/roots.ts';
import { condition, equals, whereClause } from '../../db/where.ts';
import { filteredWindowIds } from '../../db/window-filters.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { tempDatabase } from './helpers.ts';

test('whereClause joins the given conditions with AND, parameters in order, and is empty without any', () => {
  assert.deepEqual(whereClause([]), { sql: '', params: [] });
  assert.deepEqual(whereClause([equals('a', undefined), condition('b >= ?', undefined)]), { sql: '', params: [] });
  assert.deepEqual(whereClause([equals('a', 1), undefined, ['(c = ? OR d = ?)', 'x', 2], condition('b >= ?', 0)]), {
    sql: ' WHERE a = ? AND (c = ? OR d = ?) AND b >= ?',
    params: [1, 'x', 2, 0],
  });
});

test('list filters combine; a filter given as 0 still applies', () => {
  const { db } = tempDatabase();
  const r1 = addRoot(db, '/m1');
  const r2 = addRoot(db, '/m2');
  const a = addFile(db, { rootId: r1.id, path: '/m1/a.wav', size: 1, mtimeMs: 0 });
  addFile(db, { rootId: r2.id, path: '/m2/b.wav', size: 1, mtimeMs: 5 });
  updateFile(db, a.id, { status: 'indexed', durationS: 20 });
  assert.deepEqual(listFiles(db).map((f) => f.path), ['/m1/a.wav', '/m2/b.wav']);
  assert.deepEqual(listFiles(db, { rootId: r1.id, status: 'indexed' }).map((f) => f.path), ['/m1/a.wav']);
  assert.deepEqual(listFiles(db, { rootId: r2.id, status: 'indexed' }), []);
  const ids = replaceFileWindows(db, a.id, null, [{ startS: 0, endS: 10, hasAudio: true, hasVisual: false }]);
  assert.deepEqual([...filteredWindowIds(db, { modifiedTo: 0, folder: { path: '/m1', prefix: '/m1/' } })], ids);
  assert.deepEqual([...filteredWindowIds(db, { modifiedFrom: 1 })], []);
  assert.deepEqual([...filteredWindowIds(db, { minDuration: 20, maxDuration: 20 })], ids);
});
