// Bad input over real HTTP to a `foley serve` server with a model installed, so uploads reach ffmpeg:
// uploads that are not media, damaged uploads, empty and over-size uploads, out-of-range limits. Each
// gets a 4xx that names the problem in the user's terms, and no message carries a path of the
// server's (the data directory, its temp files) or a stack.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApi } from '../../core/api/handlers.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import { importModel } from '../../core/models/store.ts';
import { startServer } from '../../server/server.ts';
import type { RunningServer } from '../../server/server.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';

const TOKEN = 'test-token-0123456789abcdef';
const UPLOAD_LIMIT = 4 * 2 ** 20;

interface Reply {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string;
  readonly raw: string;
}

/** One POST over raw HTTP; `chunked` sends no Content-Length, so the limit must hold as bytes arrive. */
function post(port: number, p: string, type: string, body: Buffer | string, chunked = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': type };
    if (!chunked) headers['Content-Length'] = String(Buffer.byteLength(body));
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        const e = (JSON.parse(raw) as { error?: { code: string; message: string } }).error;
        resolve({ status: res.statusCode ?? 0, code: e?.code, message: e?.message ?? '', raw });
      });
    });
    req.on('error', reject);
    if (chunked) {
      const buf = Buffer.from(body);
      for (let i = 0; i < buf.length; i += 256 * 1024) req.write(buf.subarray(i, i + 256 * 1024));
    } else {
      req.write(body);
    }
    req.end();
  });
}

describe('bad input to foley serve, in the user’s terms', () => {
  let base: string;
  let dataDir: string;
  let api: FoleyApi;
  let server: RunningServer;
  let port: number;
  let wav: Buffer;
  let cutMp4: Buffer;

  const noInternals = (r: Reply, what: string): void => {
    assert.ok(!r.raw.includes(base) && !r.raw.includes('queries') && !/\.media\b|\.img\b/.test(r.raw), `${what}: no server path in ${r.raw}`);
    assert.doesNotMatch(r.raw, /at .*\.ts:\d+/, `${what}: no stack`);
  };

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-bad-input-'));
    dataDir = path.join(base, 'data');
    const dist = path.join(base, 'dist');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Foley</title>');
    await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
    const w = path.join(base, 'tone.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=2', w]);
    wav = readFileSync(w);
    const mp4 = path.join(base, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=4',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', mp4]);
    // Index (moov) at the end, cut at 60 %: nothing can be read.
    cutMp4 = readFileSync(mp4).subarray(0, Math.floor(readFileSync(mp4).length * 0.6));
    api = createApi({ dataDir, provider: 'cpu', threads: 1 });
    server = await startServer({ api, token: TOKEN, rendererDir: dist, maxUploadBytes: UPLOAD_LIMIT });
    port = server.port;
  });

  after(async () => {
    await server?.close();
    await api?.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('a real sound is searched (the baseline the refusals are measured against)', async () => {
    const r = await post(port, '/api/search?top=5', 'audio/wav', wav);
    assert.equal(r.status, 200, r.raw);
  });

  test('2 MB of random bytes as audio/wav: 415, "not audio or video Foley can read", no temp path', async () => {
    for (const type of ['audio/wav', 'video/mp4']) {
      const r = await post(port, '/api/search', type, randomBytes(2 * 2 ** 20));
      assert.equal(r.status, 415, r.raw);
      assert.equal(r.code, 'unsupported');
      assert.match(r.message, /^the uploaded file is not audio or video Foley can read/);
      noInternals(r, type);
    }
    const text = await post(port, '/api/search', 'audio/mpeg', 'This is a shopping list, not a song.\n'.repeat(50));
    assert.equal(text.status, 415);
    assert.match(text.message, /^the uploaded file is not audio or video Foley can read/);
    noInternals(text, 'text as audio');
  });

  test('random bytes as a picture, for search and for localize: 415, "not a picture"', async () => {
    const r = await post(port, '/api/search', 'image/png', randomBytes(20_000));
    assert.equal(r.status, 415, r.raw);
    assert.match(r.message, /^the uploaded file is not a picture Foley can read/);
    noInternals(r, 'image');
    const request = encodeURIComponent(JSON.stringify({ targets: [{ file: '/nowhere/x.mp4', at: 1 }] }));
    const l = await post(port, `/api/localize?request=${request}`, 'image/jpeg', randomBytes(20_000));
    assert.ok(l.status >= 400 && l.status < 500, l.raw);
    noInternals(l, 'localize');
  });

  test('a damaged upload says it is damaged and how', async () => {
    const r = await post(port, '/api/search', 'video/mp4', cutMp4);
    assert.equal(r.status, 415, r.raw);
    assert.match(r.message, /^the uploaded file is damaged: nothing can be read: the file is cut short or was never finished/);
    noInternals(r, 'cut mp4');
  });

  test('empty and over-size uploads: 400 and 413 with sizes people read', async () => {
    const empty = await post(port, '/api/search', 'audio/wav', Buffer.alloc(0));
    assert.equal(empty.status, 400, empty.raw);
    assert.match(empty.message, /the file is empty \(0 bytes\)/);
    const big = await post(port, '/api/search', 'audio/wav', Buffer.alloc(UPLOAD_LIMIT + 2 ** 20));
    assert.equal(big.status, 413, big.raw);
    assert.equal(big.message, 'the query file is 5 MiB, over the limit of 4 MiB');
    const streamed = await post(port, '/api/search', 'audio/wav', Buffer.alloc(UPLOAD_LIMIT + 2 ** 20), true);
    assert.equal(streamed.status, 413, streamed.raw);
    assert.equal(streamed.message, 'the query file is over the limit of 4 MiB');
    const json = await post(port, '/api/call/status', 'application/json', `{"x":"${'a'.repeat(2 ** 20)}"}`);
    assert.equal(json.status, 413);
    assert.equal(json.message, `the request is ${2 ** 20 + 8} bytes, over the limit of ${2 ** 20} bytes`);
  });

  test('limits out of range: 400 naming the parameter, the range and what came', async () => {
    for (const top of ['1000000000', '0', '2.5', '-1', 'abc', '201']) {
      const r = await post(port, `/api/search?top=${top}`, 'audio/wav', wav);
      assert.equal(r.status, 400, `${top}: ${r.raw}`);
      assert.equal(r.message, `top must be a whole number from 1 to 200 (got "${top}")`);
    }
    const body = JSON.stringify({ query: { kind: 'moment', file: '/somewhere/a.mp4', at: 1 }, top: 100_000 });
    const r = await post(port, '/api/search', 'application/json', body);
    assert.equal(r.status, 400);
    assert.equal(r.message, 'search.top: must be a whole number from 1 to 200 (got 100000)');
    const offset = await post(port, '/api/search', 'application/json', JSON.stringify({ query: { kind: 'moment', file: '/somewhere/a.mp4', at: 1 }, offset: 0.5 }));
    assert.equal(offset.message, 'search.offset: must be a whole number from 0 to 10000 (got 0.5)');
    const type = await post(port, '/api/search', 'text/plain', 'hi');
    assert.equal(type.status, 415);
    assert.match(type.message, /send the query file as audio\/\*, video\/\* or image\/\*/);
  });

  test('uploads leave no temp files behind, refused or not', () => {
    assert.deepEqual(readdirSync(path.join(dataDir, 'tmp', 'queries')), []);
  });
});
