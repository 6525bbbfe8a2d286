// Frame-level models (CAV-MAE Sync): an embeddings row of such a model holds one vector per frame of
// the window's clip, concatenated in frame order, and `frames` is the bit mask of which frames
// (base/window-plan.ts); NULL for the one whole-window vector every other model stores. The model
// row says which kind it is, so a search knows how to read its labels before it reads a vector.
import type { Migration } from './index.ts';

export const frameVectors: Migration = {
  version: 5,
  name: 'frame-level vectors',
  up: (db) => {
    db.exec(`
      ALTER TABLE models ADD COLUMN frame_level INTEGER NOT NULL DEFAULT 0 CHECK (frame_level IN (0, 1));
      ALTER TABLE embeddings ADD COLUMN frames INTEGER CHECK (frames IS NULL OR frames BETWEEN 1 AND 65535);
    `);
  },
};
