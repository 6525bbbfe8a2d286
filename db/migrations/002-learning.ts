// Learning from labels: trained versions (per-label heads and the cross-modal adapter), the
// predictions of the active head for every window, the user's answers to suggestions, resumable
// training checkpoints, and class names / classifier scores of fine-tuned checkpoints.
// Plain SQL with CHECKs, like 001. Times are integer ms since the epoch.
import type { Migration } from './index.ts';

const SQL = `
-- One trained model. Every training run stores what it trained, kept or not, with its metrics, so the
-- history is visible and any kept version can be made active again (rollback). At most one active
-- version per (model, kind): the partial unique index below enforces it.
CREATE TABLE trained_versions (
  id             INTEGER PRIMARY KEY,
  model_id       INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  kind           TEXT    NOT NULL CHECK (kind IN ('head', 'adapter')),
  -- The label names this version covers, as a JSON array of strings (heads: one output per name).
  label_set      TEXT    NOT NULL CHECK (json_valid(label_set) AND json_type(label_set) = 'array'),
  -- Hash of the labels it was trained on: tells whether labels changed since.
  labels_hash    TEXT    NOT NULL,
  params         BLOB    NOT NULL CHECK (length(params) > 0 AND length(params) % 4 = 0),
  metrics        TEXT    NOT NULL CHECK (json_valid(metrics)),
  train_size     INTEGER NOT NULL CHECK (train_size >= 0),
  heldout_size   INTEGER NOT NULL CHECK (heldout_size >= 0),
  -- Did it beat the baseline on held-out data? Only kept versions may be active.
  kept           INTEGER NOT NULL CHECK (kept IN (0, 1)),
  active         INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  job_id         INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  seconds        REAL    NOT NULL CHECK (seconds >= 0),
  created_at     INTEGER NOT NULL,
  CHECK (active = 0 OR kept = 1)
);
CREATE INDEX trained_versions_model ON trained_versions(model_id, kind, created_at);
CREATE UNIQUE INDEX trained_versions_one_active ON trained_versions(model_id, kind) WHERE active = 1;

-- Scores of a head version for every window (refreshed after training), for label search and
-- suggestions. Deleted with their version or window.
CREATE TABLE predictions (
  version_id  INTEGER NOT NULL REFERENCES trained_versions(id) ON DELETE CASCADE,
  label       TEXT    NOT NULL CHECK (length(label) > 0),
  window_id   INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  score       REAL    NOT NULL CHECK (score >= 0 AND score <= 1),
  PRIMARY KEY (version_id, label, window_id)
) WITHOUT ROWID;
CREATE INDEX predictions_rank ON predictions(version_id, label, score DESC);
CREATE INDEX predictions_window ON predictions(window_id);

-- What the user said about a suggestion. An answer also becomes a label (accepted: positive,
-- rejected: negative); this table keeps the history, and stops a rejected window being suggested again.
CREATE TABLE suggestion_answers (
  id          INTEGER PRIMARY KEY,
  label       TEXT    NOT NULL CHECK (length(label) > 0),
  window_id   INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  answer      TEXT    NOT NULL CHECK (answer IN ('accepted', 'rejected')),
  version_id  INTEGER REFERENCES trained_versions(id) ON DELETE SET NULL,
  score       REAL    CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
  label_id    INTEGER REFERENCES labels(id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (label, window_id)
);

-- Training state after the last finished epoch of a job, so a crashed run resumes from there.
-- dataset_hash must match the dataset the restarted job builds, else it starts from scratch.
CREATE TABLE training_checkpoints (
  job_id        INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  stage         TEXT    NOT NULL CHECK (stage IN ('head', 'adapter')),
  dataset_hash  TEXT    NOT NULL,
  epoch         INTEGER NOT NULL CHECK (epoch >= 0),
  state         BLOB    NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (job_id, stage)
);

-- Class names of a fine-tuned checkpoint (the user's class_labels_indices CSV: index,mid,display_name).
CREATE TABLE model_classes (
  model_id  INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  idx       INTEGER NOT NULL CHECK (idx >= 0),
  mid       TEXT    NOT NULL,
  name      TEXT    NOT NULL CHECK (length(name) > 0),
  PRIMARY KEY (model_id, idx)
) WITHOUT ROWID;
CREATE INDEX model_classes_name ON model_classes(model_id, name COLLATE NOCASE);

-- Classifier scores (sigmoid or softmax, per mode) of one window: float32 little-endian, one per class.
CREATE TABLE class_scores (
  model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  window_id  INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  mode       TEXT    NOT NULL CHECK (mode IN ('multimodal', 'audioonly', 'videoonly', 'missingaudioonly', 'missingvideoonly')),
  scores     BLOB    NOT NULL CHECK (length(scores) > 0 AND length(scores) % 4 = 0),
  PRIMARY KEY (model_id, window_id)
) WITHOUT ROWID;
`;

export const learning: Migration = {
  version: 2,
  name: 'learning',
  up: (db) => {
    db.exec(SQL);
  },
};
