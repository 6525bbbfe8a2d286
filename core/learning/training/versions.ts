// What training has produced for a model: its versions with their metrics, which are active, whether
// labels changed since the newest, and rollback to an older kept version.
import { labelsFingerprint } from '../../../db/labels.ts';
import { activateVersion, activeVersion, deactivateVersions, getVersion, listVersions } from '../../../db/learning.ts';
import type { TrainedVersion, VersionKind } from '../../../db/learning.ts';
import { FoleyError } from '../../../base/errors.ts';
import type { Library } from '../../library/handle.ts';
import { readEmbeddingTable } from './embedding-table.ts';
import { runningTrainingJob } from './job.ts';
import { refreshPredictions } from './trainer.ts';

export type { TrainedVersion, VersionKind };

export function trainedVersions(library: Library, modelId: number, kind?: VersionKind): TrainedVersion[] {
  return listVersions(library.db, { modelId, ...(kind !== undefined ? { kind } : {}) });
}

export interface TrainingStatus {
  readonly runningJobId: number | null;
  readonly activeHead: TrainedVersion | null;
  readonly activeAdapter: TrainedVersion | null;
  /** Labels changed since the newest version was trained (a new round would see other data). */
  readonly labelsChanged: boolean;
  readonly versions: number;
}

export function trainingStatus(library: Library, modelId: number): TrainingStatus {
  const all = listVersions(library.db, { modelId });
  const newest = all[all.length - 1];
  return {
    runningJobId: runningTrainingJob(library, modelId)?.id ?? null,
    activeHead: activeVersion(library.db, modelId, 'head') ?? null,
    activeAdapter: activeVersion(library.db, modelId, 'adapter') ?? null,
    labelsChanged: newest === undefined ? labelsFingerprint(library.db) !== '0:811c9dc5' : newest.labelsHash !== labelsFingerprint(library.db),
    versions: all.length,
  };
}

/**
 * Makes an older kept version active again (versionId), or, without one, the kept version before the
 * active one; with none left, the kind goes back to the baseline (no active version). Head
 * predictions are recomputed for the version now active (on this thread: a rollback is rare).
 */
export function rollback(library: Library, modelId: number, kind: VersionKind, versionId?: number): TrainedVersion | null {
  const db = library.db;
  let target: TrainedVersion | undefined;
  if (versionId !== undefined) {
    target = getVersion(db, versionId);
    if (target === undefined || target.modelId !== modelId || target.kind !== kind) throw new FoleyError(`no ${kind} version ${versionId} for this model`, { code: 'not_found' });
  } else {
    const kept = listVersions(db, { modelId, kind }).filter((v) => v.kept);
    const at = kept.findIndex((v) => v.active);
    if (at < 0) throw new FoleyError(`no active ${kind} version to roll back`);
    target = kept[at - 1];
  }
  let now: TrainedVersion | null;
  if (target === undefined) {
    deactivateVersions(db, modelId, kind);
    now = null;
  } else now = activateVersion(db, target.id);
  if (kind === 'head' && now !== null) refreshPredictions(db, now, readEmbeddingTable(db, modelId), 5000);
  return now;
}
