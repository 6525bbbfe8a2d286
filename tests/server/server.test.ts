// `foley serve`'s HTTP layer over the real API (a fresh library, no model needed): the token (header,
// cookie, ?token= exchange), Host and Origin checks, body limits, wrong types, media confinement and
// ranges, the CSP on HTML, server-sent events; and the CLI's refusal to expose a library without a token.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApi } from '../../core/api/handlers.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import { CSP, startServer } from '../../server/server.ts';
import type { RunningServer } from '../../server/server.ts';

const TOKEN = 'test-token-0123456789abcdef';
const REPO = path.join(import.meta.dirname, '..', '..');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** Raw HTTP (fetch cannot set Host). */
function request(port: number, p: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) as Reply extends { json(): infer J } ? J : never });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('foley serve HTTP', () => {
  let base: string;
  let root: string;
  let api: FoleyApi;
  let server: RunningServer;
  let port: number;
  const auth = { Authorization: `Bearer ${TOKEN}` };

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-server-'));
    root = path.join(base, 'videos');
    mkdirSync(root);
    writeFileSync(path.join(root, 'clip.mp4'), Buffer.alloc(5000, 7));
    writeFileSync(path.join(base, 'secret.txt'), 'secret');
    symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'escape.mp4'));
    const dist = path.join(base, 'dist');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Foley</title>');
    api = createApi({ dataDir: path.join(base, 'data') });
    await api.invoke('library.addRoot', { path: root });
    server = await startServer({ api, token: TOKEN, rendererDir: dist, maxJsonBytes: 1024, maxUploadBytes: 4096 });
    port = server.port;
  });

  after(async () => {
    await server?.close();
    await api?.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('binds to loopback and requires the token on every route', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const p of ['/', '/index.html', '/api/status', '/api/events', `/api/media/file/${encodeURIComponent(path.join(root, 'clip.mp4'))}`]) {
      const r = await request(port, p);
      assert.equal(r.status, 403, p);
      assert.equal(r.json().error?.code, 'forbidden');
    }
    assert.equal((await request(port, '/api/status', { headers: { Authorization: 'Bearer wrong-token-0123456789abc' } })).status, 403);
    assert.equal((await request(port, '/api/status', { headers: { Authorization: `Basic ${TOKEN}` } })).status, 403);
    assert.equal((await request(port, '/api/status?token=' + TOKEN)).status, 403, 'the query token is only traded on page loads');
    const ok = await request(port, '/api/status', { headers: auth });
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.json().library as { roots: unknown }).roots, [{ path: root, online: true, files: 0 }]);
  });

  test('?token= on a page load sets an HttpOnly SameSite=Strict cookie and redirects without it', async () => {
    const r = await request(port, `/?token=${TOKEN}`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    const cookie = r.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /^foley_token=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const page = await request(port, '/', { headers: { Cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-security-policy'], CSP);
    assert.doesNotMatch(CSP, /unsafe-(inline|eval)/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal((await request(port, '/?token=nope-nope-nope-nope-nope')).status, 403);
  });

  test('DNS rebinding and cross-origin requests are refused', async () => {
    assert.equal((await request(port, '/api/status', { headers: { ...auth, Host: `evil.example:${port}` } })).status, 403);
    assert.equal((await request(port, '/api/status', { headers: { ...auth, Host: `localhost:${port}` } })).status, 200);
    const cross = await request(port, '/api/call/status', { method: 'POST', headers: { ...auth, Origin: 'https://evil.example', 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(cross.status, 403);
    assert.equal((await request(port, '/api/call/status', { method: 'POST', headers: { ...auth, Origin: 'null', 'Content-Type': 'application/json' }, body: '{}' })).status, 403);
    assert.equal((await request(port, '/api/call/status', { method: 'POST', headers: { ...auth, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json' }, body: '{}' })).status, 200);
  });

  test('bodies: size limits, JSON, wrong types, unknown methods', async () => {
    const json = { ...auth, 'Content-Type': 'application/json' };
    const big = await request(port, '/api/call/library.addRoot', { method: 'POST', headers: json, body: JSON.stringify({ path: `/${'a'.repeat(2000)}` }) });
    assert.equal(big.status, 413);
    const upload = await request(port, '/api/search?in=visual', { method: 'POST', headers: { ...auth, 'Content-Type': 'audio/wav' }, body: Buffer.alloc(5000) });
    assert.equal(upload.status, 413);
    assert.equal(upload.json().error?.code, 'too_large');
    assert.equal((await request(port, '/api/search', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: 'hi' })).status, 415);
    assert.equal((await request(port, '/api/search?top=abc', { method: 'POST', headers: { ...auth, 'Content-Type': 'audio/wav' }, body: 'x' })).status, 400);
    assert.match((await request(port, '/api/search?in=sideways', { method: 'POST', headers: { ...auth, 'Content-Type': 'audio/wav' }, body: 'x' })).json().error?.message ?? '', /in: must be one of audio, visual, both/);
    assert.equal((await request(port, '/api/call/status', { method: 'POST', headers: json, body: '{nope' })).status, 400);
    assert.equal((await request(port, '/api/call/status', { method: 'POST', headers: json, body: '[]' })).status, 400);
    assert.equal((await request(port, '/api/call/library.addRoot', { method: 'POST', headers: json, body: '{"path": 42}' })).json().error?.message, 'library.addRoot.path: expected a string, got number');
    assert.equal((await request(port, '/api/call/library.addRoot', { method: 'POST', headers: json, body: '{"path": "../etc"}' })).status, 400);
    assert.equal((await request(port, '/api/call/library.addRoot', { method: 'POST', headers: json, body: JSON.stringify({ path: path.join(base, 'nope') }) })).status, 400);
    assert.equal((await request(port, '/api/call/__proto__', { method: 'POST', headers: json, body: '{}' })).status, 400);
    assert.equal((await request(port, '/api/call/constructor', { method: 'POST', headers: json, body: '{}' })).status, 400);
    assert.equal((await request(port, '/api/call/search', { method: 'POST', headers: json, body: '{"query":{"kind":"upload","media":"audio","bytes":"AAAA"}}' })).status, 400);
    assert.equal((await request(port, '/api/nope', { headers: auth })).status, 404);
    // A search needs a model: 'install a model first' is a conflict (409) everywhere, no stack trace.
    const noModel = await request(port, '/api/search', { method: 'POST', headers: { ...auth, 'Content-Type': 'audio/wav' }, body: 'RIFF' });
    assert.equal(noModel.status, 409);
    assert.equal(noModel.json().error?.code, 'conflict');
    assert.match(noModel.json().error?.message ?? '', /no model installed/);
    assert.doesNotMatch(noModel.body.toString(), /at .*\.ts:\d+/);
  });

  test('one user error, one status: "no model" is 409 from search, label search, training and suggestions alike', async () => {
    const json = { ...auth, 'Content-Type': 'application/json' };
    const call = async (method: string, params: object): Promise<{ status: number; code: string | undefined; message: string }> => {
      const r = await request(port, `/api/call/${method}`, { method: 'POST', headers: json, body: JSON.stringify(params) });
      return { status: r.status, code: r.json().error?.code, message: r.json().error?.message ?? '' };
    };
    const answers = [
      await call('search', { query: { kind: 'moment', file: path.join(root, 'clip.mp4'), at: 1 } }),
      await call('labels.search', { name: 'dog' }),
      await call('training.start', {}),
      await call('suggestions.list', { name: 'dog' }),
    ];
    for (const a of answers) {
      assert.equal(a.status, 409, a.message);
      assert.equal(a.code, 'conflict');
    }
    // A missing thing is 404 whoever reports it: an unknown label id, a folder that is not in the library.
    assert.equal((await call('labels.remove', { ids: [12345] })).status, 404);
    assert.equal((await call('library.removeRoot', { path: path.join(base, 'not-a-root') })).status, 404);
  });

  test('media: inside the library only, with byte ranges', async () => {
    const media = (p: string): string => `/api/media/file/${encodeURIComponent(p)}`;
    const full = await request(port, media(path.join(root, 'clip.mp4')), { headers: auth });
    assert.equal(full.status, 200);
    assert.equal(full.headers['content-type'], 'video/mp4');
    assert.equal(full.body.length, 5000);
    const part = await request(port, media(path.join(root, 'clip.mp4')), { headers: { ...auth, Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 100-199/5000');
    assert.equal(part.body.length, 100);
    assert.equal((await request(port, media(path.join(root, 'clip.mp4')), { headers: { ...auth, Range: 'bytes=9000-' } })).status, 416);
    assert.equal((await request(port, media(path.join(base, 'secret.txt')), { headers: auth })).status, 403);
    assert.equal((await request(port, media(path.join(root, 'escape.mp4')), { headers: auth })).status, 403, 'symlink escape');
    assert.equal((await request(port, media(`${root}/../secret.txt`), { headers: auth })).status, 400, 'traversal');
    // The URL parser drops the ".." segment first, leaving a relative path: refused.
    assert.equal((await request(port, `/api/media/file/${encodeURIComponent(root)}/../secret.txt`, { headers: auth })).status, 400);
    assert.equal((await request(port, '/api/media/../../etc/passwd', { headers: auth })).status, 404);
    assert.equal((await request(port, media('/etc/passwd'), { headers: auth })).status, 403);
    assert.equal((await request(port, media('relative.mp4'), { headers: auth })).status, 400);
    assert.equal((await request(port, '/api/media/thumb/999/0.png', { headers: auth })).status, 404);
    assert.equal((await request(port, '/../../etc/passwd', { headers: auth })).status, 404, 'static files are an exact list');
  });

  test('server-sent events carry API events', async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: auth }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        res.on('data', (c: Buffer) => {
          events.push(c.toString());
          if (events.join('').includes('event: library')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (events.join('').includes('event: library') ? resolve() : reject(e)));
    });
    await new Promise((r) => setTimeout(r, 100));
    await api.invoke('library.removeRoot', { path: root });
    await api.invoke('library.addRoot', { path: root });
    await done;
    assert.match(events.join(''), /event: library\ndata: \{"type":"library"\}\n\n/);
  });
});

describe('foley serve command line', () => {
  const run = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'cli', 'main.ts'), 'serve', ...args], { encoding: 'utf8', env: { ...process.env, FOLEY_TOKEN: '' }, timeout: 20_000 });
    return { status: r.status, stderr: r.stderr };
  };
  test('a non-loopback --host refuses to start without a token', () => {
    const r = run(['--host', '0.0.0.0', '--data-dir', os.tmpdir()]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not loopback.*--token/);
  });
  test('short tokens and bad ports are usage errors', () => {
    assert.equal(run(['--token', 'short']).status, 2);
    assert.equal(run(['--port', '70000']).status, 2);
    assert.equal(run(['--port', 'x']).status, 2);
  });
});
