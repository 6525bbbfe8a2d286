// Media confinement (shared by `foley serve`'s /api/media and Electron's foley-media: protocol), byte
// ranges for seeking, the protocol handlers as plain Request → Response functions, the RPC link to the
// utility process, and index-time thumbnails (PNG encoder).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { ApiEvent, MediaRef } from '../../core/api/contract.ts';
import { ApiError } from '../../core/api/errors.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import { confineToRoots, isInside, planRange } from '../../core/api/media.ts';
import { createAppProtocolHandler, createMediaProtocolHandler, ELECTRON_CSP } from '../../electron/protocol.ts';
import { rpcClient, serveRpc } from '../../electron/rpc.ts';
import { encodePng, thumbnailOf } from '../../core/indexing/thumbnails.ts';
import { decodeImageRgb } from '../../media/image.ts';

let base: string;
let root: string;
let outside: string;
let video: string;

before(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-media-'));
  root = path.join(base, 'library');
  outside = path.join(base, 'secret');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  mkdirSync(outside);
  video = path.join(root, 'sub', 'clip.mp4');
  writeFileSync(video, Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)));
  writeFileSync(path.join(outside, 'passwords.txt'), 'hunter2');
  symlinkSync(path.join(outside, 'passwords.txt'), path.join(root, 'innocent.mp4'));
  symlinkSync(outside, path.join(root, 'linked-dir'));
  symlinkSync(video, path.join(root, 'alias.mp4'));
  // A sibling whose name starts like the root must not count as inside it.
  mkdirSync(`${root}-evil`);
  writeFileSync(path.join(`${root}-evil`, 'x.mp4'), 'x');
});
after(() => rmSync(base, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof ApiError ? e.code : `unexpected ${String(e)}`;
  }
}

test('confinement: files inside the roots only, by real path', async () => {
  assert.equal(await confineToRoots([root], video), video);
  assert.equal(await confineToRoots([root], path.join(root, 'alias.mp4')), video, 'a symlink inside the root is served as its target');
  assert.equal(await code(confineToRoots([root], `${root}/sub/../../secret/passwords.txt`)), 'bad_request', 'traversal');
  assert.equal(await code(confineToRoots([root], `${root}/sub/../sub/clip.mp4`)), 'bad_request', '".." is refused even when it stays inside');
  assert.equal(await code(confineToRoots([root], '..\\..\\secret')), 'bad_request');
  assert.equal(await code(confineToRoots([root], path.join(outside, 'passwords.txt'))), 'forbidden');
  assert.equal(await code(confineToRoots([root], path.join(root, 'innocent.mp4'))), 'forbidden', 'symlink escape');
  assert.equal(await code(confineToRoots([root], path.join(root, 'linked-dir', 'passwords.txt'))), 'forbidden', 'symlinked folder escape');
  assert.equal(await code(confineToRoots([root], path.join(`${root}-evil`, 'x.mp4'))), 'forbidden', 'prefix sibling');
  assert.equal(await code(confineToRoots([root], '/etc/passwd')), 'forbidden');
  assert.equal(await code(confineToRoots([root], path.join(root, 'sub'))), 'not_found', 'a folder is not media');
  assert.equal(await code(confineToRoots([root], path.join(root, 'nope.mp4'))), 'not_found');
  assert.equal(await code(confineToRoots([root], 'sub/clip.mp4')), 'bad_request', 'relative');
  assert.equal(await code(confineToRoots([root], `${video}\0.png`)), 'bad_request', 'NUL');
  assert.equal(await code(confineToRoots([root], 42)), 'bad_request', 'wrong type');
  assert.equal(await code(confineToRoots([], video)), 'forbidden', 'no roots, nothing served');
  assert.equal(await code(confineToRoots([path.join(base, 'unplugged'), root], video)), 'ok', 'an offline root is skipped');
  assert.ok(isInside('/a/b', '/a/b/c') && !isInside('/a/b', '/a/bc')  && isInside('/Videos', '/videos/x', 'darwin') && !isInside('/Videos', '/videos/x', 'linux'));
});

test('byte ranges for video seeking', () => {
  assert.deepEqual(planRange(1000, undefined, 'video/mp4').status, 200);
  const r = planRange(1000, 'bytes=100-199', 'video/mp4');
  assert.deepEqual([r.status, r.start, r.end, r.headers['Content-Range'], r.headers['Content-Length']], [206, 100, 199, 'bytes 100-199/1000', '100']);
  assert.deepEqual([planRange(1000, 'bytes=900-', 'x').start, planRange(1000, 'bytes=900-', 'x').end], [900, 999]);
  assert.deepEqual([planRange(1000, 'bytes=-100', 'x').start, planRange(1000, 'bytes=-100', 'x').end], [900, 999]);
  assert.equal(planRange(1000, 'bytes=5000-', 'x').status, 416);
  assert.equal(planRange(1000, 'bytes=500-100', 'x').status, 416);
  assert.equal(planRange(1000, 'bytes=0-1,5-6', 'x').status, 200, 'multi-range: the whole file');
});

