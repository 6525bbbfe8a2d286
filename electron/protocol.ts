// Electron's custom protocols as plain fetch-style handlers (Request → Response, the shape
// protocol.handle takes), testable under Node: `foley-media://media/…` serves library media through the
// same confinement as `foley serve` (no file:// anywhere), `foley-app://app/…` serves the built
// renderer with its Content-Security-Policy.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parseMediaRef } from '../core/api/contract.ts';
import type { MediaRef } from '../core/api/contract.ts';
import { HTTP_STATUS, toApiError } from '../core/api/errors.ts';
import type { ResolvedMedia } from '../core/api/handlers.ts';
import { planRange } from '../core/api/media.ts';
import { listStaticFiles, staticContentType } from '../server/static-files.ts';

export const MEDIA_SCHEME = 'foley-media';
export const APP_SCHEME = 'foley-app';

/** The renderer's CSP inside Electron: the server's, plus the media scheme. */
export const ELECTRON_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  `media-src 'self' blob: ${MEDIA_SCHEME}:`,
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function errorResponse(e: unknown): Response {
  const err = toApiError(e);
  return new Response(JSON.stringify({ error: { code: err.code, message: err.message } }), {
    status: HTTP_STATUS[err.code],
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' },
  });
}

function fileResponse(file: string, contentType: string, range: string | null, method: string): Response {
  const size = statSync(file).size;
  const plan = planRange(size, range, contentType);
  if (plan.status === 416 || method === 'HEAD' || size === 0) return new Response(null, { status: plan.status, headers: plan.headers });
  const stream = createReadStream(file, { start: plan.start!, end: plan.end! });
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status: plan.status, headers: plan.headers });
}

export function createMediaProtocolHandler(resolve: (ref: MediaRef) => Promise<ResolvedMedia>): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      const url = new URL(request.url);
      if (url.protocol !== `${MEDIA_SCHEME}:` || url.host !== 'media') return new Response(null, { status: 404 });
      if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
      const ref = parseMediaRef(url.pathname.replace(/^\//, ''));
      if (ref === undefined) return new Response(null, { status: 404 });
      const media = await resolve(ref);
      return fileResponse(media.path, media.contentType, request.headers.get('range'), request.method);
    } catch (e) {
      return errorResponse(e);
    }
  };
}


/** Serves only the files present in `dir` when created (exact paths: nothing to traverse). */
export function createAppProtocolHandler(dir: string): (request: Request) => Promise<Response> {
  const files = listStaticFiles(dir);
  return async (request) => {
    const url = new URL(request.url);
    const file = url.protocol === `${APP_SCHEME}:` && url.host === 'app' ? files.get(url.pathname === '/' ? '/index.html' : url.pathname) : undefined;
    if (file === undefined) return new Response('not found', { status: 404 });
    const type = staticContentType(file);
    const headers: Record<string, string> = { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' };
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = ELECTRON_CSP;
    return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, { status: 200, headers });
  };
}
