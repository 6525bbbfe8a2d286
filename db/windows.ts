// Windows: the spans of a file that get one embedding per modality. replaceFileWindows is the
// indexer's per-file commit: old windows out, new windows and their embeddings in, file marked
// indexed, all in one transaction, so a crash leaves either the old state or the new, never both.
import { FoleyError } from '../base/errors.ts';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import { putEmbeddings } from './embeddings.ts';
import type { EmbeddingInput } from './embeddings.ts';
import type { Modality } from '../base/types.ts';

export interface Window {
  readonly id: number;
  readonly fileId: number;
  readonly startS: number;
  readonly endS: number;
  readonly hasAudio: boolean;
  readonly hasVisual: boolean;
}

/** A window to store, with the vectors the run made for it (by modality). */
export interface NewWindow {
  readonly startS: number;
  readonly endS: number;
  readonly hasAudio: boolean;
  readonly hasVisual: boolean;
  readonly embeddings?: Partial<Record<Modality, Float32Array>>;
  /** Frame-level models: the mask of the clip frames both modalities' vectors hold (db/embeddings.ts). */
  readonly frames?: number;
}

/** A search hit resolved to where it is: what the UI shows and plays. */
export interface Moment {
  readonly windowId: number;
  readonly fileId: number;
  readonly path: string;
  readonly startS: number;
  readonly endS: number;
}

interface WindowRow {
  id: number;
  file_id: number;
  start_s: number;
  end_s: number;
  has_audio: 0 | 1;
  has_visual: 0 | 1;
}

const toWindow = (r: WindowRow): Window => ({
  id: r.id,
  fileId: r.file_id,
  startS: r.start_s,
  endS: r.end_s,
  hasAudio: r.has_audio === 1,
  hasVisual: r.has_visual === 1,
});

export function listWindows(db: Database, fileId: number): Window[] {
  return db.prepare<[number], WindowRow>('SELECT * FROM windows WHERE file_id = ? ORDER BY start_s, id').all(fileId).map(toWindow);
}

export function getWindow(db: Database, id: number): Window | undefined {
  const r = db.prepare<[number], WindowRow>('SELECT * FROM windows WHERE id = ?').get(id);
  return r === undefined ? undefined : toWindow(r);
}

/** Resolves window ids (HNSW labels) to moments, in the order given; ids no longer stored are skipped. */
export function momentsForWindows(db: Database, ids: readonly number[]): Moment[] {
  const found = new Map<number, Moment>();
  // Chunks keep the statement under SQLite's limit on parameters.
  for (let from = 0; from < ids.length; from += 500) {
    const part = ids.slice(from, from + 500);
    const rows = db
      .prepare<number[], { id: number; file_id: number; path: string; start_s: number; end_s: number }>(
        `SELECT w.id, w.file_id, f.path, w.start_s, w.end_s FROM windows w JOIN files f ON f.id = w.file_id WHERE w.id IN (${part.map(() => '?').join(',')})`,
      )
      .all(...part);
    for (const r of rows) found.set(r.id, { windowId: r.id, fileId: r.file_id, path: r.path, startS: r.start_s, endS: r.end_s });
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}

/**
 * Replaces every window of a file (and with them every model's embeddings of those windows) by
 * `windows`, stores their vectors under `runId`, and marks the file indexed. Returns the new window
 * ids, in the order given. To add another model's vectors to existing windows, use putEmbeddings.
 */
export function replaceFileWindows(db: Database, fileId: number, runId: number | null, windows: readonly NewWindow[]): number[] {
  return write(db, () => {
    if (db.prepare('SELECT 1 FROM files WHERE id = ?').get(fileId) === undefined) throw new FoleyError(`no file with id ${fileId} in the library`);
    db.prepare('DELETE FROM windows WHERE file_id = ?').run(fileId);
    const insert = db.prepare('INSERT INTO windows (file_id, start_s, end_s, has_audio, has_visual) VALUES (?, ?, ?, ?, ?)');
    const ids: number[] = [];
    const vectors: EmbeddingInput[] = [];
    for (const w of windows) {
      const id = Number(insert.run(fileId, w.startS, w.endS, w.hasAudio ? 1 : 0, w.hasVisual ? 1 : 0).lastInsertRowid);
      ids.push(id);
      for (const [modality, vector] of Object.entries(w.embeddings ?? {}) as [Modality, Float32Array | undefined][]) {
        if (vector !== undefined) vectors.push({ windowId: id, modality, vector, ...(w.frames !== undefined ? { frames: w.frames } : {}) });
      }
    }
    if (vectors.length > 0) {
      if (runId === null) throw new FoleyError('embeddings need the run that made them');
      putEmbeddings(db, runId, vectors);
    }
    db.prepare("UPDATE files SET status = 'indexed', last_error = NULL, updated_at = ? WHERE id = ?").run(now(), fileId);
    return ids;
  });
}

/** How many of a file's windows have vectors of a model, per modality (re-embedding after a model change). */
export function embeddingCoverage(db: Database, fileId: number, modelId: number): { windows: number; audio: number; visual: number; wantAudio: number; wantVisual: number } {
  const r = db
    .prepare<[number, number, number, number, number], { windows: number; audio: number; visual: number; want_audio: number; want_visual: number }>(
      `SELECT count(*) AS windows,
              coalesce(sum(has_audio), 0) AS want_audio,
              coalesce(sum(has_visual), 0) AS want_visual,
              (SELECT count(*) FROM embeddings e JOIN windows w2 ON w2.id = e.window_id WHERE w2.file_id = ? AND e.model_id = ? AND e.modality = 'audio') AS audio,
              (SELECT count(*) FROM embeddings e JOIN windows w2 ON w2.id = e.window_id WHERE w2.file_id = ? AND e.model_id = ? AND e.modality = 'visual') AS visual
       FROM windows WHERE file_id = ?`,
    )
      .get(fileId, modelId, fileId, modelId, fileId);
  return r === undefined
    ? { windows: 0, audio: 0, visual: 0, wantAudio: 0, wantVisual: 0 }
    : { windows: r.windows, audio: r.audio, visual: r.visual, wantAudio: r.want_audio, wantVisual: r.want_visual };
}

/** The window of a file that contains `at` seconds (the later one where two overlap), else the nearest. */
export function windowAt(db: Database, fileId: number, at: number): number | undefined {
  const r =
    db.prepare<[number, number, number], { id: number }>('SELECT id FROM windows WHERE file_id = ? AND start_s <= ? AND end_s > ? ORDER BY start_s DESC LIMIT 1').get(fileId, at, at) ??
    db.prepare<[number, number], { id: number }>('SELECT id FROM windows WHERE file_id = ? ORDER BY abs((start_s + end_s) / 2 - ?) LIMIT 1').get(fileId, at);
  return r?.id;
}

/** The window of a file that starts at `startMs` (to the millisecond): how thumbnail URLs name a window. */
export function windowStartingAt(db: Database, fileId: number, startMs: number): Window | undefined {
  const r = db.prepare<[number, number], WindowRow>('SELECT * FROM windows WHERE file_id = ? AND abs(start_s * 1000 - ?) < 0.5 LIMIT 1').get(fileId, startMs);
  return r === undefined ? undefined : toWindow(r);
}
