// Repositories for what training produces (migration 002): trained versions with their metrics and an
// active flag (rollback = activate an older kept version), predictions of the active head, answers to
// suggestions, resumable training checkpoints, and class names / scores of fine-tuned checkpoints.
import { FoleyError } from '../base/errors.ts';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import { equals, whereClause } from './where.ts';
import type { SqlValue } from './where.ts';
import type { JsonValue } from './jobs.ts';

export type VersionKind = 'head' | 'adapter';

export interface TrainedVersion {
  readonly id: number;
  readonly modelId: number;
  readonly kind: VersionKind;
  readonly labelSet: string[];
  readonly labelsHash: string;
  readonly metrics: JsonValue;
  readonly trainSize: number;
  readonly heldoutSize: number;
  readonly kept: boolean;
  readonly active: boolean;
  readonly jobId: number | null;
  readonly seconds: number;
  readonly createdAt: number;
}

export interface NewVersion {
  readonly modelId: number;
  readonly kind: VersionKind;
  readonly labelSet: readonly string[];
  readonly labelsHash: string;
  readonly params: Float32Array;
  readonly metrics: JsonValue;
  readonly trainSize: number;
  readonly heldoutSize: number;
  readonly kept: boolean;
  readonly jobId?: number | null;
  readonly seconds: number;
}

interface VersionRow {
  id: number;
  model_id: number;
  kind: VersionKind;
  label_set: string;
  labels_hash: string;
  metrics: string;
  train_size: number;
  heldout_size: number;
  kept: 0 | 1;
  active: 0 | 1;
  job_id: number | null;
  seconds: number;
  created_at: number;
}

const COLUMNS = 'id, model_id, kind, label_set, labels_hash, metrics, train_size, heldout_size, kept, active, job_id, seconds, created_at';

const toVersion = (r: VersionRow): TrainedVersion => ({
  id: r.id,
  modelId: r.model_id,
  kind: r.kind,
  labelSet: JSON.parse(r.label_set) as string[],
  labelsHash: r.labels_hash,
  metrics: JSON.parse(r.metrics) as JsonValue,
  trainSize: r.train_size,
  heldoutSize: r.heldout_size,
  kept: r.kept === 1,
  active: r.active === 1,
  jobId: r.job_id,
  seconds: r.seconds,
  createdAt: r.created_at,
});

export function floatsToBlob(a: Float32Array): Buffer {
  const b = Buffer.alloc(a.length * 4);
  for (let i = 0; i < a.length; i++) b.writeFloatLE(a[i]!, i * 4);
  return b;
}

export function blobToFloats(b: Uint8Array): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Stores a version; a kept one becomes the active version of its kind (the previous one stays for rollback). */
export function addVersion(db: Database, v: NewVersion): TrainedVersion {
  return write(db, () => {
    if (v.kept) db.prepare('UPDATE trained_versions SET active = 0 WHERE model_id = ? AND kind = ? AND active = 1').run(v.modelId, v.kind);
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO trained_versions (model_id, kind, label_set, labels_hash, params, metrics, train_size, heldout_size, kept, active, job_id, seconds, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        v.modelId, v.kind, JSON.stringify(v.labelSet), v.labelsHash, floatsToBlob(v.params), JSON.stringify(v.metrics),
        v.trainSize, v.heldoutSize, v.kept ? 1 : 0, v.kept ? 1 : 0, v.jobId ?? null, v.seconds, now(),
      );
    return getVersion(db, Number(lastInsertRowid))!;
  });
}

export function getVersion(db: Database, id: number): TrainedVersion | undefined {
  const r = db.prepare<[number], VersionRow>(`SELECT ${COLUMNS} FROM trained_versions WHERE id = ?`).get(id);
  return r === undefined ? undefined : toVersion(r);
}

export function versionParams(db: Database, id: number): Float32Array {
  const r = db.prepare<[number], { params: Buffer }>('SELECT params FROM trained_versions WHERE id = ?').get(id);
  if (r === undefined) throw new FoleyError(`no trained version with id ${id}`);
  return blobToFloats(r.params);
}

export function listVersions(db: Database, filter: { modelId?: number; kind?: VersionKind } = {}): TrainedVersion[] {
  const where = whereClause([equals('model_id', filter.modelId), equals('kind', filter.kind)]);
  return db.prepare<SqlValue[], VersionRow>(`SELECT ${COLUMNS} FROM trained_versions${where.sql} ORDER BY created_at, id`).all(...where.params).map(toVersion);
}

