// Google Drive downloads: the confirm and error pages read on their own, then the whole flow against a
// local imitation of Drive (tests/helpers/fake-drive.ts), never against Google.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadFile } from '../../core/models/download.ts';
import { checkSize, checkStructure, downloadOfficialModel } from '../../core/models/official.ts';
import { findOfficial, sizeBounds } from '../../core/models/official-checkpoints.ts';
import { listModels } from '../../core/models/store.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import { driveFileId, driveOpener } from '../../core/models/google-drive.ts';
import { readDrivePage } from '../../core/models/google-drive-page.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { DRIVE_FILE_ID, fakeDrive } from '../helpers/fake-drive.ts';
import type { FakeDrive } from '../helpers/fake-drive.ts';

const PAGE_URL = 'https://drive.usercontent.google.com/download?id=FILE&export=download';

test('the current confirm page: its form is submitted as a browser would, hidden fields only', () => {
  const html = `<html><head><title>Google Drive - Virus scan warning</title></head><body>
    <p class="uc-warning-caption">Google Drive can't scan this file for viruses.</p>
    <form id="download-form" action="https://drive.usercontent.google.com/download?stale=1" method="get">
      <input type="submit" id="uc-download-link" class="goog-inline-block jfk-button" value="Download anyway"/>
      <input type="hidden" name="id" value="FILE"><input type="hidden" name="export" value="download">
      <input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="0157b121-1a68">
      <input type="hidden" name="at" value="ALoNOg&#58;17&amp;x"></form></body></html>`;
  const page = readDrivePage(html, PAGE_URL);
  assert.equal(page.kind, 'next');
  assert.ok(page.kind === 'next' && page.via === 'form');
  const next = new URL(page.url);
  assert.equal(next.origin + next.pathname, 'https://drive.usercontent.google.com/download');
  assert.deepEqual([...next.searchParams], [['id', 'FILE'], ['export', 'download'], ['confirm', 't'], ['uuid', '0157b121-1a68'], ['at', 'ALoNOg:17&x']]);
});

test('the form is found whatever the quoting and attribute order, with a relative action', () => {
  const html = `<form method=get action='/download' data-x="a > b" id='download-form'><input value='X1' name=id type=hidden>
    <input name="export" type="HIDDEN" value="download"/><input type=hidden name=confirm value=t></form>
    <form id="other"><input type="hidden" name="id" value="nope"></form>`;
  const page = readDrivePage(html, PAGE_URL);
  assert.ok(page.kind === 'next');
  assert.equal(page.url, 'https://drive.usercontent.google.com/download?id=X1&export=download&confirm=t');
});

test('older confirm pages: the "Download anyway" link, the script value, the download_warning cookie', () => {
  const link = readDrivePage('<a id="uc-download-link" href="/uc?export=download&amp;confirm=AbCd&amp;id=FILE">Download anyway</a>', 'https://drive.google.com/uc?export=download&id=FILE');
  assert.deepEqual(link, { kind: 'next', via: 'link', url: 'https://drive.google.com/uc?export=download&confirm=AbCd&id=FILE' });

  const script = readDrivePage('<script>window.viewerData = {"downloadUrl":"https://drive.usercontent.google.com/download?id\\u003dFILE\\u0026export\\u003ddownload"};</script>', PAGE_URL);
  assert.deepEqual(script, { kind: 'next', via: 'script', url: 'https://drive.usercontent.google.com/download?id=FILE&export=download' });

  const uc = 'https://docs.google.com/uc?export=download&id=FILE';
  const cookies = [{ name: 'NID', value: '1' }, { name: 'download_warning_1305_FILE', value: 'Tk_1' }];
  const cookie = readDrivePage('<html><body>Google Drive can\'t scan this file for viruses.</body></html>', uc, cookies);
  assert.deepEqual(cookie, { kind: 'next', via: 'cookie', url: `${uc}&confirm=Tk_1` });
  // The same token again would ask the same question forever.
  assert.equal(readDrivePage('<html><title>Warning</title></html>', `${uc}&confirm=Tk_1`, cookies).kind, 'unknown');
});

