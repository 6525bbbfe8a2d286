// `foley serve`: the renderer and the core API over HTTP on loopback, progress as server-sent events.
//
// Security: every request needs the token (Authorization: Bearer, or the HttpOnly SameSite=Strict
// cookie that opening the printed URL with ?token= sets, so <video>/<img>/EventSource work without
// the page ever seeing the token); the Host header must name this server (DNS rebinding); requests
// with a foreign Origin are refused (CSRF); bodies are size-limited; media goes through the same
// confinement as Electron's protocol; HTML carries a strict Content-Security-Policy.
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_JSON_BYTES, MAX_TOP, MAX_UPLOAD_BYTES, parseMediaRef } from '../core/api/contract.ts';
import type { ApiEvent } from '../core/api/contract.ts';
import { ApiError, HTTP_STATUS, toApiError } from '../core/api/errors.ts';
import type { FoleyApi } from '../core/api/handlers.ts';
import { planRange } from '../core/api/media.ts';
import { listStaticFiles, staticContentType } from './static-files.ts';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COOKIE = 'foley_token';

export interface ServeOptions {
  readonly api: FoleyApi;
  readonly token: string;
  readonly host?: string;
  readonly port?: number;
  /** The built renderer (renderer/dist). */
  readonly rendererDir: string;
  readonly maxJsonBytes?: number;
  readonly maxUploadBytes?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h !== undefined && h.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = toApiError(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, HTTP_STATUS[err.code], { error: { code: err.code, message: err.message } });
}

/** A whole number from a URL parameter, in range, or a 400 that says which and what is allowed. */
function wholeNumber(name: string, raw: string, min: number, max: number): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new ApiError('bad_request', `${name} must be a whole number from ${min} to ${max} (got "${raw.slice(0, 40)}")`);
  return n;
}

/** 67108864 → "64 MiB", 1536 → "1.5 KiB": sizes as people read them. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toFixed(1))} ${units[u]}`;
}

/** The whole body, refusing (413) more than `limit` bytes, by Content-Length or as it arrives. */
function readBody(req: IncomingMessage, limit: number, what: 'query file' | 'request'): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    // Just over the limit reads the same rounded; then the exact counts say it.
    const [size, max] = formatBytes(declared) === formatBytes(limit) ? [`${declared} bytes`, `${limit} bytes`] : [formatBytes(declared), formatBytes(limit)];
    return Promise.reject(new ApiError('too_large', `the ${what} is ${size}, over the limit of ${max}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new ApiError('too_large', `the ${what} is over the limit of ${formatBytes(limit)}`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return {};
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    throw new ApiError('bad_request', 'the body is not valid JSON');
  }
}

function mimeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** What the request handlers of one running server share. */
interface ServerContext {
  readonly api: FoleyApi;
  readonly token: string;
  readonly host: string;
  readonly maxJson: number;
  readonly maxUpload: number;
  /** The renderer's files, by URL path. */
  readonly files: Map<string, string>;
  /** Open event streams. */
  readonly sse: Set<ServerResponse>;
  /** The port bound (known once listening). */
  port: number;
}

/** The Host values this server answers to (the bound name and the loopback names, with its port). */
function allowedHosts(ctx: ServerContext): Set<string> {
  const names = new Set([ctx.host, '127.0.0.1', 'localhost', '[::1]']);
  return new Set([...names].map((h) => `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${ctx.port}`.toLowerCase()));
}

/** Refuses DNS-rebinding (Host) and cross-site (Origin) requests. */
function checkHostAndOrigin(ctx: ServerContext, req: IncomingMessage): void {
  // Host check first: a page on another site that resolves its name to 127.0.0.1 sends its own Host.
  // (Bound to a LAN address on purpose, clients use whatever name reaches it; the token still guards it.)
  if (isLoopback(ctx.host) && !allowedHosts(ctx).has((req.headers.host ?? '').toLowerCase())) throw new ApiError('forbidden', 'unexpected Host header');
  const originHost = req.headers.origin?.replace(/^https?:\/\//, '').toLowerCase();
  if (originHost !== undefined && originHost !== (req.headers.host ?? '').toLowerCase() && !allowedHosts(ctx).has(originHost)) {
    throw new ApiError('forbidden', 'cross-origin requests are not allowed');
  }
}

/** The printed URL carries ?token=: trade it for the cookie and drop it from the address bar. True when answered. */
function tradeQueryToken(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const queryToken = url.searchParams.get('token');
  if ((req.method ?? 'GET') !== 'GET' || queryToken === null || url.pathname.startsWith('/api/')) return false;
  if (!tokenMatches(queryToken, ctx.token)) throw new ApiError('forbidden', 'wrong token');
  url.searchParams.delete('token');
  res.writeHead(303, {
    ...SECURITY_HEADERS,
    'Set-Cookie': `${COOKIE}=${encodeURIComponent(ctx.token)}; HttpOnly; SameSite=Strict; Path=/`,
    Location: `${url.pathname}${url.search}`,
    'Cache-Control': 'no-store',
  });
  res.end();
  return true;
}

async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  checkHostAndOrigin(ctx, req);
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${ctx.port}`);
  const method = req.method ?? 'GET';
  if (tradeQueryToken(ctx, req, res, url)) return;
  if (!tokenMatches(bearer(req) ?? cookieToken(req), ctx.token)) {
    throw new ApiError('forbidden', 'a token is required: open the URL "foley serve" printed, or send Authorization: Bearer TOKEN');
  }
  const { api } = ctx;
  const p = url.pathname;
  if (p === '/api/status' && method === 'GET') return sendJson(res, 200, await api.call('status', {}));
  if (p === '/api/search' && method === 'POST') return sendJson(res, 200, await searchRoute(ctx, req, url));
  if (p === '/api/localize' && method === 'POST') return sendJson(res, 200, await localizeRoute(ctx, req, url));
  if (p.startsWith('/api/call/') && method === 'POST') {
    const body = parseJson(await readBody(req, ctx.maxJson, 'request'));
    return sendJson(res, 200, await api.call(decodeURIComponent(p.slice('/api/call/'.length)), body));
  }
  if (p === '/api/events' && method === 'GET') {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    ctx.sse.add(res);
    req.on('close', () => ctx.sse.delete(res));
    return;
  }
  if (p.startsWith('/api/media/') && (method === 'GET' || method === 'HEAD')) {
    const ref = parseMediaRef(p.slice('/api/media/'.length));
    if (ref === undefined) throw new ApiError('not_found', 'no such media');
    const media = await api.resolveMedia(ref);
    return sendFile(req, res, media.path, media.contentType);
  }
  if (p.startsWith('/api/')) throw new ApiError('not_found', `no route ${method} ${p.slice(0, 100)}`);
  if (method !== 'GET' && method !== 'HEAD') throw new ApiError('bad_request', 'only GET is served here');
  sendStatic(ctx, res, p, method);
}

