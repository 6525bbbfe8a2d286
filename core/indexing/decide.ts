// What an index run does with one scanned file, decided from the database and as little I/O as
// possible: size + mtime first, the content fingerprint only when those changed or the path is new.
import { existsSync } from 'node:fs';
import type { Database } from '../../db/connection.ts';
import { addFile, findFilesByFingerprint, getFileByPath, moveFile, updateFile } from '../../db/files.ts';
import type { MediaFile } from '../../db/files.ts';
import { embeddingCoverage } from '../../db/windows.ts';
import { visualVectorsWithOtherFrames } from '../../db/runs.ts';
import type { Modality } from '../../base/types.ts';
import { fingerprintFile } from '../library/fingerprint.ts';
import type { ScannedFile } from '../library/scan.ts';

export type Decision =
  /** Up to date for this model: nothing to do. */
  | { readonly kind: 'skip'; readonly file: MediaFile }
  /** Same content at a new path: the row moved, windows, vectors and labels kept. */
  | { readonly kind: 'moved'; readonly file: MediaFile; readonly from: string }
  /** New or changed content: probe, window, embed, replace its windows. */
  | { readonly kind: 'index'; readonly file: MediaFile }
  /**
   * Unchanged windows that lack this model's vectors (a model change), or whose picture vectors were
   * made with another frame count (`modalities`: ['visual']): embed them, keep the windows.
   */
  | { readonly kind: 'embed'; readonly file: MediaFile; readonly modalities?: readonly Modality[] };

export interface DecideOptions {
  readonly modelId: number;
  readonly rootId: number | null;
  /** Retry files that failed before although they have not changed. */
  readonly retryFailed?: boolean;
  /** Frames per window the run averages (default 1); picture vectors made with another count are redone. */
  readonly frames?: number;
  /** The model stores frame vectors (Sync): another count redoes sound and picture, whose frames pair up. */
  readonly frameLevel?: boolean;
}

function upToDate(db: Database, file: MediaFile, options: DecideOptions): Decision {
  if (file.status === 'failed') return { kind: 'skip', file };
  const c = embeddingCoverage(db, file.id, options.modelId);
  if (file.status !== 'indexed' || c.windows === 0) return { kind: 'index', file };
  if (c.audio < c.wantAudio || c.visual < c.wantVisual) return { kind: 'embed', file };
  if (visualVectorsWithOtherFrames(db, file.id, options.modelId, options.frames ?? 1) > 0) {
    return options.frameLevel === true ? { kind: 'embed', file } : { kind: 'embed', file, modalities: ['visual'] };
  }
  return { kind: 'skip', file };
}

export async function decide(db: Database, scanned: ScannedFile, options: DecideOptions): Promise<Decision> {
  const known = getFileByPath(db, scanned.path);
  if (known !== undefined) {
    if (known.size === scanned.size && known.mtimeMs === scanned.mtimeMs) {
      if (known.status === 'failed' && options.retryFailed === true) return { kind: 'index', file: known };
      if (known.status === 'missing') {
        // Back from an unplugged drive: it was indexed if it has windows.
        const back = updateFile(db, known.id, { status: embeddingCoverage(db, known.id, options.modelId).windows > 0 ? 'indexed' : 'pending' });
        return upToDate(db, back, options);
      }
      return upToDate(db, known, options);
    }
    // Touched or rewritten: the fingerprint tells which.
    const fingerprint = await fingerprintFile(scanned.path);
    if (fingerprint === known.fingerprint && known.size === scanned.size) {
      return upToDate(db, updateFile(db, known.id, { mtimeMs: scanned.mtimeMs }), options);
    }
    const file = updateFile(db, known.id, { size: scanned.size, mtimeMs: scanned.mtimeMs, fingerprint, status: 'pending', lastError: null });
    return { kind: 'index', file };
  }
  const fingerprint = scanned.size > 0 ? await fingerprintFile(scanned.path) : null;
  if (fingerprint !== null) {
    // A known file whose old path is gone and whose content is here: it was moved or renamed.
    const moved = findFilesByFingerprint(db, fingerprint).find((f) => f.size === scanned.size && !existsSync(f.path));
    if (moved !== undefined) {
      const file = moveFile(db, moved.id, scanned.path, options.rootId);
      updateFile(db, file.id, { mtimeMs: scanned.mtimeMs, ...(file.status === 'missing' ? { status: 'indexed' } : {}) });
      const d = upToDate(db, getFileByPath(db, scanned.path)!, options);
      return d.kind === 'skip' ? { kind: 'moved', file: d.file, from: moved.path } : d;
    }
  }
  const file = addFile(db, { rootId: options.rootId, path: scanned.path, size: scanned.size, mtimeMs: scanned.mtimeMs, fingerprint });
  return { kind: 'index', file };
}
