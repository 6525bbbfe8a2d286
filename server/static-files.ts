// The renderer's built files, for both front doors that serve them (`foley serve` over HTTP, the
// Electron `foley-app:` protocol). Listed once at start-up: only these exact paths are ever served,
// so a request path is looked up, never joined onto a folder (nothing to traverse).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function listStaticFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${prefix}${e.name}/`);
      else if (e.isFile()) out.set(`/${prefix}${e.name}`, path.join(d, e.name));
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function staticContentType(file: string): string {
  return STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream';
}
