// Scored windows → ranked moments: adjacent windows of a file merge into one moment (best score), then
// optional grouping by file, then the page (offset/limit). Windows below the threshold never get here.
import type { Database } from '../../db/connection.ts';
import type { MomentScores, SearchIn, SearchMoment, SearchResult } from './types.ts';

/** A window joins an adjacent moment only when it scores within this much of the moment's best. */
export const MERGE_GAP = 0.1;
/** Touching within this many seconds counts as adjacent (window bounds are whole 16-kHz samples). */
const ADJACENT_EPS = 1e-3;

export interface ScoredWindow {
  readonly id: number;
  readonly score: number;
  readonly scores: MomentScores;
}

interface WindowInfo {
  readonly fileId: number;
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

export function windowInfo(db: Database, ids: readonly number[]): Map<number, WindowInfo> {
  const out = new Map<number, WindowInfo>();
  for (let from = 0; from < ids.length; from += 500) {
    const part = ids.slice(from, from + 500);
    const rows = db
      .prepare<number[], { id: number; file_id: number; path: string; start_s: number; end_s: number }>(
        `SELECT w.id, w.file_id, f.path, w.start_s, w.end_s FROM windows w JOIN files f ON f.id = w.file_id WHERE w.id IN (${part.map(() => '?').join(',')})`,
      )
      .all(...part);
    for (const r of rows) out.set(r.id, { fileId: r.file_id, path: r.path, start: r.start_s, end: r.end_s });
  }
  return out;
}

interface Building {
  file: string;
  fileId: number;
  start: number;
  end: number;
  score: number;
  scores: MomentScores;
  window: { id: number; start: number; end: number };
  windows: number;
}

/**
 * Windows (best first) → moments (best first). With `merge`, each window in score order joins a moment
 * of its file it overlaps or touches when its score is within MERGE_GAP of that moment's best, else
 * starts a new moment; so a moment is a run of adjacent well-scoring windows, its score its best one's.
 */
export function toMoments(db: Database, windows: readonly ScoredWindow[], matched: SearchIn, merge: boolean): SearchMoment[] {
  const info = windowInfo(db, windows.map((w) => w.id));
  const moments: Building[] = [];
  const byFile = new Map<number, Building[]>();
  for (const w of windows) {
    const wi = info.get(w.id);
    if (wi === undefined) continue; // removed since it was scored
    const mine = byFile.get(wi.fileId) ?? [];
    if (merge) {
      const host = mine.find((m) => wi.start <= m.end + ADJACENT_EPS && wi.end >= m.start - ADJACENT_EPS && w.score >= m.score - MERGE_GAP);
      if (host !== undefined) {
        host.start = Math.min(host.start, wi.start);
        host.end = Math.max(host.end, wi.end);
        host.windows++;
        continue;
      }
    }
    const m: Building = {
      file: wi.path,
      fileId: wi.fileId,
      start: wi.start,
      end: wi.end,
      score: w.score,
      scores: w.scores,
      window: { id: w.id, start: wi.start, end: wi.end },
      windows: 1,
    };
    mine.push(m);
    byFile.set(wi.fileId, mine);
    moments.push(m);
  }
  return moments.map((m) => ({ ...m, matched }));
}

/** One entry per file (its best moment), listing the file's moments, in the order of their best. */
export function groupByFile(moments: readonly SearchMoment[]): Array<SearchMoment & { moments: SearchMoment[] }> {
  const groups = new Map<number, SearchMoment & { moments: SearchMoment[] }>();
  for (const m of moments) {
    const g = groups.get(m.fileId);
    if (g === undefined) groups.set(m.fileId, { ...m, moments: [m] });
    else g.moments.push(m);
  }
  return [...groups.values()];
}

export function page<T extends SearchMoment>(items: readonly T[], offset: number, top: number): Array<T & SearchResult> {
  return items.slice(offset, offset + top).map((m, i) => ({ ...m, rank: offset + i + 1 }));
}
