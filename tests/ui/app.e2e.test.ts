// The app end to end: `foley serve` on a small generated library, driven in Debian's Chromium.
// One browser and one server for the file; the steps run in order like a new user's first session:
// empty state → add a folder (indexing progress live, a failed file with its reason) → drop a sound →
// results with thumbnails → play a moment → search from that moment. Screenshots go to
// tests/artifacts/ui/.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launchChromium, makeUiLibrary, startServe, waitForExpr, watchErrors, dropFile } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';
import { writeSmallCheckpoint } from '../helpers/precision-checkpoints.ts';

describe('desktop UI over foley serve (Chromium)', { timeout: 90_000 }, () => {
  let lib: UiLibrary;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    [served, browser] = await Promise.all([startServe(lib.dataDir), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('the printed URL opens the app; the token becomes a cookie and leaves the address bar', async () => {
    const res = await page.goto(served.url);
    assert.equal(res?.status(), 200);
    assert.equal(page.url(), `${served.origin}/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    const cookies = await page.context().cookies();
    const c = cookies.find((k) => k.name === 'foley_token');
    assert.ok(c?.httpOnly === true && c.sameSite === 'Strict', 'HttpOnly SameSite=Strict cookie');
    // A new user is told what to do first.
    await page.getByTestId('first-step').getByText('Add your videos').waitFor();
    await shot('01-empty-library');
  });

  test('adding a folder indexes it with live progress; the failed file shows its reason', async () => {
    await page.getByRole('tab', { name: 'Library' }).click();
    // Record every progress value the page shows while indexing runs.
    // (Browser-side code is passed as strings: this file is type-checked without the DOM library.)
    await page.evaluate(`(() => {
      const seen = (window.seen = []);
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid=index-progress]');
        if (el !== null) {
          const v = el.getAttribute('data-phase') + ':' + el.getAttribute('data-files-done');
          if (seen[seen.length - 1] !== v) seen.push(v);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await page.getByLabel('Folder path').fill(lib.root);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByTestId('index-progress').waitFor();
    await shot('02-indexing');
    await page.getByTestId('index-last').waitFor({ timeout: 60_000 });
    const seen = (await page.evaluate('window.seen')) as string[];
    const indexing = seen.filter((s) => s.startsWith('indexing:'));
    assert.ok(new Set(indexing).size >= 2, `progress updated live: ${seen.join(' ')}`);
    assert.ok(seen.includes('done:4'), `finished with 4 files: ${seen.join(' ')}`);
    const failures = page.getByTestId('failures');
    await failures.getByText('broken.mp4').waitFor();
    assert.match(await failures.innerText(), /broken\.mp4\s*[^\n]*(Invalid data|media info)/i);
    assert.match(await page.getByTestId('library-counts').innerText(), /3 of 4 files indexed/);
    await shot('03-indexed-with-failure');
  });

  test('dropping a sound shows moments with thumbnails', async () => {
    await page.getByRole('tab', { name: 'Search' }).click();
    await dropFile(page, lib.queryWav, 'query-440.wav', 'audio/wav');
    const results = page.getByTestId('result');
    await results.first().waitFor();
    assert.equal(await results.count(), 3, 'one moment per indexed file');
    // Thumbnails are real PNGs made at index time.
    await waitForExpr(page, `[...document.querySelectorAll('[data-testid=thumb]')].every((i) => i.complete && i.naturalWidth > 0)`);
    const widths = (await page.evaluate(`[...document.querySelectorAll('[data-testid=thumb]')].map((i) => i.naturalWidth)`)) as number[];
    assert.ok(widths.every((w) => w === 96), `thumbnail widths ${widths.join(',')}`);
    assert.match(await page.getByTestId('announce').innerText(), /3 moments found for sound “query-440\.wav”/);
    await shot('04-results');
  });

  test('clicking a moment plays the video there', async () => {
    // The 21-s clip has three windows; play its best one.
    const result = page.getByTestId('result').filter({ hasText: 'a440.mp4' });
    const at = Number(await result.getAttribute('data-at'));
    await result.click();
    await page.getByTestId('player').waitFor();
    const video = `document.querySelector('[data-testid=video]')`;
    await waitForExpr(page, `${video} !== null && ${video}.readyState >= 2 && ${video}.currentTime >= ${at - 0.05} && ${video}.currentTime < ${at + 3}`);
    const state = (await page.evaluate(`({ t: ${video}.currentTime, duration: ${video}.duration })`)) as { t: number; duration: number };
    assert.ok(Math.abs(state.duration - 21) < 0.5, `duration ${state.duration}`);
    assert.ok(state.t >= at - 0.05 && state.t < at + 3, `currentTime ${state.t} at moment ${at}`);
    await shot('05-playing');
  });

  test('"search from this moment" searches with the playing frame and with its sound', async () => {
    await page.getByTestId('from-frame').click();
    await page.getByTestId('announce').getByText(/moments found for the frame of a440\.mp4/).waitFor();
    assert.ok((await page.getByTestId('result').count()) >= 2, 'other moments found from the frame');
    await shot('06-from-frame');
    await page.getByTestId('from-sound').click();
    await page.getByTestId('announce').getByText(/moments found for the sound of a440\.mp4/).waitFor();
    assert.ok((await page.getByTestId('result').count()) >= 2);
    // Both queries are kept as recent queries.
    assert.ok((await page.getByRole('navigation', { name: 'Recent queries' }).getByRole('button').count()) >= 3);
    await shot('07-from-sound');
  });

  test('the models page shows the installed model and the provider', async () => {
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByTestId('models').getByText('tiny').waitFor();
    assert.match(await page.getByTestId('provider').innerText(), /CPU/);
    await shot('08-models');
  });

  test('importing from the Models page measures the precision and shows the figures', { timeout: 60_000 }, async () => {
    const ckpt = writeSmallCheckpoint(lib.base, 'plain');
    await page.getByLabel('Checkpoint file (.pth or .safetensors)').fill(ckpt);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const figures = page.getByTestId('models').getByTestId('calibration');
    await figures.waitFor({ timeout: 45_000 });
    const text = await figures.innerText();
    assert.match(text, /Precision chosen by measurement on CPU: int8 \(32 sounds, 32 pictures, \d+\.\d s\)/);
    assert.match(text, /int8 agrees: sounds min cosine 0\.99\d+, mean 0\.99\d+, neighbours (9[89]|100)\.\d%; pictures min cosine 0\.99\d+/);
    await shot('08b-models-precision');
  });

  test('keyboard: the section tabs move with the arrow keys; dark theme follows the OS', async () => {
    await page.getByRole('tab', { name: 'Models' }).focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getByRole('tab', { name: 'Library' }).getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate('document.activeElement.id'), 'tab-library');
    await page.keyboard.press('Home');
    assert.equal(await page.getByRole('tab', { name: 'Search' }).getAttribute('aria-selected'), 'true');
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    assert.equal(bg, 'rgb(20, 20, 24)');
    await shot('09-search-dark');
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(errors, []);
  });
});
