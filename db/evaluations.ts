// Stored retrieval evaluations (table `evaluations`, migration 003) and the one query library-mode
// evaluation reads: which windows have both a sound and a picture vector of a model.
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import type { JsonValue } from './jobs.ts';

/** R@k as fractions, the median rank 1-based (core/evaluation/metrics.ts computes them). */
export interface EvaluationFigures {
  readonly r1: number;
  readonly r5: number;
  readonly r10: number;
  readonly medianRank: number;
}

export type EvaluationMode = 'library' | 'pairs';

export interface NewEvaluation {
  readonly modelId: number;
  readonly mode: EvaluationMode;
  readonly n: number;
  readonly seed: number | null;
  readonly audioToVisual: EvaluationFigures;
  readonly visualToAudio: EvaluationFigures;
  /** The trained adapter the figures went through; null: the model as it is. */
  readonly adapterVersion: number | null;
  readonly extra?: { readonly [key: string]: JsonValue };
}

export interface StoredEvaluation extends NewEvaluation {
  readonly id: number;
  readonly createdAt: number;
  readonly extra: { readonly [key: string]: JsonValue };
}

interface Row {
  id: number;
  model_id: number;
  created_at: number;
  mode: EvaluationMode;
  n: number;
  seed: number | null;
  a2v_r1: number;
  a2v_r5: number;
  a2v_r10: number;
  a2v_median_rank: number;
  v2a_r1: number;
  v2a_r5: number;
  v2a_r10: number;
  v2a_median_rank: number;
  adapter_version: number | null;
  extra: string;
}

const toEvaluation = (r: Row): StoredEvaluation => ({
  id: r.id,
  modelId: r.model_id,
  createdAt: r.created_at,
  mode: r.mode,
  n: r.n,
  seed: r.seed,
  audioToVisual: { r1: r.a2v_r1, r5: r.a2v_r5, r10: r.a2v_r10, medianRank: r.a2v_median_rank },
  visualToAudio: { r1: r.v2a_r1, r5: r.v2a_r5, r10: r.v2a_r10, medianRank: r.v2a_median_rank },
  adapterVersion: r.adapter_version,
  extra: JSON.parse(r.extra) as { [key: string]: JsonValue },
});

export function addEvaluation(db: Database, e: NewEvaluation): StoredEvaluation {
  return write(db, () => {
    const { a2v, v2a } = { a2v: e.audioToVisual, v2a: e.visualToAudio };
    const id = db
      .prepare(
        `INSERT INTO evaluations (model_id, created_at, mode, n, seed, a2v_r1, a2v_r5, a2v_r10, a2v_median_rank,
           v2a_r1, v2a_r5, v2a_r10, v2a_median_rank, adapter_version, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(e.modelId, now(), e.mode, e.n, e.seed, a2v.r1, a2v.r5, a2v.r10, a2v.medianRank, v2a.r1, v2a.r5, v2a.r10, v2a.medianRank, e.adapterVersion, JSON.stringify(e.extra ?? {}))
      .lastInsertRowid;
    return getEvaluation(db, Number(id))!;
  });
}

export function getEvaluation(db: Database, id: number): StoredEvaluation | undefined {
  const r = db.prepare<[number], Row>('SELECT * FROM evaluations WHERE id = ?').get(id);
  return r === undefined ? undefined : toEvaluation(r);
}

/** The newest evaluation of a model: of the model itself (no adapter) unless `adapterVersion` is given. */
export function lastEvaluation(db: Database, modelId: number, adapterVersion: number | null = null): StoredEvaluation | undefined {
  const r =
    adapterVersion === null
      ? db.prepare<[number], Row>('SELECT * FROM evaluations WHERE model_id = ? AND adapter_version IS NULL ORDER BY created_at DESC, id DESC LIMIT 1').get(modelId)
      : db.prepare<[number, number], Row>('SELECT * FROM evaluations WHERE model_id = ? AND adapter_version = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(modelId, adapterVersion);
  return r === undefined ? undefined : toEvaluation(r);
}

/** Every evaluation of a model, newest first. */
export function listEvaluations(db: Database, modelId: number): StoredEvaluation[] {
  return db.prepare<[number], Row>('SELECT * FROM evaluations WHERE model_id = ? ORDER BY created_at DESC, id DESC').all(modelId).map(toEvaluation);
}

/** Windows with both a sound and a picture vector of the model, by file then window id. */
export function pairedWindows(db: Database, modelId: number): { fileId: number; windowId: number; audioFrames: number | null; visualFrames: number | null }[] {
  return db
    .prepare<[number], { fileId: number; windowId: number; audioFrames: number | null; visualFrames: number | null }>(
      `SELECT w.file_id AS fileId, w.id AS windowId, a.frames AS audioFrames, v.frames AS visualFrames FROM windows w
       JOIN embeddings a ON a.window_id = w.id AND a.model_id = ? AND a.modality = 'audio'
       JOIN embeddings v ON v.window_id = w.id AND v.model_id = a.model_id AND v.modality = 'visual'
       ORDER BY w.file_id, w.id`,
    )
    .all(modelId);
}
