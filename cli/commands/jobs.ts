import { openLibrary } from '../../core/library/handle.ts';
import { controlJob, isJobAction, recentJobs, requireJob } from '../../core/jobs.ts';
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
      const jobs = recentJobs(library, 20);
      if (values.json === true) printJson({ jobs });
      else for (const j of jobs) console.log(`${String(j.id).padStart(4)} ${j.kind.padEnd(8)} ${j.status.padEnd(9)} ${j.progressDone}/${j.progressTotal ?? '?'}${j.error !== null ? ` ${j.error}` : ''}`);
      return;
    }
    const id = Number(positionals[0]);
    if (!Number.isInteger(id)) throw new UsageError(`jobs ${sub} takes a job id`);
    requireJob(library, id);
    if (!isJobAction(sub)) throw new UsageError(`unknown jobs command "${sub}" (list, pause, resume, cancel)`);
    const job = controlJob(library, id, sub);
    if (values.json === true) printJson({ job });
    else console.log(`Job ${job.id}: ${job.status}`);
  } finally {
    library.close();
  }
}
