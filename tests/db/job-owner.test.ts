// A job records its owner process: while that process lives, a second claim is refused; the moment it
// is killed (kill -9, no chance to mark the row), the job is taken over — not after 30 s of silence.
// Found by the crash trials (scripts/crash-trials.ts): `foley train` right after a killed one said
// "running in another process" and did nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../db/connection.ts';
import { claimJob, getJob, isLiveJob } from '../../db/jobs.ts';

test('a killed owner frees its running job at once; a live one keeps it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-job-owner-'));
  const file = path.join(dir, 'foley.db');
  const db = openDatabase(file);
  try {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'job-owner-child.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    const id = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /claimed (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`the child ended: ${out}`)));
    });
    const claim = (): number => claimJob(db, { kind: 'train', params: { modelId: 1 }, staleMs: 30_000, same: () => true, busy: (j) => `job ${j.id} is busy`, recordOwner: true }).id;
    assert.equal(isLiveJob(getJob(db, id)!, 30_000), true);
    assert.throws(claim, /job \d+ is busy/, 'a live owner keeps its job');

    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const row = getJob(db, id)!;
    assert.equal(row.status, 'running', 'kill -9 leaves the row running with a fresh heartbeat');
    assert.ok(Date.now() - row.updatedAt < 30_000);
    assert.equal(isLiveJob(row, 30_000), false, 'its owner is gone');
    assert.equal(claim(), id, 'the same job is taken over at once');
    const owner = (getJob(db, id)!.params as { owner: { pid: number } }).owner;
    assert.equal(owner.pid, process.pid, 'and now belongs to this process');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
