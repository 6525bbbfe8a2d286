// Scored windows → ranked moments: adjacent windows of a file merge into one moment (best score), then
// optional grouping by file, then the page (offset/limit). Windows below the threshold never get here.
import type { Database } from '../../db/connection.ts';
import { momentsForWindows } from '../../db/windows.ts';
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
  const info = new Map(momentsForWindows(db, windows.map((w) => w.id)).map((m) => [m.windowId, m]));
  const moments: Building[] = [];
  const byFile = new Map<number, Building[]>();
  for (const w of windows) {
    const wi = info.get(w.id);
    if (wi === undefined) continue; // removed since it was scored
    const mine = byFile.get(wi.fileId) ?? [];
    if (merge) {
      const host = mine.find((m) => wi.startS <= m.end + ADJACENT_EPS && wi.endS >= m.start - ADJACENT_EPS && w.score >= m.score - MERGE_GAP);
      if (host !== undefined) {
        host.start = Math.min(host.start, wi.startS);
        host.end = Math.max(host.end, wi.endS);
        host.windows++;
        continue;
      }
    }
    const m: Building = {
      file: wi.path,
      fileId: wi.fileId,
      start: wi.startS,
      end: wi.endS,
      score: w.score,
      scores: w.scores,
      window: { id: w.id, start: wi.startS, end: wi.endS },
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
