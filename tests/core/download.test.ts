// Downloads against a real HTTP server on 127.0.0.1 that supports Range and can drop connections,
// never against the internet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { downloadFile } from '../../core/models/download.ts';
import { downloadOfficialModel } from '../../core/models/official.ts';
import { listModels } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';

interface FileServer {
  url: string;
  readonly ranges: string[];
  /** Close the connection after this many body bytes on the next N full-body responses. */
  dropAfter: { bytes: number; times: number } | null;
  close: () => Promise<void>;
}

async function serve(body: Buffer, headers: Record<string, string> = {}, ignoreRanges = false): Promise<FileServer> {
  const state: FileServer = { url: '', ranges: [], dropAfter: null, close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ckpt.pth') {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const range = req.headers.range;
    if (range !== undefined && !ignoreRanges) {
      state.ranges.push(range);
      start = Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0);
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Content-Length': body.length - start, ETag: '"v1"', ...headers });
    } else {
      res.writeHead(200, { 'Content-Length': body.length, ETag: '"v1"', ...headers });
    }
    const drop = state.dropAfter;
    if (drop !== null && drop.times > 0) {
      drop.times--;
      res.write(body.subarray(start, start + drop.bytes));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/ckpt.pth`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

const checkpoint = readFileSync(path.join(cavmaeDir('ft-d32-c10'), 'checkpoint.pth'));

test('a dropped connection is resumed with a Range request and the file arrives whole', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-dl-'));
  const server = await serve(checkpoint);
  try {
    server.dropAfter = { bytes: 300_000, times: 2 };
    const dest = path.join(dir, 'ckpt.pth');
    const seen: number[] = [];
    const result = await downloadFile(server.url, dest, { retryDelayMs: 10, onProgress: (p) => seen.push(p.done) });
    assert.ok(readFileSync(dest).equals(checkpoint), 'downloaded bytes differ');
    // Two resumptions, each from where the bytes that actually arrived end (TCP may deliver less
    // than the server wrote before it cut the connection).
    assert.equal(server.ranges.length, 2);
    const starts = server.ranges.map((r) => Number(/^bytes=(\d+)-$/.exec(r)?.[1]));
    assert.ok(starts[0]! > 0 && starts[0]! <= 300_000 && starts[1]! > starts[0]! && starts[1]! <= starts[0]! + 300_000, server.ranges.join(' '));
    assert.equal(result.bytes, checkpoint.length);
    assert.equal(seen.at(-1), checkpoint.length);
    assert.ok(!existsSync(`${dest}.part`), 'partial file left behind');
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a partial file from an earlier run is continued, not restarted', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-dl-'));
  const server = await serve(checkpoint);
  try {
    const dest = path.join(dir, 'ckpt.pth');
    writeFileSync(`${dest}.part`, checkpoint.subarray(0, 123_456));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ url: server.url, validator: '"v1"', total: checkpoint.length }));
    const result = await downloadFile(server.url, dest, { retryDelayMs: 10 });
    assert.equal(result.resumedFrom, 123_456);
    assert.deepEqual(server.ranges, ['bytes=123456-']);
    assert.ok(readFileSync(dest).equals(checkpoint));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a partial file keyed by a stable name is continued although the address changed', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-dl-'));
  const server = await serve(checkpoint);
  try {
    const dest = path.join(dir, 'ckpt.pth');
    writeFileSync(`${dest}.part`, checkpoint.subarray(0, 5000));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ key: 'model:x', validator: '"v1"', total: checkpoint.length }));
    // Another key: the bytes on disk belong to something else and are not continued.
    const other = await downloadFile(`${server.url}?token=1`, path.join(dir, 'other.pth'), { key: 'model:y' });
    assert.equal(other.resumedFrom, 0);
    const result = await downloadFile(`${server.url}?token=2`, dest, { key: 'model:x', retryDelayMs: 10 });
    assert.equal(result.resumedFrom, 5000);
    assert.deepEqual(server.ranges, ['bytes=5000-']);
    assert.ok(readFileSync(dest).equals(checkpoint));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a ranged answer for a file of another size starts the download over', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-dl-'));
  // No validator, so If-Range cannot tell the file changed; the total in Content-Range does.
  const server = await serve(checkpoint, { ETag: '' });
  try {
    const dest = path.join(dir, 'ckpt.pth');
    writeFileSync(`${dest}.part`, Buffer.alloc(4000, 7));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ url: server.url, validator: null, total: checkpoint.length + 1 }));
    const result = await downloadFile(server.url, dest, { retryDelayMs: 10 });
    assert.deepEqual(server.ranges, ['bytes=4000-'], 'one ranged try, then the whole file without a range');
    assert.equal(result.bytes, checkpoint.length);
    assert.ok(readFileSync(dest).equals(checkpoint));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a web page is never saved as the file, whatever its content type says', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-dl-'));
  const page = Buffer.from('\n<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in to continue</body></html>');
  const asHtml = await serve(page, { 'Content-Type': 'text/html; charset=utf-8' });
  const asBinary = await serve(page, { 'Content-Type': 'application/octet-stream' }, true);
  try {
    const dest = path.join(dir, 'ckpt.pth');
    await assert.rejects(downloadFile(asHtml.url, dest), (e: Error) => e.message.includes(asHtml.url) && /answered with a web page, not the file/.test(e.message));
    assert.ok(!existsSync(dest) && !existsSync(`${dest}.part`));
    // A page behind a binary content type, from a server that ignores the resume's range: the bytes
    // on disk stay as they were.
    writeFileSync(`${dest}.part`, checkpoint.subarray(0, 10));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ url: asBinary.url, validator: '"v1"', total: page.length }));
    await assert.rejects(downloadFile(asBinary.url, dest), /answered with a web page/);
    assert.ok(!existsSync(dest));
    assert.ok(readFileSync(`${dest}.part`).equals(checkpoint.subarray(0, 10)), 'the partial file was changed');
  } finally {
    await asHtml.close();
    await asBinary.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HTTP errors name the address and status', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-dl-'));
  const server = await serve(checkpoint);
  try {
    await assert.rejects(downloadFile(server.url.replace('ckpt', 'missing'), path.join(dir, 'x.pth')), /HTTP 404.*missing\.pth/);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model download verifies the kind before installing, then converts', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-data-'));
  const server = await serve(checkpoint);
  try {
    // ft-d32-c10 is a 10-class fine-tuned file: not what "scale++" (pretrained) must be.
    await assert.rejects(downloadOfficialModel(dataDir, 'scale++', { url: server.url }), /is a 10-class fine-tuned model, but scale\+\+ is a pretrained model/);
    assert.equal((await listModels(dataDir)).length, 0, 'a wrong download must not be installed');
    await assert.rejects(downloadOfficialModel(dataDir, 'no-such-model'), /unknown model "no-such-model"/);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('model download installs a verified checkpoint under the official name', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-data-'));
  const server = await serve(readFileSync(path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth')));
  try {
    const { model, reused } = await downloadOfficialModel(dataDir, 'scale++', { url: server.url });
    assert.equal(reused, false);
    assert.equal(model.manifest.name, 'scale++');
    assert.equal(model.manifest.source.origin, 'download');
    assert.equal(model.manifest.source.url, server.url);
    assert.deepEqual(Object.keys(model.manifest.graphs), ['audio', 'visual']);
    // Asking again neither downloads nor converts.
    const again = await downloadOfficialModel(dataDir, 'scale++', { url: server.url });
    assert.equal(again.reused, true);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
