// Localisation in the app, in Debian's Chromium over `foley serve`: a sound search's pictures get a
// heatmap toggle (drawn over the centre square, with opacity and a legend) on the thumbnail and in
// the player; a picture search's sounds show their spectrogram with the audio map and the peak time,
// and playing one starts there. Screenshots: tests/artifacts/ui/30–32.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, indexViaApi, launchChromium, makeUiLibrary, startServe, waitForExpr, watchErrors } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';

/** Non-transparent, non-uniform pixels of the first canvas under `selector`: the map was drawn. */
const drawn = (selector: string): string => `(() => {
  const c = document.querySelector('${selector} canvas');
  if (c === null || c.width === 0) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255) colours.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
  return colours.size > 3;
})()`;

describe('localisation in the UI (Chromium)', { timeout: 90_000 }, () => {
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
    await indexViaApi(served, lib.root);
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    errors = watchErrors(page);
    await page.goto(served.url);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('a sound search: heatmap toggle on a thumbnail, with opacity and a legend', async () => {
    const wav = readFileSync(lib.queryWav).toString('base64');
    const dt = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob('${wav}'), (c) => c.charCodeAt(0));
      const t = new DataTransfer();
      t.items.add(new File([bytes], 'query-440.wav', { type: 'audio/wav' }));
      return t;
    })()`);
    await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
    await page.getByTestId('result').first().waitFor();
    assert.equal(await page.getByTestId('heatmap').count(), 0, 'no map until asked for');
    const card = page.locator('li.card').first();
    await card.getByTestId('heatmap-toggle').click();
    assert.equal(await card.getByTestId('heatmap-toggle').getAttribute('aria-pressed'), 'true');
    await card.getByTestId('heatmap').waitFor();
    await waitForExpr(page, drawn('li.card [data-testid=heatmap]'));
    const legend = await card.getByTestId('legend').innerText();
    assert.match(legend, /^-?\d\.\d\d\s+-?\d\.\d\d$/, legend);
    await page.getByTestId('map-opacity').fill('0.8');
    assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('li.card [data-testid=heatmap] canvas')).opacity`), '0.8');
    // All at once, then back off.
    await page.getByTestId('heatmaps-all').click();
    await waitForExpr(page, `document.querySelectorAll('[data-testid=heatmap]').length === document.querySelectorAll('[data-testid=heatmap-toggle]').length`);
    await shot('30-heatmap-results');
  });

  test('the player: the heatmap over the frame the map was made from', async () => {
    await page.getByTestId('result').first().click();
    await page.getByTestId('player-heatmap').click();
    await page.locator('[data-testid=player] [data-testid=heatmap]').waitFor();
    await waitForExpr(page, drawn('[data-testid=player] [data-testid=heatmap]'));
    const v = `document.querySelector('[data-testid=video]')`;
    await waitForExpr(page, `${v}.paused && ${v}.readyState >= 2`);
    assert.match(await page.locator('[data-testid=player] [data-testid=legend]').innerText(), /centre square/);
    await shot('31-heatmap-player');
  });

  test('a picture search: spectrograms with the audio map, the peak time, and playback from it', async () => {
    await page.getByTestId('from-frame').click();
    await page.getByTestId('peak').first().waitFor();
    await waitForExpr(page, `[...document.querySelectorAll('[data-testid=spectrogram] img')].every((i) => i.complete && i.naturalWidth === 512 && i.naturalHeight === 128)`);
    await waitForExpr(page, drawn('[data-testid=spectrogram] [data-testid=heatmap]'));
    const first = page.locator('li.card').first();
    const peak = Number(await first.getByTestId('peak').getAttribute('data-peak'));
    const start = Number(await first.getByTestId('result').getAttribute('data-at'));
    assert.ok(peak >= start && peak <= start + 10, `peak ${peak} inside the window from ${start}`);
    assert.match(await first.getByTestId('peak').innerText(), /^heard at \d+:\d\d\.\d$/);
    await shot('32-spectrogram-map');
    await first.getByTestId('result').click();
    const v = `document.querySelector('[data-testid=video]')`;
    await waitForExpr(page, `${v} !== null && ${v}.readyState >= 2 && Math.abs(${v}.currentTime - ${peak}) < 0.6`);
    await page.getByTestId('player-peak').waitFor();
    assert.deepEqual(errors, []);
  });
});