export function activeVersion(db: Database, modelId: number, kind: VersionKind): TrainedVersion | undefined {
  const r = db.prepare<[number, string], VersionRow>(`SELECT ${COLUMNS} FROM trained_versions WHERE model_id = ? AND kind = ? AND active = 1`).get(modelId, kind);
  return r === undefined ? undefined : toVersion(r);
}

/** Makes a kept version the active one of its kind (rollback or roll forward). */
export function activateVersion(db: Database, id: number): TrainedVersion {
  return write(db, () => {
    const v = getVersion(db, id);
    if (v === undefined) throw new FoleyError(`no trained version with id ${id}`);
    if (!v.kept) throw new FoleyError(`version ${id} did not beat the baseline when trained; it cannot be made active`);
    db.prepare('UPDATE trained_versions SET active = 0 WHERE model_id = ? AND kind = ? AND active = 1').run(v.modelId, v.kind);
    db.prepare('UPDATE trained_versions SET active = 1 WHERE id = ?').run(id);
    return getVersion(db, id)!;
  });
}

/** No active version of this kind: search falls back to the zero-shot baseline (or no adapter). */
export function deactivateVersions(db: Database, modelId: number, kind: VersionKind): number {
  return write(db, () => db.prepare('UPDATE trained_versions SET active = 0 WHERE model_id = ? AND kind = ? AND active = 1').run(modelId, kind).changes);
}

// ---- predictions ----

export interface Prediction {
  readonly windowId: number;
  readonly score: number;
}

/** Replaces the predictions of a version for one label. */
export function putPredictions(db: Database, versionId: number, label: string, items: readonly Prediction[]): void {
  write(db, () => {
    db.prepare('DELETE FROM predictions WHERE version_id = ? AND label = ?').run(versionId, label);
    const insert = db.prepare('INSERT INTO predictions (version_id, label, window_id, score) VALUES (?, ?, ?, ?)');
    for (const p of items) insert.run(versionId, label, p.windowId, Math.min(1, Math.max(0, p.score)));
  });
}

export function topPredictions(db: Database, versionId: number, label: string, limit: number): Prediction[] {
  return db
    .prepare<[number, string, number], { window_id: number; score: number }>(
      'SELECT window_id, score FROM predictions WHERE version_id = ? AND label = ? ORDER BY score DESC, window_id LIMIT ?',
    )
    .all(versionId, label, limit)
    .map((r) => ({ windowId: r.window_id, score: r.score }));
}

export function predictionScore(db: Database, versionId: number, label: string, windowId: number): number | null {
  const r = db.prepare<[number, string, number], { score: number }>('SELECT score FROM predictions WHERE version_id = ? AND label = ? AND window_id = ?').get(versionId, label, windowId);
  return r?.score ?? null;
}

export function countPredictions(db: Database, versionId: number): number {
  return db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM predictions WHERE version_id = ?').get(versionId)!.n;
}

/** Predictions of versions that are no longer active are not needed (re-made on rollback). */
export function dropInactivePredictions(db: Database, modelId: number): number {
  return write(db, () =>
    db.prepare('DELETE FROM predictions WHERE version_id IN (SELECT id FROM trained_versions WHERE model_id = ? AND active = 0)').run(modelId).changes,
  );
}

// ---- suggestion answers ----

export type Answer = 'accepted' | 'rejected';

export interface SuggestionAnswer {
  readonly id: number;
  readonly label: string;
  readonly windowId: number;
  readonly answer: Answer;
  readonly versionId: number | null;
  readonly score: number | null;
  readonly labelId: number | null;
  readonly createdAt: number;
}

export function putAnswer(db: Database, a: Omit<SuggestionAnswer, 'id' | 'createdAt'>): SuggestionAnswer {
  return write(db, () => {
    db.prepare(
      `INSERT INTO suggestion_answers (label, window_id, answer, version_id, score, label_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (label, window_id) DO UPDATE SET answer = excluded.answer, version_id = excluded.version_id, score = excluded.score,
         label_id = excluded.label_id, created_at = excluded.created_at`,
    ).run(a.label, a.windowId, a.answer, a.versionId, a.score, a.labelId, now());
    return listAnswers(db, a.label).find((x) => x.windowId === a.windowId)!;
  });
}

export function listAnswers(db: Database, label?: string): SuggestionAnswer[] {
  const where = whereClause([equals('label', label)]);
  const rows = db
    .prepare<SqlValue[], { id: number; label: string; window_id: number; answer: Answer; version_id: number | null; score: number | null; label_id: number | null; created_at: number }>(
      `SELECT * FROM suggestion_answers${where.sql} ORDER BY created_at, id`,
    )
    .all(...where.params);
  return rows.map((r) => ({ id: r.id, label: r.label, windowId: r.window_id, answer: r.answer, versionId: r.version_id, score: r.score, labelId: r.label_id, createdAt: r.created_at }));
}

