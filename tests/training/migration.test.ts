// Migrations 002 onwards on a database made by the first schema: labels survive, the new tables exist
// and their CHECKs refuse impossible rows; runs from before frame aggregation count as one frame.
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../db/connection.ts';
import { initial } from '../../db/migrations/001-initial.ts';
import { APPLICATION_ID, SCHEMA_VERSION } from '../../db/migrations/index.ts';

test('a version-1 database migrates to the latest schema keeping its labels; CHECKs hold', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'foley-mig-')), 'foley.db');
  const v1 = new BetterSqlite3(file);
  v1.pragma('foreign_keys = ON');
  initial.up(v1);
  v1.pragma(`application_id = ${APPLICATION_ID}`);
  v1.pragma('user_version = 1');
  v1.prepare("INSERT INTO files (path, size, mtime_ms, added_at, updated_at) VALUES ('/a.mp4', 1, 0, 0, 0)").run();
  v1.prepare("INSERT INTO labels (name, file_id, start_s, end_s, polarity, created_at) VALUES ('dog', 1, 0, 10, 'positive', 0)").run();
  v1.prepare("INSERT INTO models (name, dim, checkpoint_sha256, precision, converter_version, added_at) VALUES ('old', 4, 'y', 'fp32', '1', 0)").run();
  v1.prepare("INSERT INTO embedding_runs (model_id, provider, started_at) VALUES (1, 'cpu', 0)").run();
  v1.close();

  const db = openDatabase(file);
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.prepare<[], { frames: number }>('SELECT frames FROM embedding_runs').get()!.frames, 1);
  assert.equal(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM labels').get()!.n, 1);
  db.prepare("INSERT INTO models (name, dim, checkpoint_sha256, precision, converter_version, added_at) VALUES ('m', 4, 'x', 'fp32', '1', 0)").run();
  db.prepare("INSERT INTO windows (file_id, start_s, end_s, has_audio, has_visual) VALUES (1, 0, 10, 1, 1)").run();
  const version = (kept: number, active: number, labelSet = '["dog"]'): unknown =>
    db.prepare("INSERT INTO trained_versions (model_id, kind, label_set, labels_hash, params, metrics, train_size, heldout_size, kept, active, seconds, created_at) VALUES (1, 'head', ?, 'h', x'00000000', '{}', 1, 1, ?, ?, 0, 0)").run(labelSet, kept, active);
  version(1, 1);
  assert.throws(() => version(1, 1), /UNIQUE/, 'one active version per model and kind');
  assert.throws(() => version(0, 1), /CHECK/, 'a version that was not kept cannot be active');
  assert.throws(() => version(1, 0, '{"a":1}'), /CHECK/, 'label_set is a JSON array');
  assert.throws(() => db.prepare("INSERT INTO predictions (version_id, label, window_id, score) VALUES (1, 'dog', 1, 1.5)").run(), /CHECK/);
  assert.throws(() => db.prepare("INSERT INTO suggestion_answers (label, window_id, answer, created_at) VALUES ('dog', 1, 'maybe', 0)").run(), /CHECK/);
  db.prepare("INSERT INTO predictions (version_id, label, window_id, score) VALUES (1, 'dog', 1, 0.5)").run();
  db.prepare('DELETE FROM windows WHERE id = 1').run();
  assert.equal(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM predictions').get()!.n, 0, 'predictions go with their window');
  db.close();
});
