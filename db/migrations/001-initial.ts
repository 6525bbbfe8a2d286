// The first schema. Plain SQL, one statement per table, CHECKs for every closed set of values so a bug
// elsewhere cannot write a state the code does not know. Times are integer milliseconds since the epoch
// (Date.now()), media positions are REAL seconds.
//
// Windows are keyed by file id, never by path: a moved or renamed file keeps its windows, embeddings
// and labels by updating one `files.path` (the fingerprint says it is the same content).
// `windows` uses AUTOINCREMENT because window ids are the labels in the HNSW indexes: a reused id could
// make a stale graph entry (or tombstone) point at a different moment.
import type { Migration } from './index.ts';

const SQL = `
CREATE TABLE roots (
  id          INTEGER PRIMARY KEY,
  path        TEXT    NOT NULL UNIQUE CHECK (length(path) > 0),
  added_at    INTEGER NOT NULL
);

CREATE TABLE files (
  id           INTEGER PRIMARY KEY,
  -- NULL for a file indexed on its own, outside any library root.
  root_id      INTEGER REFERENCES roots(id) ON DELETE CASCADE,
  path         TEXT    NOT NULL UNIQUE CHECK (length(path) > 0),
  size         INTEGER NOT NULL CHECK (size >= 0),
  mtime_ms     INTEGER NOT NULL,
  -- Content fingerprint (hash of size + sampled bytes, computed by the scanner); finds moved files.
  fingerprint  TEXT,
  duration_s   REAL    CHECK (duration_s IS NULL OR duration_s >= 0),
  -- ffprobe summary of the streams, as JSON.
  streams      TEXT    CHECK (streams IS NULL OR json_valid(streams)),
  status       TEXT    NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'indexed', 'failed', 'missing')),
  last_error   TEXT,
  added_at     INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX files_root ON files(root_id);
CREATE INDEX files_fingerprint ON files(fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX files_status ON files(status);

CREATE TABLE windows (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id     INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  start_s     REAL    NOT NULL CHECK (start_s >= 0),
  end_s       REAL    NOT NULL CHECK (end_s > start_s),
  has_audio   INTEGER NOT NULL CHECK (has_audio IN (0, 1)),
  has_visual  INTEGER NOT NULL CHECK (has_visual IN (0, 1)),
  CHECK (has_audio = 1 OR has_visual = 1)
);
CREATE INDEX windows_file ON windows(file_id, start_s);

CREATE TABLE models (
  id                 INTEGER PRIMARY KEY,
  name               TEXT    NOT NULL CHECK (length(name) > 0),
  dim                INTEGER NOT NULL CHECK (dim > 0),
  -- Different weights or precision give a different embedding space, so they are different models.
  checkpoint_sha256  TEXT    NOT NULL,
  precision          TEXT    NOT NULL CHECK (precision IN ('fp32', 'int8')),
  converter_version  TEXT    NOT NULL,
  added_at           INTEGER NOT NULL,
  UNIQUE (name, checkpoint_sha256, precision)
);

CREATE TABLE jobs (
  id              INTEGER PRIMARY KEY,
  kind            TEXT    NOT NULL CHECK (length(kind) > 0),
  status          TEXT    NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'paused', 'cancelled', 'done', 'failed')),
  params          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  progress_done   REAL    NOT NULL DEFAULT 0 CHECK (progress_done >= 0),
  progress_total  REAL    CHECK (progress_total IS NULL OR progress_total >= 0),
  error           TEXT,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs(status, created_at);

-- One pass of a model over some windows, with the execution provider that really ran (after fallback),
-- so a result can always be traced to cpu/cuda/... and re-run when a provider turns out to be wrong.
CREATE TABLE embedding_runs (
  id           INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  provider     TEXT    NOT NULL CHECK (provider IN ('cpu', 'cuda', 'dml', 'coreml', 'webgpu')),
  threads      INTEGER CHECK (threads IS NULL OR threads > 0),
  job_id       INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  -- Lets embeddings reference (run, model) together, so a row can never name a run of another model.
  UNIQUE (id, model_id)
);
CREATE INDEX embedding_runs_model ON embedding_runs(model_id);

-- Vectors are L2-normalised float16, little-endian (see db/vector-codec.ts for why not float32).
CREATE TABLE embeddings (
  window_id  INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  modality   TEXT    NOT NULL CHECK (modality IN ('audio', 'visual')),
  run_id     INTEGER NOT NULL,
  vector     BLOB    NOT NULL CHECK (length(vector) > 0 AND length(vector) % 2 = 0),
  PRIMARY KEY (model_id, modality, window_id),
  FOREIGN KEY (run_id, model_id) REFERENCES embedding_runs(id, model_id) ON DELETE CASCADE
);
CREATE INDEX embeddings_window ON embeddings(window_id);
CREATE INDEX embeddings_run ON embeddings(run_id, model_id);

-- A name on a moment (file + time range) or on a whole file (both times NULL). Labels point at files,
-- not windows, so re-indexing a file with other windows keeps them.
CREATE TABLE labels (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL CHECK (length(name) > 0),
  file_id     INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  start_s     REAL,
  end_s       REAL,
  polarity    TEXT    NOT NULL CHECK (polarity IN ('positive', 'negative')),
  created_at  INTEGER NOT NULL,
  -- Spelled out with IS NOT NULL: a CHECK that evaluates to NULL passes.
  CHECK ((start_s IS NULL AND end_s IS NULL) OR (start_s IS NOT NULL AND end_s IS NOT NULL AND start_s >= 0 AND end_s > start_s))
);
CREATE INDEX labels_name ON labels(name);
CREATE INDEX labels_file ON labels(file_id);

-- HNSW graphs, one per (model, modality): a cache of the embeddings table, stored as chunks of the
-- hnswlib file. chunk_count = 0 means "changes are being tracked, no graph stored yet".
CREATE TABLE vector_indexes (
  model_id         INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  modality         TEXT    NOT NULL CHECK (modality IN ('audio', 'visual')),
  generation       INTEGER NOT NULL CHECK (generation >= 0),
  dim              INTEGER NOT NULL CHECK (dim > 0),
  m                INTEGER NOT NULL,
  ef_construction  INTEGER NOT NULL,
  -- Last vector_changes.seq the stored graph reflects; later changes are caught up on load.
  seq              INTEGER NOT NULL,
  vector_count     INTEGER NOT NULL CHECK (vector_count >= 0),
  -- Labels marked deleted in the graph (float64 little-endian), so compaction knows how many.
  tombstones       BLOB    NOT NULL,
  byte_length      INTEGER NOT NULL CHECK (byte_length >= 0),
  chunk_count      INTEGER NOT NULL CHECK (chunk_count >= 0),
  sha256           TEXT,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (model_id, modality)
);

CREATE TABLE vector_index_chunks (
  model_id    INTEGER NOT NULL,
  modality    TEXT    NOT NULL,
  generation  INTEGER NOT NULL,
  idx         INTEGER NOT NULL CHECK (idx >= 0),
  bytes       BLOB    NOT NULL,
  PRIMARY KEY (model_id, modality, generation, idx),
  FOREIGN KEY (model_id, modality) REFERENCES vector_indexes(model_id, modality) ON DELETE CASCADE
);

-- Change log of embeddings, written by triggers (so no code path can forget it), only for pairs that
-- have an index row. AUTOINCREMENT: seq must never go back after old entries are trimmed.
CREATE TABLE vector_changes (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id   INTEGER NOT NULL,
  modality   TEXT    NOT NULL,
  window_id  INTEGER NOT NULL,
  op         TEXT    NOT NULL CHECK (op IN ('insert', 'update', 'delete'))
);
CREATE INDEX vector_changes_pair ON vector_changes(model_id, modality, seq);

CREATE TRIGGER embeddings_logged_insert AFTER INSERT ON embeddings
WHEN EXISTS (SELECT 1 FROM vector_indexes v WHERE v.model_id = NEW.model_id AND v.modality = NEW.modality)
BEGIN
  INSERT INTO vector_changes (model_id, modality, window_id, op) VALUES (NEW.model_id, NEW.modality, NEW.window_id, 'insert');
END;

CREATE TRIGGER embeddings_logged_update AFTER UPDATE OF vector, run_id ON embeddings
WHEN NEW.window_id = OLD.window_id AND NEW.model_id = OLD.model_id AND NEW.modality = OLD.modality
  AND EXISTS (SELECT 1 FROM vector_indexes v WHERE v.model_id = NEW.model_id AND v.modality = NEW.modality)
BEGIN
  INSERT INTO vector_changes (model_id, modality, window_id, op) VALUES (NEW.model_id, NEW.modality, NEW.window_id, 'update');
END;

-- No code moves an embedding to other keys, but if something does, the log still tells the truth.
CREATE TRIGGER embeddings_logged_rekey AFTER UPDATE OF window_id, model_id, modality ON embeddings
WHEN NEW.window_id <> OLD.window_id OR NEW.model_id <> OLD.model_id OR NEW.modality <> OLD.modality
BEGIN
  INSERT INTO vector_changes (model_id, modality, window_id, op)
    SELECT OLD.model_id, OLD.modality, OLD.window_id, 'delete'
    WHERE EXISTS (SELECT 1 FROM vector_indexes v WHERE v.model_id = OLD.model_id AND v.modality = OLD.modality);
  INSERT INTO vector_changes (model_id, modality, window_id, op)
    SELECT NEW.model_id, NEW.modality, NEW.window_id, 'insert'
    WHERE EXISTS (SELECT 1 FROM vector_indexes v WHERE v.model_id = NEW.model_id AND v.modality = NEW.modality);
END;

-- Also fires for rows removed by ON DELETE CASCADE (deleting a file or its windows).
CREATE TRIGGER embeddings_logged_delete AFTER DELETE ON embeddings
WHEN EXISTS (SELECT 1 FROM vector_indexes v WHERE v.model_id = OLD.model_id AND v.modality = OLD.modality)
BEGIN
  INSERT INTO vector_changes (model_id, modality, window_id, op) VALUES (OLD.model_id, OLD.modality, OLD.window_id, 'delete');
END;

CREATE TRIGGER vector_indexes_dropped AFTER DELETE ON vector_indexes
BEGIN
  DELETE FROM vector_changes WHERE model_id = OLD.model_id AND modality = OLD.modality;
END;
`;

export const initial: Migration = {
  version: 1,
  name: 'initial',
  up: (db) => {
    db.exec(SQL);
  },
};
