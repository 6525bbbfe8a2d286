// `foley tags FILE@SECONDS`: what a fine-tuned classifier hears in one moment (core/search/tags.ts).
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { openLibrary } from '../../core/library/handle.ts';
import { tagsAt } from '../../core/search/tags.ts';
import { textSearchModel } from '../../core/tagging/tagging-model.ts';
import { dataDirFrom, momentArg, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

export const TAGS_HELP = `Usage: foley tags FILE@SECONDS [--model N] [--top N] [--json]

The classes a fine-tuned model (AudioSet or VGGSound names come with Foley; foley label classes CSV
for others) gives the window containing that second of an indexed file, most probable first. The
window's file is tagged now if the window has no stored tags yet (foley tag --help). Probabilities:
sigmoid of the logits for AudioSet-style models, softmax for VGGSound's 309 classes. The model is the
one that tags the library (the best installed fine-tuned one: as2m-av first) unless --model names another.
--json prints {"tags": [{"name", "mid", "score", "index"}, ...], "file", "window", "model", "names", "mode", "frames", "scored"}.

Options: --model NAME, --top N (default 10), --data-dir DIR, --provider auto|cpu|cuda|dml|coreml|webgpu, --threads N, --help`;

export async function tagsCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parse(argv, { model: { type: 'string' }, top: { type: 'string' }, ...RUNTIME_OPTIONS }, true);
  if (values.help === true) {
    console.log(TAGS_HELP);
    return;
  }
  if (positionals.length !== 1) throw new UsageError('tags takes one FILE@SECONDS');
  const moment = momentArg(positionals[0]!);
  const top = numberOption('top', values.top, { min: 1, integer: true });
  const dataDir = dataDirFrom(values);
  // The tagging model unless --model names one: the default model is usually pretrained, with no classes.
  const model = await textSearchModel(dataDir, values.model);
  const library = openLibrary(dataDir);
  try {
    const r = await tagsAt(library, { ...moment, model, ...(top !== undefined ? { top } : {}) }, runtimeFrom(values));
    if (values.json === true) {
      printJson(r);
      return;
    }
    console.log(`${r.file} ${r.window.start.toFixed(1)}–${r.window.end.toFixed(1)} s · ${r.model} (${r.mode}${r.frames > 1 ? `, ${r.frames} pictures` : ''}, names: ${r.names})`);
    for (const t of r.tags) console.log(`${t.score.toFixed(4)}  ${t.name}${t.mid !== '' ? `  ${t.mid}` : ''}`);
  } finally {
    library.close();
    await releaseEncoders();
  }
}
