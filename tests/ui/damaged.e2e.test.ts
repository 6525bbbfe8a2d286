// The Library page names damaged files: a clip cut at 60 % is indexed up to the cut and listed as
// damaged with what was indexed; a clip cut before its index (moov) is listed as failed with its
// reason; the whole clip is neither. `foley serve` over HTTP, driven in Debian's Chromium.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { importModel } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { ffmpeg } from '../indexing/helpers.ts';
import { ARTIFACTS, indexViaApi, launchChromium, startServe, watchErrors } from './helpers.ts';
import type { Served } from './helpers.ts';

describe('damaged files on the Library page (Chromium)', { timeout: 90_000 }, () => {
  let base: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-ui-damaged-'));
    const root = path.join(base, 'videos');
    mkdirSync(root);
    const clip = (file: string, extra: readonly string[]): Promise<void> =>
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=5:duration=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=25',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...extra, file]);
    await clip(path.join(root, 'whole.mp4'), ['-movflags', '+faststart']);
    await clip(path.join(base, 'front.mp4'), ['-movflags', '+faststart']);
    await clip(path.join(base, 'back.mp4'), []);
    const cut = (from: string, to: string, fraction: number): void => {
      const bytes = readFileSync(from);
      writeFileSync(to, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    };
    cut(path.join(base, 'front.mp4'), path.join(root, 'cut-front.mp4'), 0.6);
    cut(path.join(base, 'back.mp4'), path.join(root, 'cut-back.mp4'), 0.6);
    await importModel(path.join(base, 'data'), path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
    [served, browser] = await Promise.all([startServe(path.join(base, 'data')), launchChromium()]);
    await indexViaApi(served, root);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = watchErrors(page);
    await page.goto(served.url);
    await page.getByRole('tab', { name: 'Library' }).click();
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  test('the cut file is listed as damaged with what was indexed; the unreadable one as failed', async () => {
    const damaged = page.getByTestId('damaged');
    await damaged.getByText('cut-front.mp4').waitFor();
    const text = await damaged.innerText();
    assert.match(text, /cut-front\.mp4\s*damaged\s*the file is cut short: sound ends at 1\d\.\d s of 25\.0 s; indexed 0–1\d(?:\.\d)? s of 25 s/);
    assert.doesNotMatch(text, /whole\.mp4|cut-back\.mp4/);
    const failures = await page.getByTestId('failures').innerText();
    assert.match(failures, /cut-back\.mp4\s*nothing can be read: the file is cut short or was never finished/);
    assert.match(await page.getByTestId('library-counts').innerText(), /2 of 3 files indexed .*· 1 damaged \(indexed in part\) · 1 failed/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'damaged-library.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
