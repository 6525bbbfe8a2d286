// A local stand-in for Google Drive's download flow, on 127.0.0.1, shaped after what Drive sends:
// /uc redirects to /download, which answers a large file with the "can't scan this file for viruses"
// page whose form carries a fresh uuid each time; only that form, submitted, gets the bytes (with
// Range, If-Range and an ETag). Older flows (a confirm link, a download_warning cookie) and the error
// pages (quota used up, no such file, sign-in) are modes.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DRIVE_FILE_ID = '1KBCvDcEJ5l7WtRXVQZC6TJNUpY4L6UZo';
const LINK_TOKEN = 'AbCd';
const COOKIE_TOKEN = 'xY_9';
const COOKIE_NAME = `download_warning_13058876669334088843_${DRIVE_FILE_ID}`;

export type DriveMode = 'form' | 'link' | 'cookie' | 'quota' | 'missing' | 'signin';

export interface DriveRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly cookie: string | undefined;
}

export interface FakeDrive {
  /** The stable address, as the catalog holds it (drive.google.com/uc?export=download&id=…). */
  readonly url: string;
  mode: DriveMode;
  body: Buffer;
  etag: string;
  /** Cut the connection after this many body bytes on the next `times` file responses. */
  dropAfter: { bytes: number; times: number } | null;
  readonly requests: DriveRequest[];
  /** Every uuid a confirm page handed out, in order. */
  readonly uuids: string[];
  /** The file responses: their status and Range header. */
  readonly served: Array<{ status: number; range: string | undefined }>;
  close(): Promise<void>;
}

const confirmPage = (origin: string, uuid: string): string =>
  `<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title><meta http-equiv="content-type" content="text/html; charset=utf-8"/>` +
  `<style nonce="x">.goog-inline-block{position:relative;display:inline-block}</style></head><body><div class="uc-main"><div id="uc-text">` +
  `<p class="uc-warning-caption">Google Drive can't scan this file for viruses.</p><p class="uc-warning-subcaption"><span class="uc-name-size">` +
  `<a href="/open?id=${DRIVE_FILE_ID}">cav_mae_sync.pth</a> (729M)</span> is too large for Google to scan for viruses. Would you still like to download this file?</p>` +
  `<form id="download-form" action="${origin}/download" method="get"><input type="submit" id="uc-download-link" class="goog-inline-block jfk-button jfk-button-action" value="Download anyway"/>` +
  `<input type="hidden" name="id" value="${DRIVE_FILE_ID}"><input type="hidden" name="export" value="download"><input type="hidden" name="confirm" value="t">` +
  `<input type="hidden" name="uuid" value="${uuid}"><input type="hidden" name="at" value="APvzH3r:${Date.now()}"></form></div></div></body></html>`;

const linkPage = (): string =>
  `<html><head><title>Google Drive - Virus scan warning</title></head><body><div id="uc-text"><p class="uc-warning-caption">Google Drive can't scan this file for viruses.</p>` +
  `<a id="uc-download-link" class="goog-inline-block jfk-button" href="/uc?export=download&amp;confirm=${LINK_TOKEN}&amp;id=${DRIVE_FILE_ID}">Download anyway</a></div></body></html>`;

const QUOTA_PAGE =
  `<html><head><title>Google Drive - Quota exceeded</title></head><body><div class="uc-main"><div id="uc-text"><p class="uc-error-caption">Sorry, you can't view or download this file at this time.</p>` +
  `<p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently. Please try accessing the file again later. If the file you are trying to access is particularly large or is shared with many people, it may take up to 24 hours to be able to view or download the file. If you still can't access a file after 24 hours, contact your domain administrator.</p></div></div></body></html>`;

const MISSING_PAGE =
  `<!DOCTYPE html><html lang="en"><head><title>Google Drive - Page Not Found</title></head><body><div id="af-error-container"><p><b>404.</b> <ins>That's an error.</ins></p>` +
  `<p>Sorry, the file you have requested does not exist.</p><p>Make sure that you have the correct URL and the file exists.</p></div></body></html>`;

function html(res: ServerResponse, status: number, page: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...headers }).end(page);
}

function serveFile(state: FakeDrive, req: IncomingMessage, res: ServerResponse): void {
  const { body } = state;
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  // If-Range: a range only when the validator still names this version of the file.
  const useRange = range !== undefined && (ifRange === undefined || ifRange === state.etag);
  const start = useRange ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Disposition': 'attachment; filename="cav_mae_sync.pth"', ETag: state.etag, 'Accept-Ranges': 'bytes' };
  state.served.push({ status: useRange ? 206 : 200, range });
  if (useRange) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Content-Length': body.length - start });
  else res.writeHead(200, { ...headers, 'Content-Length': body.length });
  const drop = state.dropAfter;
  if (drop !== null && drop.times > 0) {
    drop.times--;
    res.write(body.subarray(start, start + drop.bytes));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  res.end(body.subarray(start));
}

function handle(state: FakeDrive, origin: string, req: IncomingMessage, res: ServerResponse): void {
  const u = new URL(req.url ?? '/', origin);
  const cookie = req.headers.cookie;
  const ifRange = req.headers['if-range'];
  state.requests.push({ path: u.pathname, query: u.searchParams, range: req.headers.range, ifRange: typeof ifRange === 'string' ? ifRange : undefined, cookie });
  const q = u.searchParams;
  if (q.get('id') !== DRIVE_FILE_ID || q.get('export') !== 'download') return html(res, 404, MISSING_PAGE);
  if (u.pathname === '/uc') {
    if (state.mode === 'missing') return html(res, 404, MISSING_PAGE);
    if (state.mode === 'signin') {
      res.writeHead(302, { Location: `https://accounts.google.com/ServiceLogin?continue=${encodeURIComponent(u.href)}` }).end();
      return;
    }
    if (state.mode === 'link') return q.get('confirm') === LINK_TOKEN ? serveFile(state, req, res) : html(res, 200, linkPage());
    if (state.mode === 'cookie') {
      if (q.get('confirm') === COOKIE_TOKEN && cookie?.includes(`${COOKIE_NAME}=${COOKIE_TOKEN}`)) return serveFile(state, req, res);
      return html(res, 200, '<html><head><title>Google Drive - Virus scan warning</title></head><body>Download anyway?</body></html>', {
        'Set-Cookie': [`${COOKIE_NAME}=${COOKIE_TOKEN}; Domain=127.0.0.1; Path=/uc; HttpOnly`, 'NID=511=abc; Path=/; HttpOnly'],
      });
    }
    res.writeHead(303, { Location: `${origin}/download?id=${DRIVE_FILE_ID}&export=download` }).end();
    return;
  }
  if (u.pathname === '/download') {
    if (state.mode === 'quota') return html(res, 200, QUOTA_PAGE);
    const uuid = q.get('uuid');
    if (q.get('confirm') === 't' && uuid !== null && state.uuids.includes(uuid)) return serveFile(state, req, res);
    const fresh = randomUUID();
    state.uuids.push(fresh);
    return html(res, 200, confirmPage(origin, fresh));
  }
  html(res, 404, MISSING_PAGE);
}

export async function fakeDrive(body: Buffer, mode: DriveMode = 'form'): Promise<FakeDrive> {
  let origin = '';
  const state: FakeDrive = { url: '', mode, body, etag: '"v1"', dropAfter: null, requests: [], uuids: [], served: [], close: async () => undefined };
  const server = createServer((req, res) => handle(state, origin, req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/uc?export=download&id=${DRIVE_FILE_ID}`;
  const close = (): Promise<void> =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return Object.assign(state, { url, close });
}
