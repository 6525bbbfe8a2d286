// TrainingRun, the state of this process's training run the API reports: phases, throttled progress
// events (a new stage always goes out), the outcome kept after a run, and a conflict when nothing runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FoleyError } from '../../base/errors.ts';
import { TrainingRun } from '../../core/learning/training-run.ts';
import type { TrainingHandle } from '../../core/learning/training/job.ts';
import type { TrainProgress } from '../../core/learning/training/trainer.ts';

function fakeHandle(calls: string[]): TrainingHandle {
  return {
    jobId: 7,
    done: new Promise(() => {}),
    progress: null,
    paused: false,
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    cancel: () => calls.push('cancel'),
    stop: () => calls.push('stop'),
    kill: async () => {},
  };
}

const progress = (stage: TrainProgress['stage'], done: number): TrainProgress => ({ stage, done, total: 10, etaSeconds: null, elapsedSeconds: 0 });

test('phases follow the run; progress events are throttled except on a new stage', () => {
  let events = 0;
  const calls: string[] = [];
  const run = new TrainingRun(() => events++, 60_000);
  assert.equal(run.phase, null);
  assert.throws(() => run.pause(), (e: unknown) => e instanceof FoleyError && e.code === 'conflict' && /not running/.test(e.message));
  run.scheduleIn(1000);
  assert.ok(run.startsAt !== null && run.startsAt > Date.now());
  run.started(fakeHandle(calls));
  assert.equal(events, 1);
  assert.equal(run.phase, 'running');
  assert.equal(run.startsAt, null);
  run.progressed(progress('head', 1));
  run.progressed(progress('head', 2));
  assert.equal(events, 2, 'the second progress of a stage within the interval is not told');
  assert.equal(run.progress?.done, 2);
  run.progressed(progress('adapter', 3));
  assert.equal(events, 3, 'a new stage is always told');
  run.pause();
  assert.equal(run.phase, 'paused');
  run.resume();
  run.cancel();
  assert.equal(run.phase, 'cancelling');
  assert.deepEqual(calls, ['pause', 'resume', 'cancel']);
  run.finished({ status: 'failed', error: 'boom\nstack' });
  assert.equal(run.phase, null);
  assert.equal(run.progress, null);
  assert.equal(run.last?.status, 'failed');
  assert.equal(run.last?.status === 'failed' ? run.last.error : '', 'boom');
});
