// The in-memory embedding table training reads: every window's frozen embeddings of one model (audio
// and visual), read in one transaction so rows and vectors agree.
import type { Database } from '../../../db/connection.ts';
import { embeddingsOfWindows, readAllEmbeddings } from '../../../db/embeddings.ts';
import { listWindowRefs, windowRefsOf } from '../../../db/learning.ts';

export interface WindowRef {
  readonly id: number;
  readonly fileId: number;
  readonly startS: number;
  readonly endS: number;
}

/**
 * Every window of the library with its frozen embeddings of one model, in memory: what training,
 * prediction refresh and zero-shot label search read (row r of audio/visual is windows[r]).
 */
export interface EmbeddingTable {
  readonly dim: number;
  readonly windows: readonly WindowRef[];
  /** Row of a window id in windows / audio / visual. */
  readonly row: ReadonlyMap<number, number>;
  /** count×dim; a missing modality is a zero row (hasAudio / hasVisual say which). */
  readonly audio: Float32Array;
  readonly visual: Float32Array;
  readonly hasAudio: Uint8Array;
  readonly hasVisual: Uint8Array;
}

export function readEmbeddingTable(db: Database, modelId: number): EmbeddingTable {
  return db.transaction(() => {
    const windows = listWindowRefs(db);
    const row = new Map<number, number>(windows.map((w, i) => [w.id, i]));
    // Labels and training work on windows: a frame-level model's frames are pooled per window.
    const a = readAllEmbeddings(db, modelId, 'audio', { perWindow: true });
    const v = readAllEmbeddings(db, modelId, 'visual', { perWindow: true });
    const dim = a.dim || v.dim;
    const audio = new Float32Array(windows.length * dim);
    const visual = new Float32Array(windows.length * dim);
    const hasAudio = new Uint8Array(windows.length);
    const hasVisual = new Uint8Array(windows.length);
    const place = (batch: typeof a, out: Float32Array, has: Uint8Array): void => {
      for (let i = 0; i < batch.ids.length; i++) {
        const r = row.get(batch.ids[i]!);
        if (r === undefined) continue;
        out.set(batch.vectors.subarray(i * dim, (i + 1) * dim), r * dim);
        has[r] = 1;
      }
    };
    place(a, audio, hasAudio);
    place(v, visual, hasVisual);
    return { dim, windows, row, audio, visual, hasAudio, hasVisual };
  })();
}

/**
 * The same table for some windows only (unknown ids left out; a frame-level row's frames pooled): what
 * a live prediction reads instead of the whole library.
 */
export function readEmbeddingRows(db: Database, modelId: number, dim: number, ids: readonly number[]): EmbeddingTable {
  return db.transaction(() => {
    const windows = windowRefsOf(db, ids);
    const order = windows.map((w) => w.id);
    const a = embeddingsOfWindows(db, modelId, 'audio', order, dim);
    const v = embeddingsOfWindows(db, modelId, 'visual', order, dim);
    return {
      dim,
      windows,
      row: new Map(order.map((id, i) => [id, i])),
      audio: a.vectors,
      visual: v.vectors,
      hasAudio: Uint8Array.from(a.found, Number),
      hasVisual: Uint8Array.from(v.found, Number),
    };
  })();
}