function fakeApi(events: ApiEvent[] = []): FoleyApi & { emit(e: ApiEvent): void } {
  const listeners = new Set<(e: ApiEvent) => void>();
  return {
    dataDir: base,
    call: async (method, params) => {
      if (method === 'boom') throw new ApiError('conflict', 'busy');
      return { method, params };
    },
    invoke: () => Promise.reject(new Error('unused')),
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
    resolveMedia: async (ref: MediaRef) => {
      if (ref.kind !== 'file') throw new ApiError('not_found', 'no such moment');
      return { path: await confineToRoots([root], ref.path), contentType: 'video/mp4' };
    },
    close: async () => undefined,
    emit: (e) => {
      events.push(e);
      for (const l of listeners) l(e);
    },
  };
}

test('foley-media: protocol serves confined media with ranges, refuses everything else', async () => {
  const api = fakeApi();
  const handle = createMediaProtocolHandler((ref) => api.resolveMedia(ref));
  const url = (p: string): string => `foley-media://media/file/${encodeURIComponent(p)}`;
  const full = await handle(new Request(url(video)));
  assert.equal(full.status, 200);
  assert.equal((await full.arrayBuffer()).byteLength, 1000);
  const part = await handle(new Request(url(video), { headers: { Range: 'bytes=10-19' } }));
  assert.equal(part.status, 206);
  assert.deepEqual([...new Uint8Array(await part.arrayBuffer())], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.equal((await handle(new Request(url(path.join(outside, 'passwords.txt'))))).status, 403);
  assert.equal((await handle(new Request(url(path.join(root, 'innocent.mp4'))))).status, 403);
  assert.equal((await handle(new Request(`foley-media://media/file/${encodeURIComponent(root)}%2F..%2Fsecret%2Fpasswords.txt`))).status, 400);
  assert.equal((await handle(new Request('foley-media://media/file/..%2F..%2Fetc%2Fpasswd'))).status, 400);
  assert.equal((await handle(new Request('foley-media://media/../../etc/passwd'))).status, 404);
  assert.equal((await handle(new Request('foley-media://elsewhere/file/x'))).status, 404);
  assert.equal((await handle(new Request('foley-media://media/thumb/1/0.png'))).status, 404);
  assert.equal((await handle(new Request(url(video), { method: 'POST', body: 'x' }))).status, 405);
});

test('foley-app: protocol serves only the built renderer, with the CSP', async () => {
  const dist = path.join(base, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(path.join(dist, 'assets', 'a.js'), 'export {}');
  const handle = createAppProtocolHandler(dist);
  const index = await handle(new Request('foley-app://app/index.html'));
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-security-policy'), ELECTRON_CSP);
  assert.match(ELECTRON_CSP, /script-src 'self';/);
  assert.doesNotMatch(ELECTRON_CSP, /unsafe-(inline|eval)/);
  assert.equal((await handle(new Request('foley-app://app/assets/a.js'))).headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await handle(new Request('foley-app://app/../secret/passwords.txt'))).status, 404);
  assert.equal((await handle(new Request('foley-app://app/assets/%2e%2e/%2e%2e/secret/passwords.txt'))).status, 404);
  assert.equal((await handle(new Request('foley-app://other/index.html'))).status, 404);
});

test('RPC to the utility process: calls, errors and events cross a structured-clone port', async () => {
  const { port1, port2 } = new MessageChannel();
  const asRpc = (p: MessagePort): { postMessage(m: unknown): void; onMessage(l: (m: unknown) => void): void } => ({
    postMessage: (m) => p.postMessage(m),
    onMessage: (l) => p.on('message', l),
  });
  const api = fakeApi();
  serveRpc(asRpc(port1), api);
  const client = rpcClient(asRpc(port2));
  const bytes = new Uint8Array([1, 2, 3]);
  assert.deepEqual(await client.call('search', { bytes }), { method: 'search', params: { bytes } });
  await assert.rejects(client.call('boom', {}), (e: unknown) => e instanceof ApiError && e.code === 'conflict' && e.message === 'busy');
  assert.equal((await client.resolveMedia({ kind: 'file', path: video })).path, video);
  await assert.rejects(client.resolveMedia({ kind: 'file', path: '/etc/passwd' }), (e: unknown) => e instanceof ApiError && e.code === 'forbidden');
  const got = new Promise<ApiEvent>((resolve) => client.onEvent(resolve));
  api.emit({ type: 'library' });
  assert.deepEqual(await got, { type: 'library' });
  port1.close();
  port2.close();
});

test('thumbnails: PNG that ffmpeg decodes to the same pixels, shrunk to 320 px wide', async () => {
  const w = 640;
  const h = 360;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([i % w & 255, (i / w) & 255, 128], i * 3);
  const small = thumbnailOf({ width: w, height: h, data });
  assert.deepEqual([small.width, small.height], [320, 180]);
  assert.equal(thumbnailOf({ width: 96, height: 64, data: new Uint8Array(96 * 64 * 3) }).width, 96, 'never enlarged');
  const file = path.join(base, 't.png');
  writeFileSync(file, encodePng(small));
  const back = await decodeImageRgb(file);
  assert.deepEqual([back.width, back.height], [320, 180]);
  assert.deepEqual(Buffer.from(back.data), Buffer.from(small.data));
});
