// Stored classifier logits (migration 007): one float32 little-endian vector per (model, window), with
// the classifier mode and the number of pictures averaged. Probabilities are not stored: sigmoid or
// softmax is applied when read (core/tagging/probability.ts), so both kinds of class list share a table.
import { write } from './connection.ts';
import type { Database } from './connection.ts';

export interface StoredLogits {
  readonly windowId: number;
  readonly mode: string;
  /** Pictures whose probabilities were averaged (0: sound alone). */
  readonly frames: number;
  readonly logits: Float32Array;
}

export function logitsToBlob(v: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

export function blobToLogits(blob: Uint8Array): Float32Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Float32Array(blob.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Stores (or replaces) windows' logits in one transaction. */
export function putClassLogits(db: Database, modelId: number, items: readonly StoredLogits[]): void {
  if (items.length === 0) return;
  write(db, () => {
    const insert = db.prepare(
      `INSERT INTO class_logits (model_id, window_id, mode, frames, logits) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_id, window_id) DO UPDATE SET mode = excluded.mode, frames = excluded.frames, logits = excluded.logits`,
    );
    for (const it of items) insert.run(modelId, it.windowId, it.mode, it.frames, logitsToBlob(it.logits));
  });
}

/** One window's stored logits. */
export function windowClassLogits(db: Database, modelId: number, windowId: number): StoredLogits | undefined {
  const r = db
    .prepare<[number, number], { mode: string; frames: number; logits: Buffer }>('SELECT mode, frames, logits FROM class_logits WHERE model_id = ? AND window_id = ?')
    .get(modelId, windowId);
  return r === undefined ? undefined : { windowId, mode: r.mode, frames: r.frames, logits: blobToLogits(r.logits) };
}

/** Some windows' stored logits (those that have them), in chunks under SQLite's parameter limit. */
export function classLogitsOf(db: Database, modelId: number, windowIds: readonly number[]): StoredLogits[] {
  const out: StoredLogits[] = [];
  const unique = [...new Set(windowIds)];
  for (let from = 0; from < unique.length; from += 500) {
    const part = unique.slice(from, from + 500);
    const rows = db
      .prepare<number[], { window_id: number; mode: string; frames: number; logits: Buffer }>(
        `SELECT window_id, mode, frames, logits FROM class_logits WHERE model_id = ? AND window_id IN (${part.map(() => '?').join(',')})`,
      )
      .all(modelId, ...part);
    for (const r of rows) out.push({ windowId: r.window_id, mode: r.mode, frames: r.frames, logits: blobToLogits(r.logits) });
  }
  return out;
}

/**
 * A model's stored rows one at a time, in rowid order (the order they were first written), those
 * after rowid `after` only when given: the in-memory ranking reads the table once, then what was added.
 */
export function* iterateClassLogits(db: Database, modelId: number, after = 0): Generator<{ rowid: number; windowId: number; logits: Buffer }> {
  const rows = db
    .prepare<[number, number], [number, number, Buffer]>('SELECT rowid, window_id, logits FROM class_logits WHERE rowid > ? AND model_id = ? ORDER BY rowid')
    .raw(true)
    .iterate(after, modelId);
  for (const [rowid, windowId, logits] of rows) yield { rowid, windowId, logits };
}

/** Rows a model has after rowid `after` (all: 0). */
export function countClassLogits(db: Database, modelId: number, after = 0): number {
  return db.prepare<[number, number], number>('SELECT count(*) FROM class_logits WHERE rowid > ? AND model_id = ?').pluck().get(after, modelId)!;
}

export interface ClassLogitsVersion {
  /** Moves on every insert, update and delete of the model's rows (triggers); 0 before the first. */
  readonly version: number;
  /** Moves on updates and deletes only. */
  readonly rewrites: number;
}

export function classLogitsVersion(db: Database, modelId: number): ClassLogitsVersion {
  return db.prepare<[number], ClassLogitsVersion>('SELECT version, rewrites FROM class_logits_versions WHERE model_id = ?').get(modelId) ?? { version: 0, rewrites: 0 };
}

/** Windows with and without logits for a model (tagging progress). */
export function classLogitsCoverage(db: Database, modelId: number): { tagged: number; windows: number } {
  const tagged = db.prepare<[number], number>('SELECT count(*) FROM class_logits WHERE model_id = ?').pluck().get(modelId)!;
  const windows = db.prepare<[], number>('SELECT count(*) FROM windows').pluck().get()!;
  return { tagged, windows };
}

/** How the stored windows were tagged: one row per (mode, frames), most common first. */
export function classLogitsModes(db: Database, modelId: number): { mode: string; frames: number; windows: number }[] {
  return db
    .prepare<[number], { mode: string; frames: number; n: number }>('SELECT mode, frames, count(*) AS n FROM class_logits WHERE model_id = ? GROUP BY mode, frames ORDER BY n DESC')
    .all(modelId)
    .map((r) => ({ mode: r.mode, frames: r.frames, windows: r.n }));
}

/** Windows a model has not tagged yet, by file then time (a tagging run reads each file once). */
export function windowsWithoutClassLogits(db: Database, modelId: number, fileId?: number): { id: number; fileId: number; startS: number; endS: number; hasAudio: boolean; hasVisual: boolean }[] {
  const onFile = fileId === undefined ? '' : 'AND w.file_id = ?';
  return db
    .prepare<number[], { id: number; file_id: number; start_s: number; end_s: number; has_audio: number; has_visual: number }>(
      `SELECT w.id, w.file_id, w.start_s, w.end_s, w.has_audio, w.has_visual FROM windows w
       WHERE NOT EXISTS (SELECT 1 FROM class_logits c WHERE c.model_id = ? AND c.window_id = w.id) ${onFile} ORDER BY w.file_id, w.start_s`,
    )
    .all(...(fileId === undefined ? [modelId] : [modelId, fileId]))
    .map((r) => ({ id: r.id, fileId: r.file_id, startS: r.start_s, endS: r.end_s, hasAudio: r.has_audio === 1, hasVisual: r.has_visual === 1 }));
}

/**
 * Forgets a file's logits, for one model or (modelId null) every model: its windows were re-made or
 * re-embedded, so what the tagger saw may no longer be what the index holds; the next run tags them again.
 */
export function deleteFileClassLogits(db: Database, modelId: number | null, fileId: number): void {
  write(db, () => {
    if (modelId === null) db.prepare('DELETE FROM class_logits WHERE window_id IN (SELECT id FROM windows WHERE file_id = ?)').run(fileId);
    else db.prepare('DELETE FROM class_logits WHERE model_id = ? AND window_id IN (SELECT id FROM windows WHERE file_id = ?)').run(modelId, fileId);
  });
}

/** Records a finished tagging run's cost (the last one per model is kept). */
export function putTaggingRun(db: Database, modelId: number, windows: number, wallMs: number): void {
  if (windows <= 0) return;
  write(db, () =>
    db
      .prepare(
        `INSERT INTO class_logits_runs (model_id, windows, wall_ms, finished_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (model_id) DO UPDATE SET windows = excluded.windows, wall_ms = excluded.wall_ms, finished_at = excluded.finished_at`,
      )
      .run(modelId, windows, wallMs, Date.now()),
  );
}

/** Wall milliseconds per window of the model's last tagging run; null before the first. */
export function lastTaggingMsPerWindow(db: Database, modelId: number): number | null {
  const r = db.prepare<[number], { windows: number; wall_ms: number }>('SELECT windows, wall_ms FROM class_logits_runs WHERE model_id = ?').get(modelId);
  return r === undefined ? null : r.wall_ms / r.windows;
}

/** The number of logits in a model's stored rows (null before any): its classifier's output count. */
export function storedClassCount(db: Database, modelId: number): number | null {
  const bytes = db.prepare<[number], number>('SELECT length(logits) FROM class_logits WHERE model_id = ? LIMIT 1').pluck().get(modelId);
  return bytes === undefined ? null : bytes / 4;
}
