// The contract's validation of the labels, training and suggestions methods: names (non-empty, ≤ 200
// characters, no tabs or line breaks), times (finite, ≥ 0), ids (positive integers), file references
// (an id or an absolute path), formats, sizes; plus the handler's own checks that need the library
// (paths confined to the library folders, end after start, ids xor name) through a real API object.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_LABEL_TEXT, validateRequest } from '../../core/api/contract.ts';
import type { ApiEvent } from '../../core/api/contract.ts';
import { FoleyError } from '../../base/errors.ts';
import { ApiError } from '../../core/api/errors.ts';
import { createApi } from '../../core/api/handlers.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import { debounceFromEnv } from '../../core/api/learning.ts';

function refused(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, `ApiError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

async function rejected(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    // Services throw FoleyErrors with their code; ApiError is the API layer's own kind of FoleyError.
    assert.ok(e instanceof FoleyError, `FoleyError, got ${String(e)}`);
    assert.equal(e.code, code, (e as Error).message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

test('labels.add: file id or absolute path, times finite and ≥ 0, names 1–200 characters', () => {
  assert.deepEqual(validateRequest('labels.add', { file: 3, start: 12.5, name: 'door slam' }), { file: 3, start: 12.5, name: 'door slam' });
  assert.deepEqual(validateRequest('labels.add', { file: '/v/a.mp4', start: 0, end: 10, name: 'x', polarity: 'negative' }), { file: '/v/a.mp4', start: 0, end: 10, name: 'x', polarity: 'negative' });
  assert.equal(validateRequest('labels.add', { file: 1, name: 'n'.repeat(200) }).name.length, 200);
  refused(() => validateRequest('labels.add', { file: 1, name: '' }), 'bad_request', /name: must be at least 1/);
  refused(() => validateRequest('labels.add', { file: 1, name: '   ' }), 'bad_request', /name: must not be blank/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'n'.repeat(201) }), 'bad_request', /at most 200/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'a\tb' }), 'bad_request', /tabs or line breaks/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'a\nb' }), 'bad_request', /tabs or line breaks/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'a\0b' }), 'bad_request', /NUL/);
  refused(() => validateRequest('labels.add', { file: 1, name: 7 }), 'bad_request', /expected a string/);
  refused(() => validateRequest('labels.add', { name: 'x' }), 'bad_request', /file: .*absolute path|file: expected a string/);
  refused(() => validateRequest('labels.add', { file: 0, name: 'x' }), 'bad_request', /file: must be a whole number of at least 1 \(got 0\)/);
  refused(() => validateRequest('labels.add', { file: 1.5, name: 'x' }), 'bad_request', /whole number/);
  refused(() => validateRequest('labels.add', { file: 'videos/a.mp4', name: 'x' }), 'bad_request', /absolute path/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'x', start: -1 }), 'bad_request', /start: must be a number from 0/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'x', start: Number.POSITIVE_INFINITY }), 'bad_request', /finite/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'x', start: Number.NaN }), 'bad_request', /finite/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'x', start: '3' }), 'bad_request', /expected a finite number/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'x', polarity: 'maybe' }), 'bad_request', /positive, negative/);
  refused(() => validateRequest('labels.add', { file: 1, name: 'x', windowId: 3 }), 'bad_request', /unknown field "windowId"/);
});

test('the other label methods', () => {
  assert.deepEqual(validateRequest('labels.list', {}), {});
  assert.deepEqual(validateRequest('labels.list', { name: 'dog', file: 4 }), { name: 'dog', file: 4 });
  assert.deepEqual(validateRequest('labels.remove', { ids: [1, 2] }), { ids: [1, 2] });
  refused(() => validateRequest('labels.remove', { ids: [] }), 'bad_request', /at least 1/);
  refused(() => validateRequest('labels.remove', { ids: [1, -2] }), 'bad_request', /ids\[1\]/);
  refused(() => validateRequest('labels.remove', { ids: new Array<number>(1001).fill(1) }), 'too_large');
  assert.deepEqual(validateRequest('labels.rename', { from: 'a', to: 'b' }), { from: 'a', to: 'b' });
  refused(() => validateRequest('labels.rename', { from: 'a' }), 'bad_request', /to: expected a string/);
  refused(() => validateRequest('labels.rename', { from: 'a', to: '' }), 'bad_request');
  assert.deepEqual(validateRequest('labels.merge', { from: ['a', 'b'], into: 'c' }), { from: ['a', 'b'], into: 'c' });
  refused(() => validateRequest('labels.merge', { from: 'a', into: 'c' }), 'bad_request', /expected an array/);
  refused(() => validateRequest('labels.merge', { from: [], into: 'c' }), 'bad_request', /at least 1/);
  assert.deepEqual(validateRequest('labels.export', { format: 'csv' }), { format: 'csv' });
  refused(() => validateRequest('labels.export', { format: 'xml' }), 'bad_request', /csv, json/);
  refused(() => validateRequest('labels.export', {}), 'bad_request', /format/);
  assert.equal(validateRequest('labels.import', { format: 'json', text: '[]' }).text, '[]');
  refused(() => validateRequest('labels.import', { format: 'json', text: '' }), 'bad_request', /at least 1/);
  refused(() => validateRequest('labels.import', { format: 'csv', text: 'x'.repeat(MAX_LABEL_TEXT + 1) }), 'bad_request', /at most/);
  assert.deepEqual(validateRequest('labels.search', { name: 'dog', top: 5, model: 'tiny' }), { name: 'dog', top: 5, model: 'tiny' });
  refused(() => validateRequest('labels.search', { name: 'dog', top: 0 }), 'bad_request');
  refused(() => validateRequest('labels.search', { name: 'dog', model: '../x' }), 'bad_request', /invalid format/);
});

test('training and suggestions methods', () => {
  for (const m of ['training.status', 'training.start', 'training.pause', 'training.resume', 'training.cancel'] as const) {
    assert.deepEqual(validateRequest(m, {}), {});
    refused(() => validateRequest(m, { now: true }), 'bad_request', /unknown field/);
  }
  assert.deepEqual(validateRequest('training.versions', { kind: 'adapter' }), { kind: 'adapter' });
  refused(() => validateRequest('training.versions', { kind: 'tail' }), 'bad_request', /head, adapter/);
  assert.deepEqual(validateRequest('training.rollback', { kind: 'head', versionId: 3 }), { kind: 'head', versionId: 3 });
  refused(() => validateRequest('training.rollback', { versionId: 3 }), 'bad_request', /kind/);
  refused(() => validateRequest('training.rollback', { kind: 'head', versionId: 2.5 }), 'bad_request', /whole number/);
  assert.deepEqual(validateRequest('suggestions.list', { name: 'dog', top: 10 }), { name: 'dog', top: 10 });
  refused(() => validateRequest('suggestions.list', { name: 'dog', top: 101 }), 'bad_request');
  assert.deepEqual(validateRequest('suggestions.answer', { name: 'dog', windowId: 9, answer: 'rejected' }), { name: 'dog', windowId: 9, answer: 'rejected' });
  refused(() => validateRequest('suggestions.answer', { name: 'dog', windowId: 9, answer: 'yes' }), 'bad_request', /accepted, rejected/);
  refused(() => validateRequest('suggestions.answer', { name: 'dog', windowId: '9', answer: 'accepted' }), 'bad_request', /windowId/);
});

test('FOLEY_TRAIN_DEBOUNCE_MS sets the quiet time', () => {
  assert.equal(debounceFromEnv({ FOLEY_TRAIN_DEBOUNCE_MS: '1500' }), 1500);
  assert.equal(debounceFromEnv({}), undefined);
  assert.equal(debounceFromEnv({ FOLEY_TRAIN_DEBOUNCE_MS: 'soon' }), undefined);
  assert.equal(debounceFromEnv({ FOLEY_TRAIN_DEBOUNCE_MS: '-1' }), undefined);
});

let base: string;
let api: FoleyApi;
let root: string;
const events: ApiEvent[] = [];

before(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-labels-api-'));
  root = path.join(base, 'videos');
  mkdirSync(root);
  writeFileSync(path.join(base, 'outside.mp4'), 'x');
  writeFileSync(path.join(root, 'not-indexed.mp4'), 'x');
  api = createApi({ dataDir: path.join(base, 'data'), trainDebounceMs: 50 });
  api.subscribe((e) => events.push(e));
});
after(async () => {
  await api.close();
  rmSync(base, { recursive: true, force: true });
});

test('handlers: paths confined to the library folders, ranges checked, files must be indexed', async () => {
  await api.call('library.addRoot', { path: root });
  await rejected(api.call('labels.add', { file: path.join(base, 'outside.mp4'), name: 'x' }), 'forbidden', /outside the library/);
  await rejected(api.call('labels.add', { file: `${root}/../outside.mp4`, name: 'x' }), 'bad_request', /\.\./);
  await rejected(api.call('labels.add', { file: path.join(root, 'missing.mp4'), name: 'x' }), 'not_found');
  await rejected(api.call('labels.add', { file: path.join(root, 'not-indexed.mp4'), name: 'x' }), 'not_found', /not in the library/);
  await rejected(api.call('labels.add', { file: 1, name: 'x', start: 5, end: 5 }), 'bad_request', /after start/);
  await rejected(api.call('labels.add', { file: 1, name: 'x', end: 5 }), 'bad_request', /needs a start/);
  await rejected(api.call('labels.remove', {}), 'bad_request', /either ids or name/);
  await rejected(api.call('labels.remove', { ids: [1], name: 'x' }), 'bad_request', /either ids or name/);
  await rejected(api.call('labels.import', { format: 'json', text: '{' }), 'bad_request', /not valid JSON/);
  assert.deepEqual(await api.call('labels.list', {}), { names: [], labels: [], truncated: false });
  assert.match((await api.invoke('labels.export', { format: 'csv' })).text, /^name,path,start,end,polarity\n$/);
  // No model installed: training has nothing to train with.
  const state = await api.invoke('training.status', {});
  assert.equal(state.model, null);
  assert.equal(state.state, 'idle');
  await rejected(api.call('training.start', {}), 'conflict', /install a model/);
  await rejected(api.call('training.pause', {}), 'conflict', /not running/);
  await rejected(api.call('labels.bogus', {}), 'bad_request', /unknown method/);
});
