// Opening a Google Drive download. Drive answers a large file's address with a confirm page, not the
// file; the file comes from submitting that page's form (with a fresh uuid every time), so the
// address that finally serves the bytes changes between runs. This walks redirects and confirm pages
// (google-drive-page.ts reads them) with the caller's Range/If-Range headers on every hop, keeps the
// cookies Drive sets, and returns the response that carries the file; error pages become errors that
// say what Drive refused and why. The resumable download itself stays in download.ts.
import { FoleyError } from '../../base/errors.ts';
import type { ErrorCode } from '../../base/errors.ts';
import type { Opener, OpenInit } from './download.ts';
import { readDrivePage } from './google-drive-page.ts';
import type { CookieValue, DriveProblem } from './google-drive-page.ts';

const DRIVE_HOSTS = new Set(['drive.google.com', 'docs.google.com', 'drive.usercontent.google.com']);

/** Redirects plus pages before giving up: Drive needs about four (redirect, page, form, redirect). */
const MAX_HOPS = 8;
/** A confirm or error page is a few KiB; anything this large is not one. */
const MAX_PAGE_BYTES = 2 * 2 ** 20;

/** The Drive file id of a Drive address (uc?id=, download?id=, /file/d/ID/…), else undefined. */
export function driveFileId(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!DRIVE_HOSTS.has(u.hostname)) return undefined;
  return u.searchParams.get('id') ?? /\/file\/(?:u\/\d+\/)?d\/([^/]+)/.exec(u.pathname)?.[1] ?? undefined;
}

export function isDriveUrl(url: string): boolean {
  return driveFileId(url) !== undefined;
}

interface Cookie extends CookieValue {
  readonly domain: string;
  readonly hostOnly: boolean;
}

/** Just enough of a cookie jar for Drive's tokens: name=value, scoped to the host or Domain that set it. */
class CookieJar {
  private cookies: Cookie[] = [];

  store(url: URL, setCookies: readonly string[]): void {
    const host = url.hostname.toLowerCase();
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const domainAttr = attrs.map((a) => /^\s*domain\s*=\s*\.?(.+?)\s*$/i.exec(a)?.[1]).find((d) => d !== undefined)?.toLowerCase();
      // A Domain the setting host does not belong to is refused, as a browser refuses it.
      if (domainAttr !== undefined && !domainMatches(host, domainAttr)) continue;
      const cookie: Cookie = { name, value, domain: domainAttr ?? host, hostOnly: domainAttr === undefined };
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.domain === cookie.domain));
      if (!attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a))) this.cookies.push(cookie);
    }
  }

  for(url: URL): Cookie[] {
    const host = url.hostname.toLowerCase();
    return this.cookies.filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)));
  }
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function isHtml(res: Response): boolean {
  return /^\s*(text\/html|application\/xhtml\+xml)/i.test(res.headers.get('content-type') ?? '');
}

async function readPage(res: Response): Promise<string | null> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Uint8Array;
    size += buf.byteLength;
    if (size > MAX_PAGE_BYTES) {
      await res.body.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const PROBLEM_TEXT: Readonly<Record<DriveProblem, { say: string; code: ErrorCode }>> = {
  quota: { say: 'its download quota is used up ("too many users have viewed or downloaded this file recently"); try again later (Drive says this can take up to 24 hours), or download it in a browser and import the file with "foley model import FILE"', code: 'failed' },
  'not-found': { say: 'there is no such file (deleted, or a wrong address)', code: 'not_found' },
  access: { say: 'the file is not shared publicly (Drive asks to sign in or to request access)', code: 'forbidden' },
  blocked: { say: 'Drive blocks downloading this file', code: 'forbidden' },
  other: { say: 'Drive refused the download', code: 'failed' },
};

function refusal(origin: string, problem: DriveProblem, detail: string | null, name: string | undefined): FoleyError {
  const { say, code } = PROBLEM_TEXT[problem];
  const quoted = detail !== null && problem === 'other' ? `: "${detail}"` : '';
  const text = name !== undefined ? say.replace('FILE"', `FILE --name ${name}"`) : say;
  return new FoleyError(`Google Drive will not serve ${origin}: ${text}${quoted}`, { code });
}

export interface DriveOpenOptions {
  /** For tests: how one request is made (default: the global fetch). */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** The model name the file is for, so advice to import it by hand names it. */
  readonly name?: string;
}

/** An {@link Opener} for download.ts that gets through Drive's redirects, confirm pages and cookies. */
export function driveOpener(options: DriveOpenOptions = {}): Opener {
  const fetchOne = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  return async (origin: string, init: OpenInit): Promise<Response> => {
    const jar = new CookieJar();
    let url = new URL(origin);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const cookies = jar.for(url);
      const headers: Record<string, string> = { ...init.headers };
      if (cookies.length > 0) headers.Cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const res = await fetchOne(url.href, { headers, redirect: 'manual', ...(init.signal ? { signal: init.signal } : {}) });
      jar.store(url, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.body?.cancel();
        url = new URL(location, url);
        // Drive sends people it will not serve to Google's sign-in page.
        if (url.hostname === 'accounts.google.com') throw refusal(origin, 'access', null, options.name);
        continue;
      }
      // 416 means a complete .part asked for more; download.ts knows what to make of it.
      if (!isHtml(res) || res.status === 416) return res;
      const html = await readPage(res);
      if (html === null) throw new FoleyError(`Google Drive answered ${origin} with a web page too large to be a confirm page, not the file`, { code: 'failed' });
      const page = readDrivePage(html, url.href, jar.for(url));
      if (page.kind === 'error') throw refusal(origin, page.problem, page.detail, options.name);
      if (page.kind === 'unknown') {
        const what = page.title !== null && page.title !== '' ? `a page titled "${page.title}"` : 'a web page';
        throw new FoleyError(`Google Drive answered ${origin} with ${what} (HTTP ${res.status}) that Foley does not recognise, not the file`, { code: 'failed' });
      }
      url = new URL(page.url);
    }
    throw new FoleyError(`Google Drive kept answering ${origin} with redirects and confirm pages (${MAX_HOPS} of them) instead of the file`, { code: 'failed' });
  };
}
