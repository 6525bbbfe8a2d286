// Counting a model's vectors (db/embeddings.ts countVectors) ran over the whole embeddings table, blobs
// and all: 45 ms at 10k windows, and it runs on every search after any write (a label added, a file
// indexed). This index holds what the count reads (model, modality, frame mask), so the count reads
// the index alone.
import type { Migration } from './index.ts';

export const embeddingCounts: Migration = {
  version: 6,
  name: 'embedding counts',
  up: (db) => {
    db.exec('CREATE INDEX embeddings_model_modality ON embeddings(model_id, modality, frames);');
  },
};
