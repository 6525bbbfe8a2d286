// The API contract's validation (what every IPC call and HTTP request goes through) and Electron's IPC
// boundary as a plain module: wrong types, unknown fields and methods, oversize payloads, relative
// paths, calls from frames other than the app's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PCM_SAMPLES, MAX_UPLOAD_BYTES, METHODS, parseMediaRef, validateRequest } from '../../core/api/contract.ts';
import { ApiError } from '../../core/api/errors.ts';
import { APP_ORIGIN, createIpcCallHandler } from '../../electron/ipc.ts';

function refused(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, `ApiError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

test('every method has a validator; empty requests pass where nothing is needed', () => {
  assert.deepEqual(
    METHODS.sort(),
    [
      'index.cancel', 'index.pause', 'index.resume', 'index.start', 'library.addRoot', 'library.removeRoot', 'models.download', 'models.import', 'models.list', 'models.setDefault', 'search', 'search.suggest', 'status', 'localize', 'tagging.pause', 'tagging.resume', 'tagging.cancel',
      'labels.list', 'labels.add', 'labels.remove', 'labels.rename', 'labels.merge', 'labels.export', 'labels.import', 'labels.search',
      'training.status', 'training.start', 'training.pause', 'training.resume', 'training.cancel', 'training.versions', 'training.rollback',
      'suggestions.list', 'suggestions.answer', 'eval.run', 'eval.status', 'eval.cancel',
    ].sort(),
  );
  assert.deepEqual(validateRequest('status', {}), {});
  assert.deepEqual(validateRequest('status', undefined), {});
  refused(() => validateRequest('status', { extra: 1 }), 'bad_request', /unknown field "extra"/);
  refused(() => validateRequest('status', []), 'bad_request', /expected an object/);
  refused(() => validateRequest('status', 'x'), 'bad_request');
});

test('text queries and type-ahead: typed text, 1–200 characters, not blank; localize takes no text', () => {
  assert.deepEqual(validateRequest('search', { query: { kind: 'text', text: 'dog' }, top: 5, offset: 10, model: 'as2m-av' }), { query: { kind: 'text', text: 'dog' }, top: 5, offset: 10, model: 'as2m-av' });
  refused(() => validateRequest('search', { query: { kind: 'text', text: '' } }), 'bad_request', /text: must be at least 1 characters/);
  refused(() => validateRequest('search', { query: { kind: 'text', text: '   ' } }), 'bad_request', /text: must not be blank/);
  refused(() => validateRequest('search', { query: { kind: 'text', text: 'x'.repeat(201) } }), 'bad_request', /at most 200/);
  refused(() => validateRequest('search', { query: { kind: 'text', text: 7 } }), 'bad_request', /expected a string, got number/);
  refused(() => validateRequest('search', { query: { kind: 'text', text: 'dog', model: 'x' } }), 'bad_request', /unknown field "model"/);
  refused(() => validateRequest('localize', { query: { kind: 'text', text: 'dog' }, targets: [{ file: '/v/a.mp4', at: 1 }] }), 'bad_request', /kind: must be one of upload, moment, pcm$/);
  assert.deepEqual(validateRequest('search.suggest', { text: 'do', limit: 5 }), { text: 'do', limit: 5 });
  assert.deepEqual(validateRequest('search.suggest', { text: 'do', model: 'as2m-av' }), { text: 'do', model: 'as2m-av' });
  refused(() => validateRequest('search.suggest', {}), 'bad_request', /text: expected a string, got undefined/);
  refused(() => validateRequest('search.suggest', { text: ' ' }), 'bad_request', /must not be blank/);
  refused(() => validateRequest('search.suggest', { text: 'do', limit: 51 }), 'bad_request', /from 1 to 50/);
  refused(() => validateRequest('search.suggest', { text: 'do', limit: 0 }), 'bad_request');
  refused(() => validateRequest('search.suggest', { text: 'do', model: '../x' }), 'bad_request', /invalid format/);
});

test('search requests: query kinds, directions, numbers', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const ok = validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes }, in: 'visual', top: 5 });
  assert.equal(ok.query.kind, 'upload');
  assert.equal(ok.top, 5);
  assert.deepEqual(validateRequest('search', { query: { kind: 'moment', file: '/v/a.mp4', at: 12.5, use: 'visual' } }).query, { kind: 'moment', file: '/v/a.mp4', at: 12.5, use: 'visual' });
  refused(() => validateRequest('search', { query: { kind: 'audio', file: '/etc/passwd' } }), 'bad_request', /kind: must be one of upload, moment, pcm/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes: 'AAAA' } }), 'bad_request', /expected bytes, got string/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'video', bytes } }), 'bad_request', /media: must be one of audio, image/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes: new Uint8Array(0) } }), 'bad_request', /is empty/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes }, in: 'sideways' }), 'bad_request', /in: must be one of/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes }, top: '5' }), 'bad_request', /top: expected a finite number, got string/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes }, top: 2.5 }), 'bad_request', /whole number/);
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'audio', bytes }, top: 100000 }), 'bad_request', /from 1 to 200 \(got 100000\)/);
  refused(() => validateRequest('search', { query: { kind: 'moment', file: 'relative/a.mp4', at: 1 } }), 'bad_request', /absolute path/);
  refused(() => validateRequest('search', { query: { kind: 'moment', file: '/v/a.mp4', at: -1 } }), 'bad_request');
  refused(() => validateRequest('search', { query: { kind: 'moment', file: '/v/a.mp4', at: Number.NaN } }), 'bad_request', /finite/);
  refused(() => validateRequest('search', { query: { kind: 'moment', file: '/v/a\0.mp4', at: 1 } }), 'bad_request', /NUL/);
  refused(() => validateRequest('search', { query: { kind: 'pcm', samples: [2, ...new Array<number>(500).fill(0)] } }), 'bad_request', /samples\[0\]: must be a number from -1 to 1 \(got 2\)/);
  refused(() => validateRequest('search', { query: { kind: 'pcm', samples: [0.1] } }), 'bad_request', /at least 400/);
  refused(() => validateRequest('search', {}), 'bad_request', /query: expected an object, got undefined/);
  // A prototype-polluting or class-instance body is not a plain object.
  refused(() => validateRequest('search', JSON.parse('{"__proto__": {"x": 1}, "query": {"kind":"pcm"}}') as unknown), 'bad_request');
  refused(() => validateRequest('search', new Map()), 'bad_request');
});

test('oversize payloads are refused as too_large', () => {
  refused(() => validateRequest('search', { query: { kind: 'upload', media: 'image', bytes: new Uint8Array(MAX_UPLOAD_BYTES + 1) } }), 'too_large');
  refused(() => validateRequest('search', { query: { kind: 'pcm', samples: new Array<number>(MAX_PCM_SAMPLES + 1).fill(0) } }), 'too_large');
  refused(() => validateRequest('library.addRoot', { path: `/${'a'.repeat(5000)}` }), 'bad_request', /at most 4096/);
  refused(() => validateRequest('index.start', { roots: new Array<string>(101).fill('/a') }), 'too_large');
});

test('paths must be absolute on every platform the app runs on', () => {
  for (const p of ['/home/me/Videos', 'C:\\Users\\me\\Videos', 'D:/Videos', '\\\\nas\\share\\videos']) assert.equal(validateRequest('library.addRoot', { path: p }).path, p);
  for (const p of ['', 'Videos', './Videos', '../x', '~/Videos', 'C:Videos', 5, null]) refused(() => validateRequest('library.addRoot', { path: p }), 'bad_request');
  refused(() => validateRequest('models.setDefault', { name: '../../etc' }), 'bad_request', /invalid format/);
  refused(() => validateRequest('models.import', { file: '/m.pth', heads: 0 }), 'bad_request');
});

test('media references: file paths, thumbnails and spectrograms only', () => {
  assert.deepEqual(parseMediaRef(`file/${encodeURIComponent('/v/a b.mp4')}`), { kind: 'file', path: '/v/a b.mp4' });
  assert.deepEqual(parseMediaRef('thumb/12/10000.png'), { kind: 'thumb', fileId: 12, startMs: 10000 });
  assert.deepEqual(parseMediaRef('spectrogram/12/10000.png'), { kind: 'spectrogram', fileId: 12, startMs: 10000 });
  for (const bad of ['file/%E0%A4%A', 'file/a/b', 'thumb/x/1.png', 'thumb/1/1.jpg', 'spectrogram/1/-1.png', 'spectrograms/1/1.png', '../etc/passwd', 'other/1']) {
    assert.equal(parseMediaRef(bad), undefined, bad);
  }
});

test('localize requests: a query, 1 to 50 target moments by id or path', () => {
  const ok = validateRequest('localize', { query: { kind: 'moment', file: '/v/a.mp4', at: 3, use: 'visual' }, targets: [{ file: 7, at: 0 }, { file: '/v/b.mp4', at: 12.5 }] });
  assert.deepEqual(ok.targets, [{ file: 7, at: 0 }, { file: '/v/b.mp4', at: 12.5 }]);
  refused(() => validateRequest('localize', { query: { kind: 'moment', file: '/v/a.mp4', at: 3 }, targets: [{ file: 0, at: 0 }] }), 'bad_request');
  refused(() => validateRequest('localize', { query: { kind: 'moment', file: '/v/a.mp4', at: 3 }, targets: [{ file: 'b.mp4', at: 0 }] }), 'bad_request', /absolute path/);
  refused(() => validateRequest('localize', { query: { kind: 'moment', file: '/v/a.mp4', at: 3 }, targets: [{ file: 1, at: 0, x: 1 }] }), 'bad_request', /unknown field "x"/);
  refused(() => validateRequest('localize', { query: { kind: 'moment', file: '/v/a.mp4', at: 3 } }), 'bad_request', /targets/);
  assert.equal(validateRequest('search', { query: { kind: 'moment', file: '/v/a.mp4', at: 3 }, refine: true }).refine, true);
  refused(() => validateRequest('search', { query: { kind: 'moment', file: '/v/a.mp4', at: 3 }, refine: 'yes' }), 'bad_request');
});

test('IPC: only the app window may call, only contract methods, only valid parameters', async () => {
  const forwarded: Array<[string, unknown]> = [];
  const handle = createIpcCallHandler({ forward: async (m, p) => (forwarded.push([m, p]), { ok: true }) });
  const page = `${APP_ORIGIN}/index.html`;
  assert.deepEqual(await handle(page, 'status', {}), { ok: true });
  await assert.rejects(handle('https://evil.example/', 'status', {}), /^Error: forbidden: calls are accepted only from the app window/);
  await assert.rejects(handle('file:///tmp/x.html', 'status', {}), /forbidden/);
  await assert.rejects(handle('foley-app://other/index.html', 'status', {}), /forbidden/);
  await assert.rejects(handle(undefined, 'status', {}), /forbidden/);
  await assert.rejects(handle(page, 'shell.exec', {}), /bad_request: unknown method "shell.exec"/);
  await assert.rejects(handle(page, { toString: () => 'status' }, {}), /bad_request/);
  await assert.rejects(handle(page, 'library.addRoot', { path: '../../etc' }), /bad_request: library.addRoot.path/);
  await assert.rejects(handle(page, 'search', { query: { kind: 'upload', media: 'audio', bytes: new Uint8Array(MAX_UPLOAD_BYTES + 1) } }), /too_large/);
  assert.deepEqual(forwarded, [['status', {}]], 'nothing invalid reached the library process');
});

test('index.start: frames per window, 1 to 16, whole', () => {
  assert.equal(validateRequest('index.start', { frames: 4 }).frames, 4);
  for (const bad of [0, 17, 2.5, '4']) refused(() => validateRequest('index.start', { frames: bad }), 'bad_request');
});
