// Opening and migrating real database files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../db/connection.ts';
import { APPLICATION_ID, SCHEMA_VERSION } from '../../db/migrations/index.ts';
import { FoleyError } from '../../base/errors.ts';
import { addRoot, listRoots } from '../../db/roots.ts';
import { tempDir } from './helpers.ts';

test('an empty file is migrated to the current schema with WAL and foreign keys on', () => {
  const file = path.join(tempDir(), 'nested', 'dir', 'foley.db');
  const db = openDatabase(file);
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
  assert.deepEqual(tables, [
    'class_logits', 'class_logits_runs', 'class_logits_versions', 'embedding_runs', 'embeddings', 'evaluations', 'files', 'jobs', 'labels', 'model_classes', 'models', 'predictions', 'roots',
    'suggestion_answers', 'trained_versions', 'training_checkpoints', 'vector_changes', 'vector_index_chunks', 'vector_indexes', 'windows',
  ]);
  addRoot(db, '/media');
  db.close();

  const again = openDatabase(file);
  assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.deepEqual(listRoots(again).map((r) => r.path), ['/media']);
  again.close();
});

test('a database from a newer Foley is refused with an error naming the file', () => {
  const file = path.join(tempDir(), 'foley.db');
  openDatabase(file).close();
  const raw = new BetterSqlite3(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(
    () => openDatabase(file),
    (e: unknown) => e instanceof FoleyError && e.file === file && /newer than this Foley understands/.test(e.message),
  );
});

test('another application\'s SQLite file is not touched', () => {
  const file = path.join(tempDir(), 'other.db');
  const raw = new BetterSqlite3(file);
  raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
  raw.close();
  assert.throws(() => openDatabase(file), (e: unknown) => e instanceof FoleyError && /not a Foley database/.test(e.message));
  const check = new BetterSqlite3(file);
  assert.equal(check.pragma('user_version', { simple: true }), 0);
  check.close();
});

test('a file that is not SQLite at all gives one error naming it', () => {
  const file = path.join(tempDir(), 'foley.db');
  writeFileSync(file, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
  assert.throws(() => openDatabase(file), (e: unknown) => e instanceof FoleyError && e.file === file && /cannot open database/.test(e.message));
});