/** One of the renderer's files (listed at start-up: a path is looked up, never joined). */
function sendStatic(ctx: ServerContext, res: ServerResponse, p: string, method: string): void {
  const file = ctx.files.get(p === '/' ? '/index.html' : p);
  if (file === undefined) throw new ApiError('not_found', 'not found');
  const type = staticContentType(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' } : { 'Cache-Control': 'no-cache' }),
  });
  if (method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}

/** POST /api/search: the query file as the body (its Content-Type says which kind), or a JSON search request. */
async function searchRoute(ctx: ServerContext, req: IncomingMessage, url: URL): Promise<unknown> {
  const mime = mimeOf(req);
  const into = url.searchParams.get('in');
  const top = url.searchParams.get('top');
  const extra: Record<string, unknown> = {};
  if (into !== null) extra.in = into;
  if (top !== null) extra.top = wholeNumber('top', top, 1, MAX_TOP);
  const refine = url.searchParams.get('refine');
  if (refine !== null) {
    if (refine !== 'true' && refine !== 'false') throw new ApiError('bad_request', 'refine must be true or false');
    extra.refine = refine === 'true';
  }
  if (mime === 'application/json') {
    const body = parseJson(await readBody(req, ctx.maxJson, 'request'));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('bad_request', 'search: expected an object');
    return ctx.api.call('search', { ...extra, ...body });
  }
  const media = queryMediaOf(mime);
  const bytes = await readBody(req, ctx.maxUpload, 'query file');
  return ctx.api.call('search', { ...extra, query: { kind: 'upload', media, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) } });
}

/**
 * POST /api/localize: like /api/search, the query file may be the body (its Content-Type says which
 * kind), with the rest of the request as JSON in `?request=` ({targets, model}); or a JSON request.
 */
async function localizeRoute(ctx: ServerContext, req: IncomingMessage, url: URL): Promise<unknown> {
  const mime = mimeOf(req);
  if (mime === 'application/json') return ctx.api.call('localize', parseJson(await readBody(req, ctx.maxJson, 'request')));
  const rest = parseJson(Buffer.from(url.searchParams.get('request') ?? '', 'utf8'));
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) throw new ApiError('bad_request', 'localize: ?request= must be a JSON object');
  const media = queryMediaOf(mime);
  const bytes = await readBody(req, ctx.maxUpload, 'query file');
  return ctx.api.call('localize', { ...rest, query: { kind: 'upload', media, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) } });
}

function queryMediaOf(mime: string): 'audio' | 'image' {
  const media = mime.startsWith('image/') ? 'image' : mime.startsWith('audio/') || mime.startsWith('video/') ? 'audio' : undefined;
  if (media === undefined) throw new ApiError('unsupported', `send the query file as audio/*, video/* or image/* (got "${mime.slice(0, 60)}")`);
  return media;
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, contentType: string): void {
  const size = statSync(file).size;
  const plan = planRange(size, req.headers.range, contentType);
  res.writeHead(plan.status, { ...SECURITY_HEADERS, ...plan.headers });
  if (plan.status === 416 || req.method === 'HEAD' || size === 0) return void res.end();
  const stream = createReadStream(file, { start: plan.start!, end: plan.end! });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

export function startServer(options: ServeOptions): Promise<RunningServer> {
  const { api, token } = options;
  const host = options.host ?? '127.0.0.1';
  if (token.length < 16) throw new ApiError('bad_request', 'the token must be at least 16 characters');
  const ctx: ServerContext = {
    api,
    token,
    host,
    maxJson: options.maxJsonBytes ?? MAX_JSON_BYTES,
    maxUpload: options.maxUploadBytes ?? MAX_UPLOAD_BYTES,
    files: listStaticFiles(options.rendererDir),
    sse: new Set<ServerResponse>(),
    port: 0,
  };
  const { sse } = ctx;

  const unsubscribe = api.subscribe((event: ApiEvent) => {
    const data = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of sse) res.write(data);
  });
  const heartbeat = setInterval(() => {
    for (const res of sse) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  const server = http.createServer((req, res) => {
    route(ctx, req, res).catch((e: unknown) => sendError(res, e));
  });
  server.requestTimeout = 10 * 60_000;
  server.headersTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      ctx.port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${ctx.port}/`,
        port: ctx.port,
        close: () =>
          new Promise<void>((done) => {
            unsubscribe();
            clearInterval(heartbeat);
            for (const r of sse) r.end();
            sse.clear();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