test('error pages say what Drive refused; a page that is neither is reported by its title', () => {
  const quota = readDrivePage(
    '<p class="uc-error-caption">Sorry, you can\'t view or download this file at this time.</p><p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently. Please try accessing the file again later.</p>',
    PAGE_URL,
  );
  assert.ok(quota.kind === 'error' && quota.problem === 'quota' && quota.detail.startsWith('Too many users'), JSON.stringify(quota));
  const missing = readDrivePage('<title>Google Drive - Page Not Found</title><p>Sorry, the file you have requested does not exist.</p>', PAGE_URL);
  assert.ok(missing.kind === 'error' && missing.problem === 'not-found');
  const access = readDrivePage('<title>Google Drive</title><h1>You need access</h1><p>Ask for access, or switch to an account with access.</p>', PAGE_URL);
  assert.ok(access.kind === 'error' && access.problem === 'access');
  const other = readDrivePage('<p class="uc-error-subcaption">Something new went wrong.</p>', PAGE_URL);
  assert.deepEqual(other, { kind: 'error', problem: 'other', detail: 'Something new went wrong.' });
  assert.deepEqual(readDrivePage('<html><head><title>Welcome &amp; hello</title></head><body>Hi</body></html>', PAGE_URL), { kind: 'unknown', title: 'Welcome & hello' });
});

test('a Drive address is known by its file id, whatever tokens it carries', () => {
  const authors = `https://drive.usercontent.google.com/download?id=${DRIVE_FILE_ID}&export=download&authuser=0&confirm=t&uuid=0157b121-1a68-47b8-b18c-85da46cc8a7c&at=ALoNOgnSndW4Mb2dwK97jXgZfnoN:1747818340710`;
  assert.equal(driveFileId(authors), DRIVE_FILE_ID);
  assert.equal(driveFileId(`https://drive.google.com/uc?export=download&id=${DRIVE_FILE_ID}`), DRIVE_FILE_ID);
  assert.equal(driveFileId(`https://drive.google.com/file/d/${DRIVE_FILE_ID}/view?usp=sharing`), DRIVE_FILE_ID);
  assert.equal(driveFileId('https://www.dropbox.com/s/abc/file.pth?id=1'), undefined);
  assert.equal(driveFileId('not a url'), undefined);
});

// A body that is not a multiple of anything, large enough to be cut mid-way.
const BODY = Buffer.from(Array.from({ length: 700_001 }, (_, i) => (i * 7919) % 251));

