// The small core services the front doors share: one claimJob for every kind of job, `foley jobs`'
// controls, library folders, and error codes that survive the trip to the API (one status per error).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FoleyError } from '../../base/errors.ts';
import { ApiError, HTTP_STATUS, toApiError } from '../../core/api/errors.ts';
import { controlJob, recentJobs } from '../../core/jobs.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { addFolders, listFolders, removeFolders, rootsToIndex } from '../../core/library/folders.ts';
import { resolveModel } from '../../core/models/store.ts';
import { claimJob, getJob, setJobStatus } from '../../db/jobs.ts';

function tempLibrary(): { library: Library; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-services-'));
  return { library: openLibrary(dir), dir };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof FoleyError ? e.code : 'not a FoleyError';
  }
  return undefined;
}

test('claimJob continues the open job with the same params, requeues stale ones, and refuses a live one when asked', () => {
  const { library } = tempLibrary();
  const { db } = library;
  try {
    const a = claimJob(db, { kind: 'index', params: { roots: ['/a'] }, staleMs: 60_000 });
    assert.equal(a.status, 'running');
    setJobStatus(db, a.id, 'paused');
    assert.equal(claimJob(db, { kind: 'index', params: { roots: ['/a'] }, staleMs: 60_000 }).id, a.id, 'a paused job with the same params goes on');
    const b = claimJob(db, { kind: 'index', params: { roots: ['/b'] }, staleMs: 60_000 });
    assert.notEqual(b.id, a.id, 'other params: a new job');
    // A live running job: a second claim starts another, unless `busy` says it may not.
    const busy = (j: { id: number }): string => `job ${j.id} is running`;
    assert.equal(codeOf(() => claimJob(db, { kind: 'index', params: { roots: ['/a'] }, staleMs: 60_000, busy })), 'conflict');
    // A dead process's job (silent for longer than staleMs) is requeued, then claimed again.
    assert.equal(claimJob(db, { kind: 'index', params: { roots: ['/a'] }, staleMs: -1, busy }).id, a.id);
    assert.equal(getJob(db, b.id)?.status, 'queued');
    assert.equal(claimJob(db, { kind: 'train', params: { modelId: 1 }, staleMs: 60_000, same: (p) => (p as { modelId?: number }).modelId === 1 }).kind, 'train');
  } finally {
    library.close();
  }
});

test('foley jobs: recent jobs and pause/resume/cancel by id; an unknown id is not_found, a finished job refuses', () => {
  const { library } = tempLibrary();
  try {
    const job = claimJob(library.db, { kind: 'index', params: {}, staleMs: 60_000 });
    assert.deepEqual(recentJobs(library).map((j) => j.id), [job.id]);
    assert.equal(controlJob(library, job.id, 'pause').status, 'paused');
    assert.equal(controlJob(library, job.id, 'resume').status, 'running');
    assert.equal(controlJob(library, job.id, 'cancel').status, 'cancelled');
    assert.throws(() => controlJob(library, job.id, 'resume'), /cannot become running/);
    assert.equal(codeOf(() => controlJob(library, 999, 'pause')), 'not_found');
  } finally {
    library.close();
  }
});

test('library folders: added once, checked, listed with their state, removed; unknown ones are not_found', () => {
  const { library, dir } = tempLibrary();
  try {
    const videos = path.join(dir, 'videos');
    mkdirSync(videos);
    assert.deepEqual(addFolders(library, [videos, `${videos}/`]), [videos, videos]);
    assert.deepEqual(listFolders(library), [{ path: videos, online: true }]);
    assert.throws(() => addFolders(library, [path.join(dir, 'nope')]), { message: `${path.join(dir, 'nope')}: not a folder` });
    assert.equal(codeOf(() => removeFolders(library, [path.join(dir, 'other')])), 'not_found');
    assert.deepEqual(rootsToIndex(library, []).map((r) => r.path), [videos]);
    assert.deepEqual(removeFolders(library, [videos]), [videos]);
    assert.deepEqual(listFolders(library), []);
    assert.equal(codeOf(() => rootsToIndex(library, [])), 'conflict');
  } finally {
    library.close();
  }
});

test('errors keep their code across the API: one status per error, whichever front door', async () => {
  const { dir } = tempLibrary();
  const noModel = await resolveModel(dir, undefined).catch((e: unknown) => toApiError(e));
  assert.ok(noModel instanceof ApiError);
  assert.equal(noModel.code, 'conflict');
  assert.equal(HTTP_STATUS[noModel.code], 409);
  const unknown = await resolveModel(dir, 'nope').catch((e: unknown) => toApiError(e));
  assert.ok(unknown instanceof ApiError && unknown.code === 'not_found');
  assert.ok(new ApiError('forbidden', 'x') instanceof FoleyError, 'one error type with codes');
  const internal = toApiError(new Error('boom\n    at somewhere.ts:1'));
  assert.equal(internal.code, 'failed');
  assert.equal(internal.message, 'boom');
});
