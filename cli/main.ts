// `foley …`: the headless front door over the same core services the desktop app uses.
// Errors print as one line ("foley: <file>: <problem>") with exit code 1; usage errors exit 2.
import { FoleyError } from '../base/errors.ts';
import { UsageError } from './args.ts';
import { embedCommand } from './commands/embed.ts';
import { featuresCommand } from './commands/features.ts';
import { indexCommand } from './commands/index.ts';
import { jobsCommand } from './commands/jobs.ts';
import { libraryCommand } from './commands/library.ts';
import { searchCommand } from './commands/search.ts';
import { statusCommand } from './commands/status.ts';
import { modelCommand } from './commands/model.ts';
import { labelCommand } from './commands/label.ts';
import { trainCommand } from './commands/train.ts';
import { serveCommand } from './commands/serve.ts';
import { localizeCommand } from './commands/localize.ts';
import { evalCommand } from './commands/eval.ts';
import { tagsCommand } from './commands/tags.ts';
import { tagCommand } from './commands/tag.ts';

const HELP = `foley — search your video library by sound and by sight (CAV-MAE)

Usage: foley <command> [options]

Commands:
  model      import, download, list and remove models     (foley model --help)
  embed      embedding of an audio window or an image       (foley embed --help)
  features   the normalised fbank the audio encoder sees    (foley features --help)
  index      index folders of videos (incremental, resumable) (foley index --help)
  status     what the library holds, failures, jobs          (foley status --help)
  library    add, remove and list library folders           (foley library --help)
  jobs       list, pause, resume and cancel jobs            (foley jobs --help)
  label      label moments, import/export, search by label   (foley label --help)
  train      learn from labels in the background            (foley train --help)
  serve      the app in a browser, with its HTTP API, on 127.0.0.1 (foley serve --help)
  search     moments matching a sound, a picture, a moment or a class name (foley search --help)
  tag        tag the library's windows with a fine-tuned model (foley tag --help)
  tags       what a fine-tuned model hears in a moment      (foley tags --help)
  localize   where a sound is in a picture, and when a picture is heard (foley localize --help)
  eval       how well a model finds things in this library (R@1/5/10) (foley eval --help)

Every command takes --data-dir DIR (or FOLEY_DATA_DIR; default ~/.config/Foley on Linux),
--json for machine-readable output, and --help.`;

const commands: Record<string, (argv: readonly string[]) => Promise<void>> = {
  model: modelCommand,
  embed: embedCommand,
  features: featuresCommand,
  index: indexCommand,
  status: statusCommand,
  library: libraryCommand,
  jobs: jobsCommand,
  label: labelCommand,
  train: trainCommand,
  serve: serveCommand,
  search: searchCommand,
  tag: tagCommand,
  tags: tagsCommand,
  localize: localizeCommand,
  eval: evalCommand,
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return 0;
  }
  if (command === '--version' || command === 'version') {
    console.log('foley 0.1.0');
    return 0;
  }
  const run = commands[command];
  if (run === undefined) {
    console.error(`foley: unknown command "${command}" (try foley --help)`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`foley ${command}: ${e.message} (try foley ${command} --help)`);
      return 2;
    }
    const message = e instanceof FoleyError ? e.message : e instanceof Error ? e.message : String(e);
    console.error(`foley: ${message.split('\n')[0]}`);
    if (process.env.FOLEY_DEBUG === '1' && e instanceof Error) console.error(e.stack);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
