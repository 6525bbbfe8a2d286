// Scored windows → ranked moments: adjacent windows of a file merge into one moment (best score), then
// optional grouping by file, then the page (offset/limit). Windows below the threshold never get here.
import type { Database } from '../../db/connection.ts';
import { momentsForWindows } from '../../db/windows.ts';
import { CLIP_FRAME_SECONDS, clipFrameTime, FRAME_SLOTS } from '../../base/window-plan.ts';
import type { MomentScores, SearchIn, SearchMoment, SearchResult } from './types.ts';

/** A window joins an adjacent moment only when it scores within this much of the moment's best. */
export const MERGE_GAP = 0.1;
/** Touching within this many seconds counts as adjacent (window bounds are whole 16-kHz samples). */
const ADJACENT_EPS = 1e-3;

export interface ScoredWindow {
  readonly id: number;
  readonly score: number;
  readonly scores: MomentScores;
  /** A frame-level hit: the frame of the window's clip that scored (a window scored whole has none). */
  readonly frame?: number;
}

/**
 * The stretch of a window a frame hit stands for: its share of the window around the frame's picture,
 * when the window was indexed as `moments` frames (16: ±0.32 s; 4: ±1.28 s), cut to the window.
 */
export function frameSpan(start: number, end: number, frame: number, moments: number): { start: number; end: number; at: number } {
  const at = clipFrameTime(start, frame);
  const half = ((FRAME_SLOTS / moments) * CLIP_FRAME_SECONDS) / 2;
  return { start: Math.max(start, at - half), end: Math.min(end, at + half), at };
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
  at?: number;
}

/**
 * Windows (best first) → moments (best first). With `merge`, each window in score order joins a moment
 * of its file it overlaps or touches when its score is within MERGE_GAP of that moment's best, else
 * starts a new moment; so a moment is a run of adjacent well-scoring windows, its score its best one's.
 * A frame hit stands for its frame's share of the window (frameSpan, with `framesPerWindow` frames indexed per window).
 */
export function toMoments(db: Database, windows: readonly ScoredWindow[], matched: SearchIn, merge: boolean, framesPerWindow = FRAME_SLOTS): SearchMoment[] {
  const info = new Map(momentsForWindows(db, windows.map((w) => w.id)).map((m) => [m.windowId, m]));
  const moments: Building[] = [];
  const byFile = new Map<number, Building[]>();
  for (const w of windows) {
    const wi = info.get(w.id);
    if (wi === undefined) continue; // removed since it was scored
    const span = w.frame === undefined ? { start: wi.startS, end: wi.endS } : frameSpan(wi.startS, wi.endS, w.frame, framesPerWindow);
    const mine = byFile.get(wi.fileId) ?? [];
    if (merge) {
      const host = mine.find((m) => span.start <= m.end + ADJACENT_EPS && span.end >= m.start - ADJACENT_EPS && w.score >= m.score - MERGE_GAP);
      if (host !== undefined) {
        host.start = Math.min(host.start, span.start);
        host.end = Math.max(host.end, span.end);
        host.windows++;
        continue;
      }
    }
    const m: Building = {
      file: wi.path,
      fileId: wi.fileId,
      start: span.start,
      end: span.end,
      score: w.score,
      scores: w.scores,
      window: { id: w.id, start: wi.startS, end: wi.endS },
      windows: 1,
      ...('at' in span ? { at: span.at } : {}),
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