// ---- checkpoints ----

export interface TrainingCheckpoint {
  readonly datasetHash: string;
  readonly epoch: number;
  readonly state: Float32Array;
}

export function putCheckpoint(db: Database, jobId: number, stage: VersionKind, c: TrainingCheckpoint): void {
  write(db, () =>
    db
      .prepare(
        `INSERT INTO training_checkpoints (job_id, stage, dataset_hash, epoch, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id, stage) DO UPDATE SET dataset_hash = excluded.dataset_hash, epoch = excluded.epoch, state = excluded.state, updated_at = excluded.updated_at`,
      )
      .run(jobId, stage, c.datasetHash, c.epoch, floatsToBlob(c.state), now()),
  );
}

export function getCheckpoint(db: Database, jobId: number, stage: VersionKind): TrainingCheckpoint | undefined {
  const r = db
    .prepare<[number, string], { dataset_hash: string; epoch: number; state: Buffer }>('SELECT dataset_hash, epoch, state FROM training_checkpoints WHERE job_id = ? AND stage = ?')
    .get(jobId, stage);
  return r === undefined ? undefined : { datasetHash: r.dataset_hash, epoch: r.epoch, state: blobToFloats(r.state) };
}

export function clearCheckpoints(db: Database, jobId: number): void {
  write(db, () => db.prepare('DELETE FROM training_checkpoints WHERE job_id = ?').run(jobId));
}

// ---- class names and classifier scores ----

export interface ModelClass {
  readonly index: number;
  readonly mid: string;
  readonly name: string;
}

export function setModelClasses(db: Database, modelId: number, classes: readonly ModelClass[]): void {
  write(db, () => {
    db.prepare('DELETE FROM model_classes WHERE model_id = ?').run(modelId);
    const insert = db.prepare('INSERT INTO model_classes (model_id, idx, mid, name) VALUES (?, ?, ?, ?)');
    for (const c of classes) insert.run(modelId, c.index, c.mid, c.name);
  });
}

export function listModelClasses(db: Database, modelId: number): ModelClass[] {
  return db
    .prepare<[number], { idx: number; mid: string; name: string }>('SELECT idx, mid, name FROM model_classes WHERE model_id = ? ORDER BY idx')
    .all(modelId)
    .map((r) => ({ index: r.idx, mid: r.mid, name: r.name }));
}

/** Classes whose display name (case-insensitive) or mid is `name`. */
export function findModelClass(db: Database, modelId: number, name: string): ModelClass | undefined {
  const r = db
    .prepare<[number, string, string], { idx: number; mid: string; name: string }>(
      'SELECT idx, mid, name FROM model_classes WHERE model_id = ? AND (name = ? COLLATE NOCASE OR mid = ?) ORDER BY idx LIMIT 1',
    )
    .get(modelId, name, name);
  return r === undefined ? undefined : { index: r.idx, mid: r.mid, name: r.name };
}

/** Every window's id, file and times, by id: the rows of the embedding table training reads. */
export function listWindowRefs(db: Database): { id: number; fileId: number; startS: number; endS: number }[] {
  return db
    .prepare<[], { id: number; file_id: number; start_s: number; end_s: number }>('SELECT id, file_id, start_s, end_s FROM windows ORDER BY id')
    .all()
    .map((r) => ({ id: r.id, fileId: r.file_id, startS: r.start_s, endS: r.end_s }));
}

/** Some windows' refs, in the order of `ids` (unknown ids are left out). */
export function windowRefsOf(db: Database, ids: readonly number[]): { id: number; fileId: number; startS: number; endS: number }[] {
  const found = new Map<number, { id: number; fileId: number; startS: number; endS: number }>();
  const unique = [...new Set(ids)];
  for (let from = 0; from < unique.length; from += 500) {
    const part = unique.slice(from, from + 500);
    const rows = db
      .prepare<number[], { id: number; file_id: number; start_s: number; end_s: number }>(`SELECT id, file_id, start_s, end_s FROM windows WHERE id IN (${part.map(() => '?').join(',')})`)
      .all(...part);
    for (const r of rows) found.set(r.id, { id: r.id, fileId: r.file_id, startS: r.start_s, endS: r.end_s });
  }
  return unique.flatMap((id) => found.get(id) ?? []);
}

/** Every window id, ascending (8 bytes a window: a background sample is drawn from it). */
export function listWindowIds(db: Database): number[] {
  return db.prepare<[], number>('SELECT id FROM windows ORDER BY id').pluck().all();
}
