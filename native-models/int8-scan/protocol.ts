// Messages between Int8Scanner (scanner.ts, the caller's thread) and worker.ts. Each request gets exactly one
// reply on the same port; the caller blocks on a shared flag until it is there (scanner.ts).

export type ScanRequest =
  | { readonly op: 'init'; readonly dim: number; readonly d: number; readonly basis: Float32Array; readonly scales: Float32Array; readonly threads: number }
  /** Adds or replaces rows (unit length, dim numbers each) under their labels. */
  | { readonly op: 'add'; readonly labels: Float64Array; readonly rows: Float32Array }
  /** Adds rows already coded (a stored scan's codes, d per row) under their labels. */
  | { readonly op: 'addCodes'; readonly labels: Float64Array; readonly codes: Uint8Array }
  | { readonly op: 'remove'; readonly labels: Float64Array }
  /** The live rows' labels and codes, in row order (to store them). */
  | { readonly op: 'export' }
  /** The k best live rows for a unit-length query of dim numbers. */
  | { readonly op: 'search'; readonly query: Float32Array; readonly k: number };

export type ScanReply =
  | {
      readonly ok: true;
      /** Live rows after the request. */
      readonly count: number;
      /** Bytes the codes and labels take (capacity, not just the live rows). */
      readonly bytes: number;
      /** search: labels best first, with their scores (inner products of the int8-coded projections). */
      readonly labels?: Float64Array;
      readonly scores?: Float32Array;
      /** export: the live rows' codes (d each), row i for labels[i]. */
      readonly codes?: Uint8Array;
      /** remove: how many of the labels were there. */
      readonly removed?: number;
    }
  | { readonly ok: false; readonly message: string };
