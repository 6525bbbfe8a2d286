// A library's state in one JSON-able object: what `foley status` prints and the UI's library page shows.
import { existsSync, statSync } from 'node:fs';
import { statusCounts } from '../db/status.ts';
import type { StatusCounts } from '../db/status.ts';
import type { Library } from './library/handle.ts';
import { mergeSpans } from './indexing/damage.ts';

export interface LibraryStatus {
  readonly dataDir: string;
  readonly roots: ReadonlyArray<{ readonly path: string; readonly online: boolean; readonly files: number }>;
  /** `damaged` files are indexed (and counted there) for their intact part only. */
  readonly files: { readonly total: number; readonly pending: number; readonly indexed: number; readonly damaged: number; readonly failed: number; readonly offline: number };
  readonly windows: number;
  readonly hours: number;
  readonly models: StatusCounts['models'];
  readonly failures: ReadonlyArray<{ readonly path: string; readonly error: string }>;
  /**
   * Files indexed for their intact part: `error` says what was wrong and what was indexed ("the file is
   * cut short: sound ends at 41.2 s of 60.0 s; indexed 0–41.2 s of 60 s"); `indexed` the spans of
   * windows kept, `sound` and `pictures` those per modality, `duration` what the header promises.
   */
  readonly damaged: ReadonlyArray<DamagedFile>;
  readonly jobs: ReadonlyArray<{ readonly id: number; readonly kind: string; readonly status: string; readonly done: number; readonly total: number | null; readonly error: string | null }>;
}

export interface DamagedFile {
  readonly path: string;
  readonly error: string;
  readonly duration: number | null;
  readonly indexed: ReadonlyArray<readonly [number, number]>;
  readonly sound: ReadonlyArray<readonly [number, number]>;
  readonly pictures: ReadonlyArray<readonly [number, number]>;
}

export function libraryStatus(library: Library, { failureLimit = 100 } = {}): LibraryStatus {
  const c = statusCounts(library.db, failureLimit);
  const count = (s: string): number => c.filesByStatus.get(s) ?? 0;
  return {
    dataDir: library.dataDir,
    roots: c.roots.map((r) => ({ path: r.path, online: existsDir(r.path), files: r.files })),
    files: {
      total: [...c.filesByStatus.values()].reduce((a, b) => a + b, 0),
      pending: count('pending'),
      indexed: count('indexed'),
      damaged: c.damagedFiles,
      failed: count('failed'),
      offline: count('missing'),
    },
    windows: c.windows,
    hours: c.windowSeconds / 3600,
    models: c.models,
    failures: c.failures.map((f) => ({ path: f.path, error: f.error ?? 'unknown error' })),
    damaged: c.damaged.map((f) => ({
      path: f.path,
      error: f.error,
      duration: f.durationS,
      indexed: mergeSpans(f.windows),
      sound: mergeSpans(f.windows.filter((w) => w.hasAudio)),
      pictures: mergeSpans(f.windows.filter((w) => w.hasVisual)),
    })),
    jobs: c.jobs,
  };
}

function existsDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
