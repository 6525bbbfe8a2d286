import type { ApiQuery, SearchIn } from '../../core/api/contract.ts';

export type Direction = SearchIn | 'auto';

/** A query as the UI keeps it (recent queries can be run again). */
export interface QueryRun {
  readonly id: string;
  readonly label: string;
  readonly query: ApiQuery;
  readonly in: Direction;
}

export interface Moment {
  readonly file: string;
  readonly fileId: number;
  readonly start: number;
  readonly end: number;
  /** Where playback starts: the best-matching window inside the moment. */
  readonly at: number;
}
