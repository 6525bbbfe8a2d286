// The first half of an index run: walk the roots, decide per file what to do, and let files that are
// gone leave the library. What comes out is the list of files to embed.
import { existsSync } from 'node:fs';
import type { Database } from '../../db/connection.ts';
import { deleteFile, listFiles, updateFile } from '../../db/files.ts';
import type { Root } from '../../db/roots.ts';
import { scanRoot } from '../library/scan.ts';
import type { ScannedFile } from '../library/scan.ts';
import { decide } from './decide.ts';
import type { Decision } from './decide.ts';
import type { RunTracker } from './tracker.ts';

export interface PlanOptions {
  readonly modelId: number;
  readonly retryFailed: boolean;
  /** Frames per window of this run (decide.ts redoes picture vectors made with another count). */
  readonly frames: number;
  /** The model stores frame vectors: another frame count redoes both modalities. */
  readonly frameLevel?: boolean;
  readonly signal: AbortSignal;
  /** Awaited between files: pauses and cancels take effect here. */
  readonly checkpoint: () => Promise<void>;
}

/** Scans, decides and removes; counts go to `tracker`. Returns the files to (re-)embed. */
export async function planRun(db: Database, roots: readonly Root[], tracker: RunTracker, options: PlanOptions): Promise<Decision[]> {
  const { counts } = tracker;
  // 1. Scan. A root that cannot be read is an unplugged drive: its files go offline, not away.
  const work: Array<{ root: Root; scanned: ScannedFile }> = [];
  const seen = new Set<string>();
  for (const root of roots) {
    if (!existsSync(root.path)) {
      counts.offline += markOffline(db, root);
      continue;
    }
    for await (const scanned of scanRoot(root.path, options.signal)) {
      seen.add(scanned.path);
      work.push({ root, scanned });
    }
  }
  counts.scanned = work.length;

  // 2. Decide: cheap for unchanged files, a fingerprint for new and changed ones.
  const todo: Decision[] = [];
  for (const { root, scanned } of work) {
    await options.checkpoint();
    const d = await decide(db, scanned, { modelId: options.modelId, rootId: root.id, frames: options.frames, frameLevel: options.frameLevel === true, ...(options.retryFailed ? { retryFailed: true } : {}) });
    if (d.kind === 'skip') counts.skipped++;
    else if (d.kind === 'moved') counts.moved++;
    else todo.push(d);
  }

  // 3. Files gone from a readable root (and not found moved above) leave the library.
  for (const root of roots) {
    if (!existsSync(root.path)) continue;
    for (const f of listFiles(db, { rootId: root.id })) {
      if (!seen.has(f.path) && !existsSync(f.path)) {
        deleteFile(db, f.id);
        counts.removed++;
      }
    }
  }
  return todo;
}

/** Marks the files of an unreadable root missing; returns how many changed. */
function markOffline(db: Database, root: Root): number {
  let n = 0;
  for (const f of listFiles(db, { rootId: root.id })) {
    if (f.status !== 'missing') {
      updateFile(db, f.id, { status: 'missing' });
      n++;
    }
  }
  return n;
}
