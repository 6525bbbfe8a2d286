// Retrieval evaluations (`foley eval`, the Models page, the end of a training run): the figures of the
// last runs per model, so the app shows them without recomputing. Plain SQL with CHECKs, like 001/002.
import type { Migration } from './index.ts';

const SQL = `
-- One evaluation of one model on this library: n pairs, R@1/5/10 (fractions) and the median rank
-- (1-based) both ways. With adapter_version the figures are through that trained adapter (extra.before
-- holds the plain ones); without, the model as it is. mode 'library': one window per file, picked
-- with seed; 'pairs': a PAIRS.csv (extra.pairs names it).
CREATE TABLE evaluations (
  id               INTEGER PRIMARY KEY,
  model_id         INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  created_at       INTEGER NOT NULL,
  mode             TEXT    NOT NULL CHECK (mode IN ('library', 'pairs')),
  n                INTEGER NOT NULL CHECK (n > 0),
  seed             INTEGER,
  a2v_r1           REAL    NOT NULL CHECK (a2v_r1 BETWEEN 0 AND 1),
  a2v_r5           REAL    NOT NULL CHECK (a2v_r5 BETWEEN 0 AND 1),
  a2v_r10          REAL    NOT NULL CHECK (a2v_r10 BETWEEN 0 AND 1),
  a2v_median_rank  REAL    NOT NULL CHECK (a2v_median_rank >= 1),
  v2a_r1           REAL    NOT NULL CHECK (v2a_r1 BETWEEN 0 AND 1),
  v2a_r5           REAL    NOT NULL CHECK (v2a_r5 BETWEEN 0 AND 1),
  v2a_r10          REAL    NOT NULL CHECK (v2a_r10 BETWEEN 0 AND 1),
  v2a_median_rank  REAL    NOT NULL CHECK (v2a_median_rank >= 1),
  -- Figures through an adapter mean nothing once it is gone.
  adapter_version  INTEGER REFERENCES trained_versions(id) ON DELETE CASCADE,
  extra            TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(extra) AND json_type(extra) = 'object')
);
CREATE INDEX evaluations_model ON evaluations(model_id, created_at);
CREATE INDEX evaluations_adapter ON evaluations(adapter_version) WHERE adapter_version IS NOT NULL;
`;

export const evaluations: Migration = {
  version: 3,
  name: 'evaluations',
  up: (db) => {
    db.exec(SQL);
  },
};
