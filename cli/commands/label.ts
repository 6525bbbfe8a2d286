import { readFileSync, writeFileSync } from 'node:fs';
import { openLibrary, modelRecord } from '../../core/library.ts';
import type { Library } from '../../core/library.ts';
import { resolveModel } from '../../core/models/store.ts';
import { scoreClasses, setClassNames } from '../../core/learning/classes.ts';
import { searchByLabelOnDemand } from '../../core/learning/label-search.ts';
import type { LabelMoment } from '../../core/learning/label-search.ts';
import { addLabelTo, exportLabels, importLabels, labelSummary, listLabelViews, mergeLabelNames, parseMoment, removeLabels, renameLabel } from '../../core/learning/labels.ts';
import type { LabelFormat, LabelView } from '../../core/learning/labels.ts';
import { answerSuggestion, suggestions } from '../../core/learning/suggestions.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

/** ONNX Runtime settings from --provider / --threads. */
type Runtime = ReturnType<typeof runtimeFrom>;

export const LABEL_HELP = `Usage:
  foley label add NAME FILE[@START[-END]] [--negative]   label a moment (snapped to windows) or a whole file
  foley label list [NAME] [--file FILE]                 labels, one per line
  foley label names                                     label names with positive / negative counts
  foley label remove ID… | --name NAME                  delete labels
  foley label rename OLD NEW                            rename a label everywhere
  foley label merge FROM… --into NAME                   merge labels into one name
  foley label export [FILE] [--format csv|json] [--name NAME]   to FILE or stdout
  foley label import FILE [--format csv|json]           add labels from a file (columns name,path,start,end,polarity)
  foley label search NAME [--top N] [--model M]         labelled moments, then predicted ones with scores
  foley label suggest NAME [--top N] [--model M]        predictions to accept or reject
  foley label accept|reject NAME WINDOW_ID [--model M]  answer a suggestion (becomes a label)
  foley label classes CSV [--model M] [--score]         class names (index,mid,display_name) of a fine-tuned
                                                        model; --score computes classifier scores now

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
    console.log(`${name}: ${r.labelled} labelled; predictions: ${r.predictions === null ? 'none (no positive labels)' : r.predictions.kind === 'trained' ? `trained version ${r.predictions.versionId}` : 'zero-shot'}${r.class !== null ? `; class ${r.class.index} (${r.class.mid})` : ''}`);
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

export async function labelCommand(argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(
    rest,
    {
      negative: { type: 'boolean' },
      file: { type: 'string' },
      name: { type: 'string' },
      into: { type: 'string' },
      format: { type: 'string' },
      top: { type: 'string' },
      model: { type: 'string' },
      score: { type: 'boolean' },
      ...RUNTIME_OPTIONS,
    },
    true,
  );
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help === true) {
    console.log(LABEL_HELP);
    return;
  }
  const json = values.json === true;
  const library = openLibrary(dataDirFrom(values));
  try {
    switch (sub) {
      case 'add': {
        const [name, spec] = positionals;
        if (name === undefined || spec === undefined) throw new UsageError('label add takes NAME and FILE[@START[-END]]');
        const m = parseMoment(spec);
        const { label, added } = addLabelTo(library, { name, file: m.file, startS: m.startS, endS: m.endS, polarity: values.negative === true ? 'negative' : 'positive' });
        if (json) printJson({ label, added });
        else console.log(`${added ? 'Added' : 'Already there'}: ${labelLine(label)}`);
        return;
      }
      case 'list': {
        const labels = listLabelViews(library, { ...(positionals[0] !== undefined ? { name: positionals[0] } : {}), ...(values.file !== undefined ? { file: values.file } : {}) });
        if (json) printJson({ labels });
        else for (const l of labels) console.log(labelLine(l));
        return;
      }
      case 'names': {
        const names = labelSummary(library);
        if (json) printJson({ names });
        else for (const n of names) console.log(`${n.name}  ${n.positives} positive, ${n.negatives} negative`);
        return;
      }
      case 'remove': {
        const ids = positionals.map((p) => {
          const id = Number(p);
          if (!Number.isInteger(id)) throw new UsageError(`"${p}" is not a label id`);
          return id;
        });
        if (values.name === undefined && ids.length === 0) throw new UsageError('label remove takes label ids or --name NAME');
        const target = values.name !== undefined ? { name: values.name } : { ids };
        const r = removeLabels(library, target);
        if (json) printJson(r);
        else console.log(`Removed ${r.removed} label${r.removed === 1 ? '' : 's'}`);
        return;
      }
      case 'rename': {
        const [from, to] = positionals;
        if (from === undefined || to === undefined) throw new UsageError('label rename takes OLD and NEW');
        const r = renameLabel(library, from, to);
        if (json) printJson(r);
        else console.log(`Renamed ${r.renamed} label${r.renamed === 1 ? '' : 's'}: ${from} → ${to}`);
        return;
      }
      case 'merge': {
        if (values.into === undefined || positionals.length === 0) throw new UsageError('label merge takes FROM… and --into NAME');
        const r = mergeLabelNames(library, positionals, values.into);
        if (json) printJson(r);
        else console.log(`Merged ${r.merged} label${r.merged === 1 ? '' : 's'} into ${values.into}`);
        return;
      }
      case 'export': {
        const file = positionals[0];
        const text = exportLabels(library, formatOf(values.format, file), values.name !== undefined ? { name: values.name } : {});
        if (file === undefined) process.stdout.write(text);
        else {
          writeFileSync(file, text);
          if (!json) console.log(`Wrote ${file}`);
        }
        return;
      }
      case 'import': {
        const file = positionals[0];
        if (file === undefined) throw new UsageError('label import takes FILE');
        const r = importLabels(library, readFileSync(file, 'utf8'), formatOf(values.format, file));
        if (json) printJson(r);
        else {
          console.log(`Imported ${r.added} label${r.added === 1 ? '' : 's'} (${r.duplicates} already there, ${r.skipped.length} skipped)`);
          for (const s of r.skipped) console.log(`  row ${s.row}: ${s.path}: ${s.reason}`);
        }
        return;
      }
      case 'search': {
        const name = positionals[0];
        if (name === undefined) throw new UsageError('label search takes NAME');
        await printLabelSearch(library, name, { model: values.model, top: values.top, json, runtime: runtimeFrom(values) });
        return;
      }
      case 'suggest': {
        const name = positionals[0];
        if (name === undefined) throw new UsageError('label suggest takes NAME');
        const top = numberOption('top', values.top, { min: 1, integer: true }) ?? 10;
        const list = suggestions(library, await modelId(library, values.model), name, top);
        if (json) printJson({ suggestions: list });
        else for (const s of list) console.log(`${String(s.windowId).padStart(7)} ${s.score.toFixed(3)}  ${s.path}  ${fmtTime(s.startS)}-${fmtTime(s.endS)}`);
        return;
      }
      case 'accept':
      case 'reject': {
        const [name, id] = positionals;
        const windowId = Number(id);
        if (name === undefined || !Number.isInteger(windowId)) throw new UsageError(`label ${sub} takes NAME and WINDOW_ID`);
        const r = answerSuggestion(library, await modelId(library, values.model), name, windowId, sub === 'accept' ? 'accepted' : 'rejected');
        if (json) printJson(r);
        else console.log(`${r.answer}: ${labelLine(r.label)}`);
        return;
      }
      case 'classes': {
        const file = positionals[0];
        if (file === undefined) throw new UsageError('label classes takes a CSV (index,mid,display_name)');
        const model = await resolveModel(library.dataDir, values.model);
        const r = setClassNames(library, model, file);
        const scored = values.score === true ? await scoreClasses(library, model, runtimeFrom(values)) : 0;
        if (json) printJson({ ...r, scored });
        else console.log(`Stored ${r.classes} class names for ${model.manifest.name}${values.score === true ? `; scored ${scored} windows` : ''}`);
        return;
      }
      default:
        throw new UsageError(`unknown label command "${sub}"`);
    }
  } finally {
    library.close();
  }
}
