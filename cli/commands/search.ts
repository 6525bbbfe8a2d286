import { encoderFor, releaseEncoders } from '../../core/embedding/encoders.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { refinePeaks } from '../../core/localisation/refine.ts';
import type { PictureSource } from '../../core/localisation/sources.ts';
import { resolveModel } from '../../core/models/store.ts';
import { search } from '../../core/search/search.ts';
import type { QuerySource, SearchFilters, SearchIn, SearchRequest, SearchResponse } from '../../core/search/types.ts';
import type { SearchSession } from '../../core/api/search-query.ts';
import { dataDirFrom, momentArg, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

export const SEARCH_HELP = `Usage:
  foley search (--audio FILE | --image FILE | --at FILE@SECONDS) [--in visual|audio|both] [--top N] [--json]
  foley search --text NAME [--model N] [--top N] [--json]

Finds the moments of the indexed library that match a query:
  --audio FILE        a sound (any format ffmpeg reads; longer than 10 s: its windows averaged);
                      --start S / --duration S pick a part. Searches pictures by default (--in visual).
  --image FILE        a picture. Searches sounds by default (--in audio).
  --at FILE@SECONDS   a moment of an indexed file (its stored embeddings). Searches both by default,
                      leaving out that window itself.
  --text NAME         a class name of a fine-tuned model ("dog", "Bark", "applause"; AudioSet and
                      VGGSound names come with Foley): moments by the classifier's probability, each
                      with "class"; from the tags stored at index time (foley tag tags the rest).
  --in visual|audio|both   which index: visual (pictures), audio (sounds), or both with
                      score = wa·cos(query audio, audio) + wv·cos(query picture, picture); a window with
                      one modality gets only its term. --weights WA,WV (default 0.5,0.5).
Results: adjacent windows of a file merge into one moment (--no-merge keeps windows); --group-by-file
gives one result per file; --top N (default 10), --offset N, --threshold SCORE.
Filters: --folder DIR, --modified-from DATE, --modified-to DATE (ISO dates or ms), --min-duration S,
--max-duration S, --label NAME (positive labels).
--refine (picture queries): localise each result's sound against the picture and give "peak", the
second of the moment where the picture is heard best (see foley localize; costs one encoder run per result).
--json prints {"results": [{"file", "start", "end", "score", "matched", "rank", "window", "peak"?, ...}],
"query", "method", "hasMore", ...}.

Options: --model NAME, --ef N (HNSW breadth, default 200), --exact, --data-dir DIR,
--provider auto|cpu|cuda|dml|coreml|webgpu, --threads N, --help`;

function dateOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a date (YYYY-MM-DD, ISO time or milliseconds), got "${v}"`);
  return n;
}

function inOption(v: string | undefined): SearchIn | undefined {
  if (v === undefined) return undefined;
  if (v === 'audio' || v === 'visual' || v === 'both') return v;
  throw new UsageError(`--in must be visual, audio or both (got "${v}")`);
}

function weightsOption(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => x.trim());
  const w = parts.map(Number);
  if (parts.length !== 2 || parts.some((x) => x === '') || !w.every((x) => Number.isFinite(x) && x >= 0) || w[0]! + w[1]! <= 0) {
    throw new UsageError(`--weights must be two numbers >= 0 like 0.5,0.5 (got "${v}")`);
  }
  return [w[0]!, w[1]!];
}

/** --refine: a picture query's results get their peak times (an image file, or a moment's frame). */
async function refineIfAsked(refine: boolean, library: Library, request: SearchRequest, runtime: SearchSession, response: SearchResponse): Promise<SearchResponse> {
  if (!refine) return response;
  const q = request.query;
  const picture: PictureSource | undefined = q.kind === 'image' ? { kind: 'file', file: q.file } : q.kind === 'moment' ? { kind: 'moment', file: q.file, at: q.at } : undefined;
  if (picture === undefined) throw new UsageError('--refine needs a picture query (--image FILE or --at FILE@SECONDS)');
  const model = await resolveModel(library.dataDir, request.model);
  return refinePeaks({ model, encoder: encoderFor(model, runtime), library }, picture, response);
}

export async function searchCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    audio: { type: 'string' },
    image: { type: 'string' },
    at: { type: 'string' },
    in: { type: 'string' },
    top: { type: 'string' },
    offset: { type: 'string' },
    threshold: { type: 'string' },
    weights: { type: 'string' },
    start: { type: 'string' },
    duration: { type: 'string' },
    folder: { type: 'string' },
    'modified-from': { type: 'string' },
    'modified-to': { type: 'string' },
    'min-duration': { type: 'string' },
    'max-duration': { type: 'string' },
    label: { type: 'string' },
    text: { type: 'string' },
    'group-by-file': { type: 'boolean' },
    'no-merge': { type: 'boolean' },
    ef: { type: 'string' },
    exact: { type: 'boolean' },
    refine: { type: 'boolean' },
    ...RUNTIME_OPTIONS,
  });
  if (values.help === true) {
    console.log(SEARCH_HELP);
    return;
  }
  const given = [values.audio, values.image, values.at].filter((v) => v !== undefined);
  if (values.text !== undefined) {
    if (given.length > 0 || values.label !== undefined) throw new UsageError('--text NAME is a search of its own: not with --audio, --image, --at or --label');
    const top = numberOption('top', values.top, { min: 1, integer: true });
    const offset = numberOption('offset', values.offset, { min: 0, integer: true });
    const { textSearchCommand } = await import('./search-text.ts');
    await textSearchCommand(values.text, {
      dataDir: dataDirFrom(values),
      ...(values.model !== undefined ? { model: values.model } : {}),
      ...(top !== undefined ? { top } : {}),
      ...(offset !== undefined ? { offset } : {}),
      merge: values['no-merge'] !== true,
      json: values.json === true,
      runtime: runtimeFrom(values),
    });
    return;
  }
  // Labels work: `foley search --label NAME` with no query is a search by label (labelled moments,
  // then predicted ones with scores); same output as `foley label search NAME` (cli/commands/label.ts).
  if (given.length === 0 && values.label !== undefined) {
    const { labelSearchCommand } = await import('./label.ts');
    await labelSearchCommand(values.label, { dataDir: values['data-dir'], model: values.model, top: values.top, json: values.json === true, runtime: runtimeFrom(values) });
    return;
  }
  if (given.length !== 1) throw new UsageError('search takes exactly one of --audio FILE, --image FILE or --at FILE@SECONDS');
  if (values.audio === undefined && (values.start !== undefined || values.duration !== undefined)) throw new UsageError('--start and --duration apply to --audio only');
  let query: QuerySource;
  if (values.audio !== undefined) {
    const start = numberOption('start', values.start, { min: 0 });
    const duration = numberOption('duration', values.duration, { min: 0.001 });
    query = { kind: 'audio', file: values.audio, ...(start !== undefined ? { start } : {}), ...(duration !== undefined ? { duration } : {}) };
  } else if (values.image !== undefined) {
    query = { kind: 'image', file: values.image };
  } else {
    query = { kind: 'moment', ...momentArg(values.at!) };
  }
  const filters: SearchFilters = {
    ...(values.folder !== undefined ? { folder: values.folder } : {}),
    ...(values['modified-from'] !== undefined ? { modifiedFrom: dateOption('modified-from', values['modified-from']) } : {}),
    ...(values['modified-to'] !== undefined ? { modifiedTo: dateOption('modified-to', values['modified-to']) } : {}),
    ...(values['min-duration'] !== undefined ? { minDuration: numberOption('min-duration', values['min-duration'], { min: 0 }) } : {}),
    ...(values['max-duration'] !== undefined ? { maxDuration: numberOption('max-duration', values['max-duration'], { min: 0 }) } : {}),
    ...(values.label !== undefined ? { label: values.label } : {}),
  };
  const into = inOption(values.in);
  const weights = weightsOption(values.weights);
  const top = numberOption('top', values.top, { min: 1, integer: true });
  const offset = numberOption('offset', values.offset, { min: 0, integer: true });
  const threshold = numberOption('threshold', values.threshold);
  const ef = numberOption('ef', values.ef, { min: 1, integer: true });
  const request: SearchRequest = {
    query,
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(into !== undefined ? { in: into } : {}),
    ...(top !== undefined ? { top } : {}),
    ...(offset !== undefined ? { offset } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(weights !== undefined ? { weights } : {}),
    ...(Object.keys(filters).length > 0 ? { filters } : {}),
    ...(values['no-merge'] === true ? { merge: false } : {}),
    ...(values['group-by-file'] === true ? { groupByFile: true } : {}),
    ...(ef !== undefined ? { ef } : {}),
    ...(values.exact === true ? { method: 'exact' as const } : {}),
  };
  const library = openLibrary(dataDirFrom(values));
  try {
    const runtime = runtimeFrom(values);
    const r = await refineIfAsked(values.refine === true, library, request, runtime, await search(library, request, runtime));
    if (values.json === true) {
      printJson(r);
      return;
    }
    console.log(`${r.query.directions.join(' + ')} · ${r.method} over ${Object.values(r.searched).join('/')} windows · ${r.results.length} results`);
    for (const x of r.results) {
      const peak = x.peak !== undefined ? `  heard at ${x.peak.toFixed(2)} s` : '';
      console.log(`${String(x.rank).padStart(3)}  ${x.score.toFixed(4)}  ${x.matched.padEnd(6)}  ${x.file}  ${x.start.toFixed(1)}–${x.end.toFixed(1)} s${peak}`);
    }
    if (r.hasMore) console.log(`more: --offset ${r.offset + r.top}`);
  } finally {
    library.close();
    await releaseEncoders();
  }
}
