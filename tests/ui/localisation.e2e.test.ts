// Localisation in the app, in Debian's Chromium over `foley serve`: a sound search's pictures get a
// heatmap toggle (drawn over the centre square, with opacity and a legend) on the thumbnail and in
// the player; a picture search's sounds show their spectrogram with the audio map and the peak time,
// and playing one starts there; an uploaded picture does the same. Maps made once are kept per query
// and window (running the query again asks nothing). Screenshots: tests/artifacts/ui/30–33.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ffmpeg } from '../indexing/helpers.ts';
import { ARTIFACTS, indexViaApi, launchChromium, makeUiLibrary, startServe, waitForExpr, watchErrors, dropFile } from './helpers.ts';
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
  let localizeCalls = 0;
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    [served, browser] = await Promise.all([startServe(lib.dataDir), launchChromium()]);
    await indexViaApi(served, lib.root);
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    errors = watchErrors(page);
    page.on('request', (r) => {
      if (/\/api\/(localize|call\/localize)\b/.test(r.url())) localizeCalls++;
    });
    await page.goto(served.url);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('a sound search: heatmap toggle on a thumbnail, with opacity and a legend', async () => {
    await dropFile(page, lib.queryWav, 'query-440.wav', 'audio/wav');
    await page.getByTestId('result').first().waitFor();
    assert.equal(await page.getByTestId('heatmap').count(), 0, 'no map until asked for');
    const card = page.locator('li.card').first();
    await card.getByTestId('heatmap-toggle').click();
    assert.equal(await card.getByTestId('heatmap-toggle').getAttribute('aria-pressed'), 'true');
    await card.getByTestId('heatmap').waitFor();
    await waitForExpr(page, drawn('li.card [data-testid=heatmap]'));
    const legend = await card.getByTestId('legend').innerText();
    assert.match(legend, /^cosine\s+-?\d\.\d\d\s+-?\d\.\d\d\b/, legend);
    const [lo, hi] = legend.match(/-?\d\.\d\d/g)!.map(Number);
    assert.ok(lo! < hi!, `legend range ${lo}…${hi}`);
    await page.getByTestId('map-opacity').fill('0.8');
    assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('li.card [data-testid=heatmap] canvas')).opacity`), '0.8');
    // The keyboard: the toggle is a real button (Space turns it off and on again).
    await card.getByTestId('heatmap-toggle').focus();
    await page.keyboard.press('Space');
    assert.equal(await card.getByTestId('heatmap-toggle').getAttribute('aria-pressed'), 'false');
    assert.equal(await card.getByTestId('heatmap').count(), 0);
    await page.keyboard.press('Space');
    await card.getByTestId('heatmap').waitFor();
    // All at once.
    await page.getByTestId('heatmaps-all').click();
    await waitForExpr(page, `document.querySelectorAll('[data-testid=heatmap] canvas').length === document.querySelectorAll('[data-testid=heatmap-toggle]').length`);
    assert.equal(await page.getByTestId('heatmaps-all').getAttribute('aria-pressed'), 'true');
    const label = await card.getByTestId('heatmap').getAttribute('aria-label');
    assert.match(label ?? '', /centre square/);
    const calls = localizeCalls;
    assert.ok(calls >= 1, 'the maps came from localize');
    await page.getByTestId('map-opacity').fill('0.6');
    await shot('30-heatmap-results');

    // The same query again (from the recent list): the maps come from the cache, no call.
    await page.getByRole('navigation', { name: 'Recent queries' }).getByRole('button', { name: /query-440\.wav/ }).click();
    await page.getByTestId('announce').getByText(/moments found/).waitFor();
    await page.locator('li.card').first().getByTestId('heatmap-toggle').click();
    await waitForExpr(page, drawn('li.card [data-testid=heatmap]'));
    assert.equal(localizeCalls, calls, 'no new localize call for maps already made');
  });

  test('the player: the heatmap over the frame the map was made from, inside the letterbox', async () => {
    // The 21-s clip's window: its middle frame is what the map was computed on.
    const result = page.getByTestId('result').filter({ hasText: 'a440.mp4' });
    const start = Number(await result.getAttribute('data-at'));
    const end = Number(await result.getAttribute('data-end'));
    await result.click();
    const v = `document.querySelector('[data-testid=video]')`;
    await waitForExpr(page, `${v} !== null && ${v}.readyState >= 2`);
    await page.getByTestId('player-heatmap').click();
    assert.equal(await page.getByTestId('player-heatmap').getAttribute('aria-pressed'), 'true');
    await page.locator('[data-testid=player] [data-testid=heatmap]').waitFor();
    await waitForExpr(page, drawn('[data-testid=player] [data-testid=heatmap]'));
    await waitForExpr(page, `${v}.paused && !${v}.seeking && Math.abs(${v}.currentTime - ${(start + end) / 2}) < 0.1`);
    // object-fit: contain letterboxes the picture; the map sits on its centre square.
    const geo = (await page.evaluate(`(() => {
      const v = ${v};
      const box = v.getBoundingClientRect();
      const c = document.querySelector('[data-testid=player] [data-testid=heatmap] canvas').getBoundingClientRect();
      return { box: [box.left, box.top, box.width, box.height], w: v.videoWidth, h: v.videoHeight, c: [c.left, c.top, c.width, c.height] };
    })()`)) as { box: number[]; w: number; h: number; c: number[] };
    const [bl, bt, bw, bh] = geo.box as [number, number, number, number];
    const scale = Math.min(bw / geo.w, bh / geo.h);
    const side = Math.min(geo.w, geo.h) * scale;
    const want = [bl + (bw - side) / 2, bt + (bh - side) / 2, side, side];
    assert.ok(geo.c.every((x, i) => Math.abs(x - want[i]!) < 1.5), `map ${geo.c.map((x) => x.toFixed(1))} over the centre square ${want.map((x) => x.toFixed(1))}`);
    assert.match(await page.getByTestId('player-map-note').innerText(), /centre square the model sees/);
    assert.match(await page.locator('[data-testid=player] [data-testid=legend]').innerText(), /cosine/);
    await page.getByTestId('player-heatmap').scrollIntoViewIfNeeded();
    await shot('31-heatmap-player');
    // Playing moves off that frame: the map goes.
    await page.evaluate(`${v}.play()`);
    await waitForExpr(page, `document.querySelector('[data-testid=player] [data-testid=heatmap]') === null`);
    assert.equal(await page.getByTestId('player-heatmap').getAttribute('aria-pressed'), 'false');
    await page.evaluate(`${v}.pause()`);
  });

  test('a picture search: spectrograms with the audio map, the peak time, and playback from it', async () => {
    await page.getByTestId('from-frame').click();
    await page.getByTestId('peak').first().waitFor();
    await waitForExpr(page, `[...document.querySelectorAll('[data-testid=spectrogram] img')].every((i) => i.complete && i.naturalWidth === 512 && i.naturalHeight === 128)`);
    await waitForExpr(page, drawn('[data-testid=spectrogram] [data-testid=heatmap]'));
    assert.equal(await page.getByTestId('peak-mark').count(), await page.getByTestId('spectrogram').count(), 'a peak mark on each sound');
    const first = page.locator('li.card').first();
    const peak = Number(await first.getByTestId('peak').getAttribute('data-peak'));
    const start = Number(await first.getByTestId('result').getAttribute('data-at'));
    assert.ok(peak >= start && peak <= start + 10, `peak ${peak} inside the window from ${start}`);
    assert.match(await first.getByTestId('peak').innerText(), /^heard at \d+:\d\d\.\d$/);
    assert.match(await first.getByTestId('legend').innerText(), /^cosine\s+-?\d\.\d\d\s+-?\d\.\d\d\b/);
    await page.getByText(/moments for the frame of/).scrollIntoViewIfNeeded();
    await shot('32-spectrogram-map');
    await first.getByTestId('result').click();
    const v = `document.querySelector('[data-testid=video]')`;
    await waitForExpr(page, `${v} !== null && ${v}.readyState >= 2 && Math.abs(${v}.currentTime - ${peak}) < 0.6`);
    await page.getByTestId('player-peak').waitFor();
    await waitForExpr(page, drawn('[data-testid=player] [data-testid=spectrogram] [data-testid=heatmap]'));
  });

  test('an uploaded picture: its sounds get spectrogram maps and peaks through the upload route', async () => {
    const png = path.join(lib.base, 'frame.png');
    await ffmpeg(['-ss', '5', '-i', path.join(lib.root, 'tones', 'b880.mp4'), '-frames:v', '1', png]);
    const before = localizeCalls;
    await dropFile(page, png, 'frame.png', 'image/png');
    await page.getByTestId('announce').getByText(/moments found for picture “frame\.png”/).waitFor();
    await page.getByTestId('peak').first().waitFor();
    const cards = `[...document.querySelectorAll('li.card')].filter((c) => c.querySelector('[data-testid=spectrogram]') !== null)`;
    await waitForExpr(page, `${cards}.length > 0 && ${cards}.every((c) => c.querySelector('[data-testid=peak], [data-testid=map-failed]') !== null)`, 30_000);
    assert.equal(await page.getByTestId('map-failed').count(), 0, 'every sound localised');
    await waitForExpr(page, drawn('li.card [data-testid=spectrogram] [data-testid=heatmap]'));
    assert.ok(localizeCalls > before, 'maps asked for with the uploaded picture');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByText(/moments for picture/).scrollIntoViewIfNeeded();
    await shot('33-spectrogram-upload-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(errors, []);
  });
});
