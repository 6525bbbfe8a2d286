import type { LocalisedMoment, SearchIn, SearchQuery } from '../../core/api/contract.ts';

export type Direction = SearchIn | 'auto';

/** A query as the UI keeps it (recent queries can be run again). */
export interface QueryRun {
  readonly id: string;
  readonly label: string;
  readonly query: SearchQuery;
  readonly in: Direction;
}

export interface Moment {
  readonly file: string;
  readonly fileId: number;
  readonly start: number;
  readonly end: number;
  /** Where playback starts: the best-matching window inside the moment (or, for a picture query, where it is heard). */
  readonly at: number;
  /** The localisation of the query against this moment, when the results had one. */
  readonly localised?: LocalisedMoment;
  /** What the query was: a sound (the map is over this moment's picture) or a picture (over its sound). */
  readonly querySide?: 'audio' | 'visual';
}

/** What a label is put on: a window (start–end) or, with end null, the window holding `start`. */
export interface LabelTarget {
  readonly file: string;
  readonly fileId: number;
  readonly start: number;
  readonly end: number | null;
}

/** A request to open the label form (L: positive, Shift+L: negative). */
export interface LabelRequest {
  readonly target: LabelTarget;
  readonly negative: boolean;
}

/** True for the label shortcut: l or Shift+L, no other modifier, not typed into a field. */
export function isLabelKey(e: KeyboardEvent): boolean {
  if (e.key.toLowerCase() !== 'l' || e.ctrlKey || e.metaKey || e.altKey) return false;
  const t = e.target;
  return !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement);
}
