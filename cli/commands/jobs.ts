import { FoleyError } from '../../base/errors.ts';
import { openLibrary } from '../../core/library.ts';
import { getJob, listJobs, setJobStatus } from '../../db/jobs.ts';
import { dataDirFrom, parse, printJson, UsageError } from '../args.ts';

export const JOBS_HELP = `Usage:
  foley jobs [list]        recent jobs (indexing, model import, training) and their state
  foley jobs pause ID      pause a running job (the process running it waits)
  foley jobs resume ID     let a paused job go on
  foley jobs cancel ID     stop a job for good (finished work is kept)`;

export async function jobsCommand(argv: readonly string[]): Promise<void> {
  const [first, ...tail] = argv;
  const [sub, rest] = first === undefined || first.startsWith('-') ? ['list', argv] : [first, tail];
  const { values, positionals } = parse(rest, {}, true);
  if (values.help === true) {
    console.log(JOBS_HELP);
    return;
  }
  const library = openLibrary(dataDirFrom(values));
  try {
    if (sub === 'list') {
      const jobs = listJobs(library.db).slice(-20);
      if (values.json === true) printJson({ jobs });
      else for (const j of jobs) console.log(`${String(j.id).padStart(4)} ${j.kind.padEnd(8)} ${j.status.padEnd(9)} ${j.progressDone}/${j.progressTotal ?? '?'}${j.error !== null ? ` ${j.error}` : ''}`);
      return;
    }
    const id = Number(positionals[0]);
    if (!Number.isInteger(id)) throw new UsageError(`jobs ${sub} takes a job id`);
    if (getJob(library.db, id) === undefined) throw new FoleyError(`no job with id ${id}`);
    const next = sub === 'pause' ? 'paused' : sub === 'resume' ? 'running' : sub === 'cancel' ? 'cancelled' : undefined;
    if (next === undefined) throw new UsageError(`unknown jobs command "${sub}" (list, pause, resume, cancel)`);
    const job = setJobStatus(library.db, id, next);
    if (values.json === true) printJson({ job });
    else console.log(`Job ${job.id}: ${job.status}`);
  } finally {
    library.close();
  }
}
