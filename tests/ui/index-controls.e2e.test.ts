// Indexing controls in the Library tab: Pause holds the run (no file finishes while paused), Resume
// lets it go on, Cancel ends it keeping what was committed; the next run indexes only the rest.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { importModel } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';
import { ARTIFACTS, callServe, launchChromium, startServe, waitForExpr, watchErrors } from './helpers.ts';
import type { Served } from './helpers.ts';

describe('indexing pause, resume and cancel from the UI (Chromium)', { timeout: 120_000 }, () => {
  let base: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const FILES = 12;
  const phase = `document.querySelector('[data-testid=index-progress]')`;
  const filesDone = async (): Promise<number> => Number(await page.evaluate(`${phase}?.getAttribute('data-files-done') ?? -1`));

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-ui-controls-'));
    const root = path.join(base, 'videos');
    mkdirSync(root);
    // Enough 3-window files that the run lasts a few seconds with the tiny model.
    await Promise.all(Array.from({ length: FILES }, (_, i) => makeClip(path.join(root, `clip${String(i).padStart(2, '0')}.mp4`), 25, 300 + 60 * i)));
    await importModel(path.join(base, 'data'), path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
    [served, browser] = await Promise.all([startServe(path.join(base, 'data')), launchChromium()]);
    await callServe(served, 'library.addRoot', { path: root });
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

  test('pause holds the run, resume continues it, cancel stops it and keeps finished files', async () => {
    await page.getByTestId('index-start').click();
    await waitForExpr(page, `${phase} !== null && Number(${phase}.getAttribute('data-files-done')) >= 1`, 30_000);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await waitForExpr(page, `${phase}?.getAttribute('data-phase') === 'paused'`, 15_000);
    const heldAt = await filesDone();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await filesDone(), heldAt, 'no file finished while paused');
    await page.screenshot({ path: path.join(ARTIFACTS, '20-indexing-paused.png'), fullPage: true });

    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForExpr(page, `Number(${phase}?.getAttribute('data-files-done')) > ${heldAt}`, 30_000);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await waitForExpr(page, `document.querySelector('[data-testid=index-last]')?.textContent?.includes('cancelled') === true`, 30_000);
    const s = (await callServe(served, 'status')) as { library: { files: { indexed: number; total: number } } };
    assert.ok(s.library.files.indexed > heldAt && s.library.files.indexed < FILES, `indexed ${s.library.files.indexed} of ${FILES}`);
    await page.screenshot({ path: path.join(ARTIFACTS, '21-indexing-cancelled.png'), fullPage: true });

    // The next run picks up only what is left.
    const before = s.library.files.indexed;
    await page.getByTestId('index-start').click();
    await waitForExpr(page, `document.querySelector('[data-testid=index-last]')?.textContent?.includes('done') === true`, 60_000);
    const last = await page.getByTestId('index-last').innerText();
    assert.match(last, new RegExp(`done, ${FILES - before} indexed, ${before} unchanged`));
    assert.deepEqual(errors, []);
  });
});
