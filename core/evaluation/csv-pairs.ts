// Pairs mode: the user's own answer key, a CSV with the header `audio,image` and one pair per line.
// A cell is a file (audio: its window at 0 s; image: the picture, or a video's first frame) or
// FILE@SECONDS, split at the last `@` when what follows is a number: that window's sound (exactly the
// input `foley features --start S` gives) or the frame that window would use (its middle, computed in
// whole 16-kHz samples like base/window-plan.ts, so a window the indexer made gets its very frame).
// A path whose last `@` is followed by something else is taken as a whole. Relative paths are relative
// to the CSV's folder. Every error names the CSV and its line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import { DEFAULT_WINDOW_SECONDS, SAMPLE_RATE, toSamples } from '../../base/window-plan.ts';
import { mediaDuration } from '../../media/decode-windows.ts';
import { decodeFrameRgb } from '../../media/image.ts';
import { probeMedia } from '../../media/probe.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { embedAudioFile, embedFrame, embedImageFile } from '../embedding/file.ts';
import type { InstalledModel } from '../models/store.ts';
import { parseCsv } from '../learning/csv.ts';

export interface PairCell {
  readonly file: string;
  /** Seconds of FILE@SECONDS; undefined for a plain file. */
  readonly at: number | undefined;
}

export interface PairRow {
  /** 1-based line of the CSV. */
  readonly line: number;
  readonly audio: PairCell;
  readonly image: PairCell;
}

/** One CSV line's cells, trimmed (the CSV reader labels use); undefined when a quote is left open. */
function splitCsvLine(line: string): string[] | undefined {
  if ((line.match(/"/g)?.length ?? 0) % 2 === 1) return undefined;
  return (parseCsv(line)[0] ?? ['']).map((c) => c.trim());
}

export function parseCell(cell: string, dir: string): PairCell {
  const at = cell.lastIndexOf('@');
  const tail = at >= 0 ? cell.slice(at + 1).trim() : '';
  const seconds = /^\d+(\.\d+)?$/.test(tail) ? Number(tail) : undefined;
  const file = seconds !== undefined ? cell.slice(0, at).trim() : cell;
  return { file: path.resolve(dir, file), at: seconds };
}

/** Parses PAIRS.csv text; `csv` is its path (errors name it, relative cells resolve against its folder). */
export function parsePairsCsv(text: string, csv: string): PairRow[] {
  const dir = path.dirname(path.resolve(csv));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fail = (line: number, why: string): never => {
    throw new FoleyError(`line ${line}: ${why}`, { file: csv });
  };
  const header = splitCsvLine(lines[0] ?? '')?.map((c) => c.toLowerCase());
  if (header === undefined || header.length !== 2 || header[0] !== 'audio' || header[1] !== 'image') {
    fail(1, `the header must be "audio,image" (got "${(lines[0] ?? '').slice(0, 80)}")`);
  }
  const rows: PairRow[] = [];
  lines.slice(1).forEach((raw, i) => {
    const line = i + 2;
    if (raw.trim() === '') return;
    const cells = splitCsvLine(raw);
    if (cells === undefined) fail(line, 'a quote is not closed');
    if (cells!.length !== 2) fail(line, `expected 2 cells (audio,image), got ${cells!.length}`);
    if (cells![0] === '' || cells![1] === '') fail(line, 'an empty cell');
    rows.push({ line, audio: parseCell(cells![0]!, dir), image: parseCell(cells![1]!, dir) });
  });
  if (rows.length === 0) fail(2, 'no pairs after the header');
  return rows;
}

export async function readPairsCsv(csv: string): Promise<PairRow[]> {
  const text = await readFile(csv, 'utf8').catch((cause: unknown) => {
    throw new FoleyError('cannot read the pairs file', { file: csv, cause, code: 'not_found' });
  });
  return parsePairsCsv(text, csv);
}

/** Seconds of the frame the window starting at `start` uses: its middle, the end cut at the file's. */
export async function windowFrameTime(file: string, start: number): Promise<number> {
  const duration = mediaDuration(await probeMedia(file, { timeoutMs: 60_000 }));
  const s = toSamples(start);
  const total = toSamples(duration);
  if (s >= total) throw new FoleyError(`${start} s is past the end (${duration.toFixed(3)} s)`, { file });
  const e = Math.min(s + toSamples(DEFAULT_WINDOW_SECONDS), total);
  return (s + e) / 2 / SAMPLE_RATE;
}

export interface EmbeddedPairs {
  readonly n: number;
  readonly dim: number;
  readonly audio: Float32Array;
  readonly visual: Float32Array;
}

export interface EmbedPairsOptions extends SessionOptions {
  readonly signal?: AbortSignal;
  /** Cells embedded so far, of 2·rows (a repeated cell is embedded once). */
  readonly onCells?: (done: number, total: number) => void;
}

/** Every cell through the model (the same path as `foley embed`); a failure names the CSV line and column. */
export async function embedPairs(model: InstalledModel, rows: readonly PairRow[], csv: string, options: EmbedPairsOptions = {}): Promise<EmbeddedPairs> {
  const session: SessionOptions = { ...(options.provider !== undefined ? { provider: options.provider } : {}), ...(options.threads !== undefined ? { threads: options.threads } : {}) };
  const cache = new Map<string, Float32Array>();
  const embedCell = async (kind: 'audio' | 'image', cell: PairCell): Promise<Float32Array> => {
    const key = `${kind}|${cell.file}|${cell.at ?? ''}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let v: Float32Array;
    if (kind === 'audio') v = (await embedAudioFile(model, cell.file, { ...session, start: cell.at ?? 0 })).embedding;
    else if (cell.at === undefined) v = (await embedImageFile(model, cell.file, session)).embedding;
    else v = (await embedFrame(model, await decodeFrameRgb(cell.file, await windowFrameTime(cell.file, cell.at), { timeoutMs: 60_000 }), session)).embedding;
    cache.set(key, v);
    return v;
  };
  const dim = model.manifest.config.embedDim;
  const audio = new Float32Array(rows.length * dim);
  const visual = new Float32Array(rows.length * dim);
  let done = 0;
  for (const [i, row] of rows.entries()) {
    for (const kind of ['audio', 'image'] as const) {
      options.signal?.throwIfAborted();
      const v = await embedCell(kind, row[kind]).catch((e: unknown) => {
        throw new FoleyError(`line ${row.line} (${kind}): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { file: csv, cause: e });
      });
      (kind === 'audio' ? audio : visual).set(v, i * dim);
      options.onCells?.(++done, rows.length * 2);
    }
  }
  return { n: rows.length, dim, audio, visual };
}
