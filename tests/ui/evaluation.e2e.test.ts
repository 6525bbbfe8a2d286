// The Models page evaluates the installed model on this library (`eval.run` over foley serve, progress
// as 'eval' events) and shows its figures, in Debian's Chromium. Screenshot: tests/artifacts/ui/40-….
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, indexViaApi, launchChromium, makeUiLibrary, startServe, watchErrors } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';

describe('evaluation on the Models page (Chromium)', { timeout: 60_000 }, () => {
  let lib: UiLibrary;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    [served, browser] = await Promise.all([startServe(lib.dataDir), launchChromium()]);
    await indexViaApi(served, lib.root);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = watchErrors(page);
    await page.goto(served.url);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('Evaluate fills the row of the model with R@1/5/10 both ways', async () => {
    await page.getByRole('tab', { name: 'Models' }).click();
    const row = page.locator('[data-testid=eval-row][data-model=tiny]');
    await row.getByText('not evaluated yet').waitFor();
    await row.getByTestId('eval-run').click();
    await row.getByTestId('eval-a2v').waitFor();
    // Three files with a sound and a picture (the broken one is not indexed).
    assert.equal(await row.locator('td').first().innerText(), '3');
    for (const id of ['eval-a2v', 'eval-v2a']) {
      const text = await row.getByTestId(id).innerText();
      const m = /^([\d.]+) \/ ([\d.]+) \/ ([\d.]+) · MR ([\d.]+)$/.exec(text);
      assert.ok(m !== null, text);
      const [r1, r5, r10] = [Number(m[1]), Number(m[2]), Number(m[3])];
      assert.ok(r1 <= r5 && r5 <= r10 && r10 === 100, `${id}: ${text} (3 files: everything is in the top 10)`);
    }
    await page.getByTestId('evaluation').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, '40-models-evaluation.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
