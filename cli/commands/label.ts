import { readFileSync, writeFileSync } from 'node:fs';
import { openLibrary, modelRecord } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { resolveModel } from '../../core/models/store.ts';
import { setClassNames } from '../../core/learning/classes.ts';
import { tagLibrary } from '../../core/tagging/tag-library.ts';
import { searchByLabelOnDemand } from '../../core/learning/label-search.ts';
import type { LabelMoment } from '../../core/learning/label-search.ts';
import { addLabelTo, exportLabels, importLabels, labelSummary, listLabelViews, mergeLabelNames, parseMoment, removeLabels, renameLabel } from '../../core/learning/labels.ts';
import type { LabelFormat, LabelView } from '../../core/learning/labels.ts';
import type { LearnedFrom } from '../../core/learning/few-shot.ts';
import { answerSuggestion, suggestionsOrBaseline } from '../../core/learning/suggestions.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

/** ONNX Runtime settings from --provider / --threads. */
type Runtime = ReturnType<typeof runtimeFrom>;

export const LABEL_HELP = `Usage:
  foley label add NAME FILE[@START[-END]] [--negative]   label a moment (snapped to windows) or a whole file
  foley label list [NAME] [--file FILE]                 labels, one per line
  foley label names [--model M]                         label names with positive / negative counts and
                                                        what each learned from (sound, picture or both)
  foley label remove ID… | --name NAME                  delete labels
  foley label rename OLD NEW                            rename a label everywhere
  foley label merge FROM… --into NAME                   merge labels into one name
  foley label export [FILE] [--format csv|json] [--name NAME]   to FILE or stdout
  foley label import FILE [--format csv|json]           add labels from a file (columns name,path,start,end,polarity)
  foley label search NAME [--top N] [--model M]         labelled moments, then predicted ones with scores
  foley label suggest NAME [--top N] [--model M]        predictions to accept or reject
  foley label accept|reject NAME WINDOW_ID [--model M]  answer a suggestion (becomes a label)
  foley label classes CSV [--model M] [--score]         class names (index,mid,display_name) of a fine-tuned
                                                        model, replacing the shipped AudioSet (527 outputs) or
                                                        VGGSound (309) names; --score tags the untagged windows now

START and END are seconds, m:ss or h:mm:ss. Options: --data-dir DIR, --json, --help.`;

