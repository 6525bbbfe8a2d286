// Models whose embeddings the library holds. Identity is (name, checkpoint hash, precision): other
// weights or int8 instead of fp32 give another embedding space, so their vectors never mix.
import type { Precision } from '../base/types.ts';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';


export interface ModelSpec {
  readonly name: string;
  readonly dim: number;
  readonly checkpointSha256: string;
  readonly precision: Precision;
  readonly converterVersion: string;
  /** One vector per clip frame (CAV-MAE Sync) rather than one per window. */
  readonly frameLevel?: boolean;
}

export interface Model extends ModelSpec {
  readonly id: number;
  readonly frameLevel: boolean;
  readonly addedAt: number;
}

interface ModelRow {
  id: number;
  name: string;
  dim: number;
  checkpoint_sha256: string;
  precision: Precision;
  converter_version: string;
  added_at: number;
  frame_level: number;
}

const toModel = (r: ModelRow): Model => ({
  id: r.id,
  name: r.name,
  dim: r.dim,
  checkpointSha256: r.checkpoint_sha256,
  precision: r.precision,
  converterVersion: r.converter_version,
  frameLevel: r.frame_level === 1,
  addedAt: r.added_at,
});

/** The row for this model, added when new. */
export function ensureModel(db: Database, spec: ModelSpec): Model {
  return write(db, () => {
    db.prepare(
      `INSERT INTO models (name, dim, checkpoint_sha256, precision, converter_version, frame_level, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name, checkpoint_sha256, precision) DO NOTHING`,
    ).run(spec.name, spec.dim, spec.checkpointSha256, spec.precision, spec.converterVersion, spec.frameLevel === true ? 1 : 0, now());
    const r = db
      .prepare<[string, string, string], ModelRow>('SELECT * FROM models WHERE name = ? AND checkpoint_sha256 = ? AND precision = ?')
      .get(spec.name, spec.checkpointSha256, spec.precision)!;
    return toModel(r);
  });
}

export function getModel(db: Database, id: number): Model | undefined {
  const r = db.prepare<[number], ModelRow>('SELECT * FROM models WHERE id = ?').get(id);
  return r === undefined ? undefined : toModel(r);
}

export function listModels(db: Database): Model[] {
  return db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY name, id').all().map(toModel);
}

/** Removes a model with its runs, embeddings and HNSW indexes. */
export function removeModel(db: Database, id: number): boolean {
  return write(db, () => db.prepare('DELETE FROM models WHERE id = ?').run(id).changes > 0);
}
