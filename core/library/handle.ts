// A library is the data directory's database plus the model rows it knows. Every front door opens one
// (the CLI per command, `foley serve` and Electron once) and passes it to the services.
import { databasePath, openDatabase } from '../../db/connection.ts';
import type { Database } from '../../db/connection.ts';
import { ensureModel } from '../../db/models.ts';
import type { Model } from '../../db/models.ts';
import { familyOfConfig } from '../../native-models/registry.ts';
import type { InstalledModel } from '../models/store.ts';

export interface Library {
  readonly dataDir: string;
  readonly db: Database;
  close(): void;
}

export function openLibrary(dataDir: string): Library {
  const db = openDatabase(databasePath(dataDir));
  let closed = false;
  return {
    dataDir,
    db,
    close: () => {
      if (!closed) db.close();
      closed = true;
    },
  };
}

/** The database row for an installed model: same checkpoint, precision and converter ⇒ same vectors. */
export function modelRecord(library: Library, model: InstalledModel): Model {
  const m = model.manifest;
  return ensureModel(library.db, {
    name: m.name,
    dim: m.config.embedDim,
    checkpointSha256: m.source.sha256,
    precision: m.precision,
    converterVersion: m.converterVersion,
    frameLevel: familyOfConfig(m.config).frameLevel !== undefined,
  });
}
