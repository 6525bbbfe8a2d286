// A CAV-MAE Sync model (random small weights in the official layout) as the default model of the app,
// in Debian's Chromium through `foley serve`: a dropped sound finds frame-level moments, each card says
// which frame ("frame at m:ss.t", inside its moment) and plays from there; the Models page names the
// family. Screenshot: tests/artifacts/ui/41-….
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { importModel, setDefaultModel } from '../../core/models/store.ts';
import { randomSyncStateDict, SYNC_FULL_SIZE, writeSafetensors } from '../../bench/random-checkpoint.ts';
import { ARTIFACTS, dropFile, indexViaApi, launchChromium, makeUiLibrary, startServe, waitForExpr, watchErrors } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';

describe('CAV-MAE Sync in the app (Chromium)', { timeout: 90_000 }, () => {
  let lib: UiLibrary;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    const ckpt = path.join(lib.base, 'sync.safetensors');
    writeSafetensors(ckpt, randomSyncStateDict({ ...SYNC_FULL_SIZE, embedDim: 32, numHeads: 2, mlpHidden: 128 }, 9));
    await importModel(lib.dataDir, ckpt, { name: 'sync', heads: 2 });
    await setDefaultModel(lib.dataDir, 'sync');
    [served, browser] = await Promise.all([startServe(lib.dataDir), launchChromium()]);
    await indexViaApi(served, lib.root, 60_000);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = watchErrors(page);
    await page.goto(served.url);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('a dropped sound finds frames: each card names its frame time, inside its moment', async () => {
    await dropFile(page, lib.queryWav, 'query-440.wav', 'audio/wav');
    await page.getByTestId('result').first().waitFor();
    const cards = page.locator('li.card');
    const n = await cards.count();
    assert.ok(n > 0);
    for (let i = 0; i < n; i++) {
      const card = cards.nth(i);
      const at = Number(await card.getByTestId('frame-at').getAttribute('data-at'));
      const text = await card.getByTestId('frame-at').innerText();
      assert.match(text, /^frame at \d+:\d\d\.\d$/);
      const when = await card.locator('.when').innerText();
      assert.match(when, /^\d+:\d\d–\d+:\d\d$/, when);
      // Frames are 0.64 s apart from the window start: 2, 6, 10, 14 with 4 moments; a window too short
      // for any (a440's last second) has the one frame nearest its middle.
      // The card's picture is its frame, not the window's middle.
      const src = (await card.getByTestId('thumb').getAttribute('src')) ?? '';
      assert.match(src, new RegExp(`/api/media/frame/\\d+/${Math.round(at * 1000)}\\.png$`), src);
      const start = Number(await card.getByTestId('result').getAttribute('data-at'));
      const end = Number(await card.getByTestId('result').getAttribute('data-end'));
      const k = Math.round((at - start) / 0.64);
      const allowed = end - start > 1.28 ? [2, 6, 10, 14] : [Math.round((end - start) / 2 / 0.64)];
      assert.ok(allowed.includes(k) && Math.abs(start + 0.64 * k - at) < 1e-6, `frame ${at} in the window ${start}–${end}`);
    }
    // Thumbnails of a frame-level model's windows are made on first request (none is written at index time).
    await waitForExpr(page, `[...document.querySelectorAll('img.thumb')].every((i) => i.complete && i.naturalWidth > 0)`);
    await page.screenshot({ path: path.join(ARTIFACTS, '41-sync-frame-moments.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('the Models page names the family and evaluates Sync by its clip score', async () => {
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByText('CAV-MAE Sync pretrained').first().waitFor();
    const row = page.locator('[data-testid=eval-row][data-model=sync]');
    await row.getByTestId('eval-run').click();
    await row.getByTestId('eval-a2v').waitFor();
    // One window per readable clip (the 4-s clip's holds frame 2 alone and counts on it), whole windows
    // of 4 moments compared by the clip score.
    assert.equal(await row.locator('td').first().innerText(), '3 · 4 moments per window, clip score');
    assert.deepEqual(errors, []);
  });
});
