// Child process for job-owner.test.ts: claims a train-like job as its owner, prints "claimed ID", then
// waits (a live owner) until it is killed.
import { openDatabase } from '../../db/connection.ts';
import { claimJob } from '../../db/jobs.ts';

const db = openDatabase(process.argv[2]!);
const job = claimJob(db, { kind: 'train', params: { modelId: 1 }, staleMs: 30_000, same: () => true, busy: (j) => `job ${j.id} is busy`, recordOwner: true });
console.log(`claimed ${job.id}`);
setInterval(() => {}, 1000);
