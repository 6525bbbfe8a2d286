// What an index run reports while it works. Front doors render it (CLI bar, SSE, IPC events).
export interface IndexProgress {
  readonly phase: 'scanning' | 'indexing' | 'finishing' | 'paused' | 'done' | 'cancelled';
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly filesFailed: number;
  readonly windowsDone: number;
  /** Windows planned for the files probed so far plus an estimate for the rest. */
  readonly windowsTotal: number;
  readonly windowsPerSecond: number;
  /** Seconds left at the current rate; null until there is a rate. */
  readonly etaSeconds: number | null;
  readonly currentFile: string | null;
}

export interface IndexSummary {
  readonly jobId: number;
  readonly status: 'done' | 'paused' | 'cancelled';
  readonly scanned: number;
  readonly indexed: number;
  readonly skipped: number;
  readonly moved: number;
  readonly removed: number;
  readonly offline: number;
  readonly failed: ReadonlyArray<{ readonly path: string; readonly error: string }>;
  /** Files indexed for their intact part only (counted in `indexed` too): what was wrong, what was indexed. */
  readonly damaged: ReadonlyArray<{ readonly path: string; readonly error: string }>;
  readonly windows: number;
  readonly seconds: number;
  readonly provider: string | null;
}

/**
 * Where an index run spends its time (the bench's per-stage table). Decode is ffmpeg wall time not
 * spent in our callbacks; inference is the encoder's busy time, which overlaps decoding.
 */
export interface IndexStats {
  probeMs: number;
  decodeMs: number;
  featuresMs: number;
  inferenceMs: number;
  thumbnailsMs: number;
  storeMs: number;
  /** Seconds of media indexed (the windows' spans). */
  mediaSeconds: number;
}

export function emptyStats(): IndexStats {
  return { probeMs: 0, decodeMs: 0, featuresMs: 0, inferenceMs: 0, thumbnailsMs: 0, storeMs: 0, mediaSeconds: 0 };
}
