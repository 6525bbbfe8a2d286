// Resumable HTTP download. Bytes go to <dest>.part with a small sidecar recording what the partial
// file belongs to (the URL, or a stable key the caller names), the validator (ETag / Last-Modified)
// and total size; an interrupted download — a dropped connection within this run, or a killed
// process — continues with a Range request where it stopped, and starts over only when the server
// says the file changed (If-Range, or another total size) or ignores ranges. A web page is never
// written as the file: hosts answer with sign-in, quota and error pages in HTML.
import { createWriteStream, existsSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { FoleyError } from '../../base/errors.ts';
import type { ProgressListener } from '../progress.ts';

interface PartMeta {
  /** What the partial file is a prefix of. Sidecars written before keys existed hold `url` only. */
  readonly key?: string;
  readonly url?: string;
  readonly validator: string | null;
  readonly total: number | null;
}

export interface OpenInit {
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/**
 * Makes the request for the file's bytes. A host that puts pages before the file (Google Drive's
 * confirm page) supplies its own; the headers (Range, If-Range) must reach the request that answers
 * with the bytes. Throwing a FoleyError means the host refused for a reason retrying will not fix.
 */
export type Opener = (url: string, init: OpenInit) => Promise<Response>;

export interface DownloadOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Attempts after a dropped connection before giving up (each resumes). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /**
   * What the partial file belongs to, default the URL. A caller whose address changes between runs
   * for the same file names it by something stable, so an earlier run's bytes are still continued.
   */
  readonly key?: string;
  /** Default: fetch, following redirects. */
  readonly open?: Opener;
}

export interface DownloadResult {
  readonly bytes: number;
  /** Bytes that were already on disk from an earlier attempt. */
  readonly resumedFrom: number;
}

async function readMeta(file: string): Promise<PartMeta | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

interface ContentRange {
  readonly start: number;
  readonly total: number | null;
}

function contentRange(res: Response): ContentRange | null {
  const m = /^\s*bytes\s+(\d+)-\d+\/(\d+|\*)\s*$/i.exec(res.headers.get('content-range') ?? '');
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

function totalFrom(res: Response, offset: number): number | null {
  const range = contentRange(res);
  if (range !== null && range.total !== null) return range.total;
  const len = res.headers.get('content-length');
  return len !== null ? offset + Number(len) : null;
}

function isWebPage(res: Response): boolean {
  return /^\s*(text\/html|application\/xhtml\+xml)/i.test(res.headers.get('content-type') ?? '');
}

/** Whether the first bytes are an HTML document (a page served with a binary content type). */
function looksLikeHtml(buf: Uint8Array): boolean {
  const head = Buffer.from(buf.subarray(0, 256)).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  return /^<(!doctype html|html[\s>]|head[\s>]|body[\s>])/.test(head);
}

function webPageError(url: string, dest: string): FoleyError {
  return new FoleyError(`${url} answered with a web page, not the file (a sign-in, quota or error page); nothing was saved`, { file: dest, code: 'failed' });
}

const fetchOpener: Opener = (url, init) => fetch(url, { headers: init.headers, redirect: 'follow', ...(init.signal ? { signal: init.signal } : {}) });

interface WriteJob {
  readonly part: string;
  readonly metaFile: string;
  /** The sidecar for these bytes, written when the first of them is. */
  readonly meta: PartMeta;
  /** Bytes already in the part file that this body continues (0: replace it). */
  readonly offset: number;
  readonly url: string;
  readonly dest: string;
  readonly onProgress: ProgressListener | undefined;
}

interface Written {
  /** Where the part file ends now. */
  readonly offset: number;
  /** Whether this body's bytes (and sidecar) replaced or extended the part file. */
  readonly started: boolean;
  /** Why the body stopped early (a dropped connection), if it did. */
  readonly error?: unknown;
}

/**
 * Streams a response body into the part file. Nothing on disk changes until the first bytes show
 * the body is not a web page, so a page served as a binary neither truncates nor extends the part.
 */
async function writeBody(res: Response, job: WriteJob): Promise<Written> {
  let out: WriteStream | undefined;
  let offset = job.offset;
  const start = async (): Promise<WriteStream> => {
    await writeFile(job.metaFile, JSON.stringify(job.meta));
    return createWriteStream(job.part, { flags: job.offset > 0 ? 'a' : 'w' });
  };
  try {
    if (res.body === null) throw new Error('empty response body');
    for await (const chunk of res.body) {
      const buf = chunk as Uint8Array;
      if (out === undefined) {
        if (looksLikeHtml(buf)) throw webPageError(job.url, job.dest);
        out = await start();
      }
      if (!out.write(buf)) await once(out, 'drain');
      offset += buf.byteLength;
      job.onProgress?.({ stage: 'download', label: 'Downloading', done: offset, total: job.meta.total ?? 0, unit: 'bytes' });
    }
    out ??= await start();
    out.end();
    await once(out, 'finish');
    return { offset, started: true };
  } catch (e) {
    // Flush what arrived (it is valid data to resume from) and close before looking at the size.
    if (out !== undefined) {
      const stream = out;
      await new Promise<void>((resolve) => {
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      });
    }
    if (e instanceof FoleyError) throw e;
    return { offset: existsSync(job.part) ? (await stat(job.part)).size : 0, started: out !== undefined, error: e };
  }
}

/** Whether a 206 continues the part file: it starts where the part ends, in a file of the same size. */
function continuesPart(res: Response, offset: number, meta: PartMeta | undefined): boolean {
  const range = contentRange(res);
  if (range === null || range.start !== offset) return false;
  return meta?.total == null || range.total === null || range.total === meta.total;
}

export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const metaFile = `${dest}.part.json`;
  const retries = options.retries ?? 5;
  const key = options.key ?? url;
  const open = options.open ?? fetchOpener;
  let meta = await readMeta(metaFile);
  if (meta !== undefined && (meta.key ?? meta.url) !== key) meta = undefined;
  let offset = meta !== undefined && existsSync(part) ? (await stat(part)).size : 0;
  const resumedFrom = offset;
  let lastError: unknown;

  for (let attempt = 0; attempt <= retries; attempt++) {
    if (options.signal?.aborted) throw new FoleyError('download cancelled', { file: dest });
    const headers: Record<string, string> = {};
    if (offset > 0 && meta !== undefined) {
      headers.Range = `bytes=${offset}-`;
      if (meta.validator !== null) headers['If-Range'] = meta.validator;
    }
    let res: Response;
    try {
      res = await open(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      if (e instanceof FoleyError) throw e; // The host said no (quota, no access): retrying will not help.
      lastError = e;
      if (attempt < retries) await delay(options.retryDelayMs ?? 1000 * (attempt + 1), options.signal);
      continue;
    }
    if (res.status === 416 && meta?.total != null && meta.total === offset) {
      await res.body?.cancel();
      lastError = undefined;
      break; // Already complete.
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new FoleyError(`download failed: HTTP ${res.status} ${res.statusText} from ${url}`, { file: dest });
    }
    if (isWebPage(res)) {
      await res.body?.cancel();
      throw webPageError(url, dest);
    }
    if (res.status === 206 && !continuesPart(res, offset, meta)) {
      // Bytes from elsewhere, or from a file of another size: the part file cannot be continued.
      await res.body?.cancel();
      lastError = new Error('the server sent a part of the file that does not continue the one on disk');
      offset = 0;
      meta = undefined;
      continue;
    }
    const from = res.status === 200 ? 0 : offset; // A 200 is the whole file: the range was ignored or the file changed.
    const validator = res.headers.get('etag') || res.headers.get('last-modified') || null; // An empty header validates nothing.
    const next: PartMeta = { key, validator, total: totalFrom(res, from) };
    const written = await writeBody(res, { part, metaFile, meta: next, offset: from, url, dest, onProgress: options.onProgress });
    if (written.started) meta = next;
    offset = written.offset;
    if (written.error !== undefined) {
      lastError = written.error;
      if (options.signal?.aborted) throw new FoleyError('download cancelled (kept the partial file to resume)', { file: dest });
      if (attempt < retries) await delay(options.retryDelayMs ?? 1000 * (attempt + 1), options.signal);
      continue;
    }
    if (next.total !== null && offset !== next.total) {
      lastError = new Error(`connection closed at ${offset} of ${next.total} bytes`);
      continue;
    }
    lastError = undefined;
    break;
  }
  if (lastError !== undefined) {
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new FoleyError(`download interrupted (${why}); run the command again to resume`, { file: dest });
  }
  const size = (await stat(part)).size;
  if (meta?.total != null && size !== meta.total) {
    throw new FoleyError(`download has ${size} bytes but the server announced ${meta.total}`, { file: dest });
  }
  await rename(part, dest);
  await rm(metaFile, { force: true });
  return { bytes: size, resumedFrom };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