function fmtTime(s: number | null): string {
  if (s === null) return '';
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

function labelLine(l: LabelView): string {
  const range = l.startS === null ? 'whole file' : `${fmtTime(l.startS)}-${fmtTime(l.endS)}`;
  return `${String(l.id).padStart(5)} ${l.polarity === 'negative' ? 'NOT ' : ''}${l.name}  ${l.path}  ${range}`;
}

function momentLine(m: LabelMoment): string {
  const range = `${fmtTime(m.startS)}-${m.endS === null ? 'end' : fmtTime(m.endS)}`;
  return `${m.source.padEnd(10)} ${m.score.toFixed(3)}  ${m.path}  ${range}`;
}

async function modelId(library: Library, name: string | undefined): Promise<number> {
  return modelRecord(library, await resolveModel(library.dataDir, name)).id;
}

function formatOf(value: unknown, file: string | undefined): LabelFormat {
  if (value === 'csv' || value === 'json') return value;
  if (value !== undefined) throw new UsageError('--format is csv or json');
  return file?.toLowerCase().endsWith('.json') === true ? 'json' : 'csv';
}

async function printLabelSearch(library: Library, name: string, o: { model?: string | undefined; top?: string | undefined; json: boolean; runtime: Runtime }): Promise<void> {
  const top = numberOption('top', o.top, { min: 1, integer: true }) ?? 20;
  const r = await searchByLabelOnDemand(library, await resolveModel(library.dataDir, o.model), { name, top }, o.runtime);
  if (o.json) printJson(r);
  else {
    console.log(`${name}: ${r.labelled} labelled; predictions: ${r.predictions === null ? 'none (no positive labels)' : r.predictions.kind === 'trained' ? `trained version ${r.predictions.versionId}` : 'few-shot baseline'}${r.predictions?.learnedFrom ? `; learned from: ${learnedFromText(r.predictions.learnedFrom)}` : ''}${r.class !== null ? `; class ${r.class.index} (${r.class.mid})` : ''}`);
    for (const m of r.moments) console.log(momentLine(m));
  }
}

/** `foley search --label NAME` (cli/commands/search.ts) lands here. */
export async function labelSearchCommand(
  name: string,
  o: { dataDir?: string | boolean | undefined; model?: string | undefined; top?: string | undefined; json: boolean; runtime: Runtime },
): Promise<void> {
  const library = openLibrary(dataDirFrom({ 'data-dir': o.dataDir }));
  try {
    await printLabelSearch(library, name, o);
  } finally {
    library.close();
  }
}

const LABEL_OPTIONS = {
  negative: { type: 'boolean' },
  file: { type: 'string' },
  name: { type: 'string' },
  into: { type: 'string' },
  format: { type: 'string' },
  top: { type: 'string' },
  model: { type: 'string' },
  score: { type: 'boolean' },
  ...RUNTIME_OPTIONS,
} as const;

type Values = ReturnType<typeof parse<typeof LABEL_OPTIONS>>['values'];

/** One `foley label SUB` call: the open library, the positionals after SUB, the options. */
interface Call {
  readonly library: Library;
  readonly sub: string;
  readonly args: readonly string[];
  readonly values: Values;
  readonly json: boolean;
}

/** Prints `r` as JSON, or `text(r)` for people. */
function report<T>(c: Call, r: T, text: (r: T) => string): void {
  if (c.json) printJson(r);
  else console.log(text(r));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function add(c: Call): void {
  const [name, spec] = c.args;
  if (name === undefined || spec === undefined) throw new UsageError('label add takes NAME and FILE[@START[-END]]');
  const m = parseMoment(spec);
  const r = addLabelTo(c.library, { name, file: m.file, startS: m.startS, endS: m.endS, polarity: c.values.negative === true ? 'negative' : 'positive' });
  report(c, r, ({ label, added }) => `${added ? 'Added' : 'Already there'}: ${labelLine(label)}`);
}

function list(c: Call): void {
  const labels = listLabelViews(c.library, { ...(c.args[0] !== undefined ? { name: c.args[0] } : {}), ...(c.values.file !== undefined ? { file: c.values.file } : {}) });
  if (c.json) printJson({ labels });
  else for (const l of labels) console.log(labelLine(l));
}

async function names(c: Call): Promise<void> {
  // What each label learned from needs the model's vectors; without an installed model, counts only.
  const id = await modelId(c.library, c.values.model).catch(() => undefined);
  const all = labelSummary(c.library, id);
  if (c.json) printJson({ names: all });
  else for (const n of all) console.log(`${n.name}  ${n.positives} positive, ${n.negatives} negative${n.learnedFrom !== null ? `; learned from: ${learnedFromText(n.learnedFrom)}` : ''}`);
}

/** "picture (0.97)", "sound (0.81)" or "both (sound 0.55, picture 0.45)". */
export function learnedFromText(l: LearnedFrom): string {
  if (l.says === 'both') return `both (sound ${l.sound.toFixed(2)}, picture ${l.picture.toFixed(2)})`;
  return `${l.says} (${(l.says === 'sound' ? l.sound : l.picture).toFixed(2)})`;
}

function remove(c: Call): void {
  const ids = c.args.map((p) => {
    const id = Number(p);
    if (!Number.isInteger(id)) throw new UsageError(`"${p}" is not a label id`);
    return id;
  });
  if (c.values.name === undefined && ids.length === 0) throw new UsageError('label remove takes label ids or --name NAME');
  const r = removeLabels(c.library, c.values.name !== undefined ? { name: c.values.name } : { ids });
  report(c, r, ({ removed }) => `Removed ${plural(removed, 'label')}`);
}

function rename(c: Call): void {
  const [from, to] = c.args;
  if (from === undefined || to === undefined) throw new UsageError('label rename takes OLD and NEW');
  report(c, renameLabel(c.library, from, to), ({ renamed }) => `Renamed ${plural(renamed, 'label')}: ${from} → ${to}`);
}

function merge(c: Call): void {
  const into = c.values.into;
  if (into === undefined || c.args.length === 0) throw new UsageError('label merge takes FROM… and --into NAME');
  report(c, mergeLabelNames(c.library, c.args, into), ({ merged }) => `Merged ${plural(merged, 'label')} into ${into}`);
}

function exportTo(c: Call): void {
  const file = c.args[0];
  const text = exportLabels(c.library, formatOf(c.values.format, file), c.values.name !== undefined ? { name: c.values.name } : {});
  if (file === undefined) process.stdout.write(text);
  else {
    writeFileSync(file, text);
    if (!c.json) console.log(`Wrote ${file}`);
  }
}

function importFrom(c: Call): void {
  const file = c.args[0];
  if (file === undefined) throw new UsageError('label import takes FILE');
  const r = importLabels(c.library, readFileSync(file, 'utf8'), formatOf(c.values.format, file));
  report(c, r, ({ added, duplicates, skipped }) =>
    [`Imported ${plural(added, 'label')} (${duplicates} already there, ${skipped.length} skipped)`, ...skipped.map((k) => `  row ${k.row}: ${k.path}: ${k.reason}`)].join('\n'),
  );
}

async function searchLabel(c: Call): Promise<void> {
  const name = c.args[0];
  if (name === undefined) throw new UsageError('label search takes NAME');
  await printLabelSearch(c.library, name, { model: c.values.model, top: c.values.top, json: c.json, runtime: runtimeFrom(c.values) });
}

async function suggest(c: Call): Promise<void> {
  const name = c.args[0];
  if (name === undefined) throw new UsageError('label suggest takes NAME');
  const top = numberOption('top', c.values.top, { min: 1, integer: true }) ?? 10;
  // The trained head's where it learned the label, else the few-shot baseline's (as the app shows).
  const found = suggestionsOrBaseline(c.library, await modelId(c.library, c.values.model), name, top);
  if (c.json) printJson(found);
  else for (const s of found.suggestions) console.log(`${String(s.windowId).padStart(7)} ${s.score.toFixed(3)}  ${s.path}  ${fmtTime(s.startS)}-${fmtTime(s.endS)}`);
}

async function answer(c: Call): Promise<void> {
  const [name, id] = c.args;
  const windowId = Number(id);
  if (name === undefined || !Number.isInteger(windowId)) throw new UsageError(`label ${c.sub} takes NAME and WINDOW_ID`);
  const r = answerSuggestion(c.library, await modelId(c.library, c.values.model), name, windowId, c.sub === 'accept' ? 'accepted' : 'rejected');
  report(c, r, ({ answer: a, label }) => `${a}: ${labelLine(label)}`);
}

async function classes(c: Call): Promise<void> {
  const file = c.args[0];
  if (file === undefined) throw new UsageError('label classes takes a CSV (index,mid,display_name)');
  const model = await resolveModel(c.library.dataDir, c.values.model);
  const r = setClassNames(c.library, model, file);
  const score = c.values.score === true;
  // --score tags the windows this model has not tagged yet (names only label logits: nothing is re-tagged).
  const scored = score ? (await tagLibrary(c.library, model, { session: runtimeFrom(c.values) })).tagged : 0;
  report(c, { ...r, scored }, () => `Stored ${r.classes} class names for ${model.manifest.name}${score ? `; tagged ${scored} windows` : ''}`);
}

const SUBCOMMANDS: Readonly<Record<string, (c: Call) => void | Promise<void>>> = {
  add,
  list,
  names,
  remove,
  rename,
  merge,
  export: exportTo,
  import: importFrom,
  search: searchLabel,
  suggest,
  accept: answer,
  reject: answer,
  classes,
};

export async function labelCommand(argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, LABEL_OPTIONS, true);
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help === true) {
    console.log(LABEL_HELP);
    return;
  }
  const run = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (run === undefined) throw new UsageError(`unknown label command "${sub}"`);
  const library = openLibrary(dataDirFrom(values));
  try {
    await run({ library, sub, args: positionals, values, json: values.json === true });
  } finally {
    library.close();
  }
}
