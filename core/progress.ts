// Progress events every long job emits (model import, download, indexing, training). Front doors
// render them: a bar in the CLI, server-sent events for `foley serve`, IPC events in Electron.
export interface Progress {
  /** Stable id of the step, e.g. "hash", "read", "convert:audio", "download". */
  readonly stage: string;
  /** Human text for the step. */
  readonly label: string;
  readonly done: number;
  readonly total: number;
  /** "bytes" lets front doors print MB and MB/s instead of counts. */
  readonly unit: 'bytes' | 'items';
}

export type ProgressListener = (p: Progress) => void;
