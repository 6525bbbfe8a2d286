// Frame aggregation: how many frames per window an embedding run averaged into each picture vector
// (1, the official middle frame, for every run before this column existed).
import type { Migration } from './index.ts';

export const frames: Migration = {
  version: 4,
  name: 'frames per window',
  up: (db) => {
    db.exec('ALTER TABLE embedding_runs ADD COLUMN frames INTEGER NOT NULL DEFAULT 1 CHECK (frames BETWEEN 1 AND 16)');
  },
};