async function withDrive(body: Buffer, mode: FakeDrive['mode'], run: (drive: FakeDrive, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-drive-'));
  const drive = await fakeDrive(body, mode);
  try {
    await run(drive, dir);
  } finally {
    await drive.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('through the redirect and the confirm form to the bytes', () =>
  withDrive(BODY, 'form', async (drive, dir) => {
    const dest = path.join(dir, 'sync.pth');
    const result = await downloadFile(drive.url, dest, { open: driveOpener(), retryDelayMs: 10 });
    assert.ok(readFileSync(dest).equals(BODY));
    assert.equal(result.bytes, BODY.length);
    assert.deepEqual(
      drive.requests.map((r) => r.path),
      ['/uc', '/download', '/download'],
    );
    assert.equal(drive.requests[2]!.query.get('uuid'), drive.uuids[0]);
  }));

test('an interrupted Drive download resumes in the next run although the confirm page issues a new uuid', () =>
  withDrive(BODY, 'form', async (drive, dir) => {
    const dest = path.join(dir, 'sync.pth');
    drive.dropAfter = { bytes: 250_000, times: 1 };
    await assert.rejects(downloadFile(drive.url, dest, { open: driveOpener(), retries: 0 }), /download interrupted.*run the command again to resume/);
    const kept = readFileSync(`${dest}.part`).length;
    assert.ok(kept > 0 && kept <= 250_000, `kept ${kept}`);

    const result = await downloadFile(drive.url, dest, { open: driveOpener(), retryDelayMs: 10 });
    assert.equal(result.resumedFrom, kept);
    assert.ok(readFileSync(dest).equals(BODY));
    assert.equal(drive.uuids.length, 2);
    assert.notEqual(drive.uuids[0], drive.uuids[1]);
    const last = drive.requests.at(-1)!;
    assert.equal(last.query.get('uuid'), drive.uuids[1]);
    assert.equal(last.range, `bytes=${kept}-`);
    assert.equal(last.ifRange, '"v1"');
    assert.deepEqual(drive.served.at(-1), { status: 206, range: `bytes=${kept}-` });
  }));

test('a file that changed on Drive between runs is downloaded again, not appended to', () =>
  withDrive(BODY, 'form', async (drive, dir) => {
    const dest = path.join(dir, 'sync.pth');
    drive.dropAfter = { bytes: 100_000, times: 1 };
    await assert.rejects(downloadFile(drive.url, dest, { open: driveOpener(), retries: 0 }));
    const changed = Buffer.from(BODY).reverse();
    drive.body = changed;
    drive.etag = '"v2"';
    await downloadFile(drive.url, dest, { open: driveOpener(), retryDelayMs: 10 });
    assert.ok(readFileSync(dest).equals(changed));
    // The resume was asked for (Range with the old ETag); Drive answered with the whole new file.
    const last = drive.served.at(-1)!;
    assert.equal(last.status, 200);
    assert.match(last.range ?? '', /^bytes=\d+-$/);
  }));

test('the older link and cookie confirm flows also reach the bytes', async () => {
  for (const mode of ['link', 'cookie'] as const) {
    await withDrive(BODY, mode, async (drive, dir) => {
      const dest = path.join(dir, 'sync.pth');
      await downloadFile(drive.url, dest, { open: driveOpener(), retryDelayMs: 10 });
      assert.ok(readFileSync(dest).equals(BODY), mode);
      if (mode === 'cookie') assert.match(drive.requests.at(-1)!.cookie ?? '', /download_warning_\d+_\w+=xY_9/);
    });
  }
});

test('Drive refusals are errors naming the address and the problem, and leave no file behind', async () => {
  const cases = [
    ['quota', /Google Drive will not serve .*\/uc\?export=download&id=\w+: its download quota is used up.*try again later.*foley model import FILE --name sync/],
    ['missing', /Google Drive will not serve .*: there is no such file/],
    ['signin', /Google Drive will not serve .*: the file is not shared publicly/],
  ] as const;
  for (const [mode, message] of cases) {
    await withDrive(BODY, mode, async (drive, dir) => {
      const dest = path.join(dir, 'sync.pth');
      const started = Date.now();
      await assert.rejects(downloadFile(drive.url, dest, { open: driveOpener({ name: 'sync' }), retryDelayMs: 2000 }), message);
      assert.ok(Date.now() - started < 1500, `${mode}: a refusal is not retried`);
      assert.ok(!existsSync(dest) && !existsSync(`${dest}.part`) && !existsSync(`${dest}.part.json`), mode);
    });
  }
});

test('a page Drive never sent before, or an endless chain of pages, ends in an error that says so', async () => {
  const page = (body: string): Response => new Response(body, { status: 200, headers: { 'Content-Type': 'text/html; charset=UTF-8' } });
  const unknown = driveOpener({ fetch: () => Promise.resolve(page('<html><head><title>Something else</title></head><body>Hello</body></html>')) });
  await assert.rejects(unknown(PAGE_URL, { headers: {} }), /Google Drive answered https:\/\/drive\.usercontent\.google\.com\/download\?id=FILE&export=download with a page titled "Something else" \(HTTP 200\) that Foley does not recognise/);
  let hops = 0;
  const endless = driveOpener({
    fetch: (url) => {
      hops++;
      return Promise.resolve(page(`<form id="download-form" action="${url}"><input type="hidden" name="id" value="FILE"><input type="hidden" name="uuid" value="${hops}"></form>`));
    },
  });
  await assert.rejects(endless(PAGE_URL, { headers: {} }), /kept answering .* with redirects and confirm pages \(8 of them\)/);
  assert.equal(hops, 8);
});

test('"sync" is in the catalog: a pretrained CAV-MAE Sync file on Drive, checked by an estimated size range', () => {
  const sync = findOfficial('sync')!;
  assert.equal(sync.title, 'CAV-MAE Sync (CVPR 2025)');
  assert.equal(driveFileId(sync.url), DRIVE_FILE_ID);
  assert.doesNotMatch(sync.url, /uuid=|at=/, 'session tokens expire: the catalog keeps the stable address');
  assert.deepEqual([sync.kind, sync.numClasses, sync.family], ['pretrained', null, 'cavmae-sync']);
  const bounds = sizeBounds(sync);
  assert.ok(bounds.estimated && bounds.min < sync.approxBytes && sync.approxBytes < bounds.max);
  checkSize(sync, 762_000_000, '/d/sync.pth');
  assert.throws(() => checkSize(sync, 2_300_000_000, '/d/sync.pth'), /should be 625 MB–920 MB \(estimated from its architecture.*foley model import \/d\/sync\.pth --name sync/);
  // The CAV-MAE entries keep their measured size, ±5 %.
  const scale = findOfficial('scale++')!;
  assert.deepEqual(sizeBounds(scale), { min: scale.approxBytes * 0.95, max: scale.approxBytes * 1.05, estimated: false });
  assert.throws(() => checkSize(scale, 700_000_000, '/d/scale++.pth'), /expected about 764388756/);
});

test('the structure check wants a Sync model with 8 registers and 416 audio frames, and CAV-MAE for CAV-MAE', () => {
  const sync = findOfficial('sync')!;
  const base = { kind: 'pretrained', numClasses: null, embedDim: 768, audioFrames: 416 };
  const syncConfig = (extra: Record<string, unknown>): ModelConfig => ({ ...base, family: 'cavmae-sync', registers: 8, ...extra }) as unknown as ModelConfig;
  checkStructure(sync, syncConfig({}), '/d/sync.pth');
  assert.throws(() => checkStructure(sync, syncConfig({ registers: 4 }), '/d/sync.pth'), /register tokens is 4, but sync's is 8/);
  assert.throws(() => checkStructure(sync, syncConfig({ audioFrames: 1024 }), '/d/sync.pth'), /audio frames is 1024, but sync's is 416/);
  assert.throws(() => checkStructure(sync, syncConfig({ embedDim: 32 }), '/d/sync.pth'), /width is 32, but sync's is 768/);
  assert.throws(() => checkStructure(sync, syncConfig({ kind: 'finetuned', numClasses: 309 }), '/d/sync.pth'), /a 309-class fine-tuned model, but sync is a pretrained model/);
  const cavmae = { ...base, audioFrames: 1024 } as unknown as ModelConfig;
  assert.throws(() => checkStructure(sync, cavmae, '/d/sync.pth'), /not a CAV-MAE Sync checkpoint \(it reads as CAV-MAE\)/);
  // CAV-MAE entries: a config without a family is what they want; a Sync model is not.
  checkStructure(findOfficial('scale++')!, cavmae, '/d/scale++.pth');
  assert.throws(() => checkStructure(findOfficial('scale++')!, syncConfig({}), '/d/scale++.pth'), /not a CAV-MAE checkpoint \(it reads as CAV-MAE Sync\)/);
});

test('"model download sync" goes through the confirm page to the importer, which refuses a CAV-MAE file', () =>
  withDrive(readFileSync(path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth')), 'form', async (drive, dataDir) => {
    await assert.rejects(downloadOfficialModel(dataDir, 'sync', { url: drive.url, retryDelayMs: 10 }), (e: Error) => {
      assert.match(e.message, /sync\.pth: the download is not a CAV-MAE Sync checkpoint \(it reads as CAV-MAE\), so it is not sync; delete it to download again/);
      return true;
    });
    assert.equal(drive.uuids.length, 1, 'the confirm page was followed');
    assert.equal(drive.served.length, 1);
    assert.equal((await listModels(dataDir)).length, 0, 'a wrong download must not be installed');
    assert.ok(existsSync(path.join(dataDir, 'checkpoints', 'sync.pth')), 'the download is kept where the message says');
  }));

test('"model download sync" reports Drive\'s quota page and saves nothing', () =>
  withDrive(BODY, 'quota', async (drive, dataDir) => {
    await assert.rejects(downloadOfficialModel(dataDir, 'sync', { url: drive.url, retryDelayMs: 10 }), /its download quota is used up.*--name sync/);
    assert.deepEqual(existsSync(path.join(dataDir, 'checkpoints')) ? readdirSync(path.join(dataDir, 'checkpoints')) : [], []);
  }));
