// Recording from the microphone, end to end, with Chromium's fake capture device (a steady beep):
// permission is granted by the fake UI flag, the recording stops after the user's second click, is
// uploaded as the query, and results come back for it.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, CHROMIUM_ARGS, indexViaApi, makeUiLibrary, startServe, watchErrors } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';

describe('microphone query (Chromium fake device)', { timeout: 90_000 }, () => {
  let lib: UiLibrary;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    served = await startServe(lib.dataDir);
    await indexViaApi(served, lib.root);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('record, stop, and the recording is the query', async () => {
    await page.goto(served.url);
    const record = page.getByRole('button', { name: 'Record from microphone' });
    await record.click();
    const stop = page.getByRole('button', { name: 'Stop recording' });
    await stop.waitFor();
    assert.equal(await stop.getAttribute('aria-pressed'), 'true');
    await new Promise((r) => setTimeout(r, 1500));
    await stop.click();
    await page.getByTestId('result').first().waitFor({ timeout: 20_000 });
    assert.match(await page.getByTestId('announce').innerText(), /moments? found for sound “microphone/);
    assert.ok((await page.getByTestId('result').count()) >= 1);
    await page.screenshot({ path: path.join(ARTIFACTS, '19-microphone.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
