// What a Google Drive download answered with instead of the file: a confirm page ("can't scan this
// file for viruses … Download anyway") to follow, or an error page (quota used up, no such file, no
// access) to explain. Pure over the page's text, so every variant is testable without Google. Drive
// has shipped several confirm pages over the years; each is tried in turn, newest first:
//   1. <form id="download-form" action="…/download" method="get"> with hidden inputs (id, export,
//      confirm, uuid, sometimes at): the file is that form, submitted.
//   2. an <a href="/uc?export=download&confirm=XXXX&id=…"> link ("uc-download-link").
//   3. a "downloadUrl":"…" value in the page's script (file view pages).
//   4. no link at all, but a download_warning_* cookie whose value is the confirm token.
// HTML is read with a small attribute reader, not a DOM: the pages are small, static and script-free
// where it matters, and a dependency for four patterns would be more to trust than these lines.

export type DriveProblem = 'quota' | 'not-found' | 'access' | 'blocked' | 'other';

export type DrivePage =
  | { readonly kind: 'next'; readonly url: string; readonly via: 'form' | 'link' | 'script' | 'cookie' }
  | { readonly kind: 'error'; readonly problem: DriveProblem; readonly detail: string }
  | { readonly kind: 'unknown'; readonly title: string | null };

export interface CookieValue {
  readonly name: string;
  readonly value: string;
}

interface Tag {
  readonly attrs: ReadonlyMap<string, string>;
  /** Index just past the tag's closing '>'. */
  readonly end: number;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Every `<name …>` tag from `from` on, its attributes decoded; a quoted '>' does not end a tag. */
function* tags(html: string, name: string, from = 0, to = html.length): Generator<Tag> {
  const open = new RegExp(`<${name}(?=[\\s/>])`, 'gi');
  open.lastIndex = from;
  for (let m = open.exec(html); m !== null && m.index < to; m = open.exec(html)) {
    let i = m.index + m[0].length;
    let quote: string | null = null;
    for (; i < html.length; i++) {
      const c = html[i]!;
      if (quote !== null) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    yield { attrs: attributes(html.slice(m.index + m[0].length, i)), end: i + 1 };
    open.lastIndex = i + 1;
  }
}

function attributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const key = m[1]!.toLowerCase();
    // The first occurrence wins, as in a browser.
    if (!out.has(key)) out.set(key, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

/** Visible text of an HTML fragment, whitespace collapsed. */
function text(fragment: string): string {
  return decodeEntities(fragment.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function title(html: string): string | null {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? text(m[1]!) : null;
}

/** The download form, submitted as a browser would: a GET replaces the action's query with the fields. */
function fromForm(html: string, pageUrl: string): string | undefined {
  for (const form of tags(html, 'form')) {
    if (form.attrs.get('id') !== 'download-form') continue;
    const close = html.toLowerCase().indexOf('</form', form.end);
    const next = new URL(form.attrs.get('action') ?? pageUrl, pageUrl);
    const fields = new URLSearchParams();
    for (const input of tags(html, 'input', form.end, close === -1 ? html.length : close)) {
      const name = input.attrs.get('name');
      const type = (input.attrs.get('type') ?? 'text').toLowerCase();
      // The "Download anyway" button is a nameless submit input; only named data fields travel.
      if (name === undefined || name === '' || type === 'submit' || type === 'button') continue;
      fields.append(name, input.attrs.get('value') ?? '');
    }
    if (!fields.has('id')) continue; // Not the file's form after all.
    next.search = fields.toString();
    return next.href;
  }
  return undefined;
}

function fromLink(html: string, pageUrl: string): string | undefined {
  for (const a of tags(html, 'a')) {
    const href = a.attrs.get('href');
    if (href === undefined) continue;
    const url = new URL(href, pageUrl);
    if (url.searchParams.get('export') === 'download' && url.searchParams.has('confirm') && url.searchParams.has('id')) return url.href;
  }
  return undefined;
}

function fromScript(html: string): string | undefined {
  const m = /"downloadUrl":"([^"]+)"/.exec(html);
  if (!m) return undefined;
  const url = m[1]!.replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/\\\//g, '/');
  return /^https?:\/\//.test(url) ? url : undefined;
}

function fromCookie(pageUrl: string, cookies: readonly CookieValue[]): string | undefined {
  const warning = cookies.find((c) => c.name.startsWith('download_warning'));
  if (warning === undefined) return undefined;
  const url = new URL(pageUrl);
  // Asked already with this token and got the page again: following it once more would loop.
  if (url.searchParams.get('confirm') === warning.value) return undefined;
  url.searchParams.set('confirm', warning.value);
  return url.href;
}

const PROBLEMS: ReadonlyArray<readonly [DriveProblem, RegExp]> = [
  ['quota', /too many users have viewed or downloaded|quota (?:exceeded|for this file)|downloadQuotaExceeded/i],
  ['not-found', /file you have requested does not exist|\bnot ?found\b|\b404\b/i],
  ['access', /you need (?:access|permission)|request access|don't have (?:access|permission)|sign in to continue/i],
  ['blocked', /identified as (?:malware|spam)|cannotDownloadAbusiveFile|violat\w* (?:google|our|the terms)/i],
];

/** An error page's problem, or undefined when the page is not one Drive uses for errors. */
function problemOf(html: string): { problem: DriveProblem; detail: string } | undefined {
  const sub = /<p[^>]*class=["'][^"']*uc-error-subcaption[^"']*["'][^>]*>([\s\S]*?)<\/p>/i.exec(html);
  const detail = sub ? text(sub[1]!) : null;
  // The confirm page mentions viruses too, so only whole phrases and the error captions count.
  const haystack = `${title(html) ?? ''}\n${detail ?? ''}\n${text(html.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' '))}`;
  for (const [problem, re] of PROBLEMS) {
    const m = re.exec(haystack);
    if (m) return { problem, detail: detail ?? m[0] };
  }
  return detail !== null ? { problem: 'other', detail } : undefined;
}

/**
 * Reads a page Drive sent instead of the file. `cookies` are those the page's address would carry
 * back (the oldest confirm flow hides its token in one).
 */
export function readDrivePage(html: string, pageUrl: string, cookies: readonly CookieValue[] = []): DrivePage {
  const form = fromForm(html, pageUrl);
  if (form !== undefined) return { kind: 'next', url: form, via: 'form' };
  const link = fromLink(html, pageUrl);
  if (link !== undefined) return { kind: 'next', url: link, via: 'link' };
  const problem = problemOf(html);
  if (problem !== undefined) return { kind: 'error', ...problem };
  const script = fromScript(html);
  if (script !== undefined) return { kind: 'next', url: script, via: 'script' };
  const cookie = fromCookie(pageUrl, cookies);
  if (cookie !== undefined) return { kind: 'next', url: cookie, via: 'cookie' };
  return { kind: 'unknown', title: title(html) };
}
