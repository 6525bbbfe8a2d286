// Tags at index time (issue 17): per window, the logits a fine-tuned classifier gives it, so that any
// class can rank every window at query time, with sigmoid (AudioSet) or softmax (VGGSound) applied
// when read. With several pictures per window the stored logits are those whose probabilities are the
// mean of the per-picture probabilities (the official frame aggregation, spec §2.1), so one vector per
// window serves both. `frames` says how many pictures were averaged (0: sound alone) and `mode` which
// classifier path ran, so the user can see how a window was tagged.
// A rowid table, not WITHOUT ROWID: a row is 1.2–2.1 KB, and an index b-tree (which is what a WITHOUT
// ROWID table is) keeps at most ≈1 KB of a row on its page and spills the rest to an overflow page of
// its own — measured 4,690 bytes a window for 527 and for 309 classes alike (npm run bench tagging);
// a table b-tree keeps the row whole on its page.
// class_logits_versions moves on every write (triggers), so the in-memory ranking knows in one
// indexed read whether it is stale, without counting rows; `rewrites` moves only on updates and
// deletes, so while tagging merely adds rows the ranking reads just the new ones (rowid > last seen).
// class_logits_runs keeps the cost of a model's last tagging run (wall time over the windows it
// tagged), shown by `foley status` and the Models page.
// class_scores (migration 002: probabilities, sigmoid only, made on demand) is dropped: class_logits
// replaces it. Neither was in a release, so nothing is carried over.
import type { Migration } from './index.ts';

const SQL = `
DROP TABLE class_scores;
CREATE TABLE class_logits (
  model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  window_id  INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  mode       TEXT    NOT NULL CHECK (mode IN ('multimodal', 'audioonly', 'videoonly', 'missingaudioonly', 'missingvideoonly')),
  frames     INTEGER NOT NULL CHECK (frames >= 0),
  logits     BLOB    NOT NULL CHECK (length(logits) > 0 AND length(logits) % 4 = 0),
  PRIMARY KEY (model_id, window_id)
);
CREATE INDEX class_logits_window ON class_logits(window_id);

CREATE TABLE class_logits_versions (
  model_id  INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
  version   INTEGER NOT NULL,
  rewrites  INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER class_logits_insert AFTER INSERT ON class_logits BEGIN
  INSERT INTO class_logits_versions (model_id, version) VALUES (NEW.model_id, 1)
    ON CONFLICT (model_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER class_logits_update AFTER UPDATE ON class_logits BEGIN
  UPDATE class_logits_versions SET version = version + 1, rewrites = rewrites + 1 WHERE model_id = NEW.model_id;
END;
CREATE TRIGGER class_logits_delete AFTER DELETE ON class_logits BEGIN
  UPDATE class_logits_versions SET version = version + 1, rewrites = rewrites + 1 WHERE model_id = OLD.model_id;
END;

CREATE TABLE class_logits_runs (
  model_id     INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
  windows      INTEGER NOT NULL CHECK (windows > 0),
  wall_ms      REAL    NOT NULL CHECK (wall_ms >= 0),
  finished_at  INTEGER NOT NULL
);
`;

export const classLogits: Migration = {
  version: 7,
  name: 'class logits',
  up: (db) => {
    db.exec(SQL);
  },
};
