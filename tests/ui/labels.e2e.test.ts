// Labels and training end to end: `foley serve` (debounce shortened with FOLEY_TRAIN_DEBOUNCE_MS) on the
// small generated library, driven in Debian's Chromium. Label results with the keyboard (L, Shift+L),
// see them in the label manager, training starts by itself after the quiet time and shows its metrics,
// search by label name (labelled first, then predictions with scores), accept/reject suggestions with
// the keyboard (A/R), train on demand, rename a label, export CSV. Screenshots: tests/artifacts/ui/1x-….
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, indexViaApi, launchChromium, makeUiLibrary, startServe, waitForExpr, watchErrors, dropFile } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';

const DEBOUNCE_MS = 1500;

describe('labels and training in the UI over foley serve (Chromium)', { timeout: 60_000 }, () => {
  let lib: UiLibrary;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const row = (name: string) => page.locator(`[data-testid=label-row][data-name="${name}"]`);

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    [served, browser] = await Promise.all([startServe(lib.dataDir, [], { FOLEY_TRAIN_DEBOUNCE_MS: String(DEBOUNCE_MS) }), launchChromium()]);
    // Index through the API (the first e2e file covers doing it in the UI).
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

  test('with no labels, the Labels tab says what to do', async () => {
    await page.getByRole('tab', { name: 'Labels' }).click();
    await page.getByTestId('labels-empty').getByText('Label a few moments to teach Foley').waitFor();
    assert.match(await page.getByTestId('training-status').innerText(), /Nothing to train yet/);
    await shot('10-labels-empty');
  });

  test('L on a focused result labels it; Shift+L labels another as negative', async () => {
    await page.getByRole('tab', { name: 'Search' }).click();
    await dropFile(page, lib.queryWav, 'query-440.wav', 'audio/wav');
    await page.getByTestId('result').first().waitFor();

    await page.getByTestId('result').filter({ hasText: 'a440.mp4' }).focus();
    await page.keyboard.press('l');
    const dialog = page.getByTestId('label-dialog');
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement.id'), 'label-name', 'the name field has focus');
    await page.keyboard.type('tone');
    await shot('11-label-dialog');
    await page.keyboard.press('Enter');
    await page.getByTestId('announce').getByText(/Labelled a440\.mp4 at [\d:]+ as “tone”/).waitFor();
    await dialog.waitFor({ state: 'detached' });
    assert.match(String(await page.evaluate('document.activeElement.dataset.testid')), /^result$/, 'focus returns to the result');

    await page.getByTestId('result').filter({ hasText: 'c1300.mp4' }).focus();
    await page.keyboard.press('Shift+L');
    await dialog.waitFor();
    assert.equal(await page.getByTestId('label-negative').isChecked(), true, 'Shift+L: a negative example');
    // The existing name is offered: pick it from the suggestions under the field.
    await dialog.getByRole('button', { name: 'tone', exact: true }).click();
    await page.keyboard.press('Enter');
    await page.getByTestId('announce').getByText(/Labelled c1300\.mp4 at [\d:]+ as not “tone”/).waitFor();
  });

  test('the label manager counts them; training starts by itself after the quiet time and shows its metrics', async () => {
    await page.getByRole('tab', { name: 'Labels' }).click();
    await row('tone').waitFor();
    assert.match(await row('tone').innerText(), /tone\s+1\s+1/);
    // One positive: nothing to leave out, so sound and picture count alike.
    assert.equal(await row('tone').getByTestId('label-learned-from').innerText(), 'sound and picture (50 / 50 %)');
    await shot('12-label-manager');
    // Nobody presses "Train now": the debounced run starts and finishes on its own.
    const last = page.getByTestId('training-last');
    await last.waitFor({ timeout: 20_000 });
    assert.equal(await last.getAttribute('data-status'), 'done');
    assert.match(await last.innerText(), /Trained on \d+ moments \(\d+ held out\)/);
    assert.match(await last.innerText(), /Heads \(version \d+\): held-out AP/);
    await page.getByTestId('version').first().waitFor();
    assert.match(await page.getByTestId('versions').innerText(), /label heads/);
    await shot('13-training-done');
  });

  test('searching by label name shows the labelled moment first, then predictions with scores', async () => {
    await page.getByRole('tab', { name: 'Search' }).click();
    await page.getByLabel('Search by label').fill('tone');
    await page.keyboard.press('Enter');
    const results = page.getByTestId('label-result');
    await results.first().waitFor();
    const sources = await results.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')));
    assert.equal(sources[0], 'label');
    assert.equal(sources.filter((s) => s === 'label').length, 1, 'the negative example is not listed');
    assert.ok(sources.slice(1).length >= 2 && sources.slice(1).every((s) => s === 'prediction'), `then predictions: ${sources.join(',')}`);
    assert.match(await results.first().innerText(), /a440\.mp4[\s\S]*labelled/);
    assert.match(await results.nth(1).innerText(), /predicted\s+score -?\d\.\d{3}/);
    // Each prediction says what the label learned from, and so does the heading.
    assert.match(await results.nth(1).getByTestId('prediction-learned-from').innerText(), /^learned from: (sound|picture|sound and picture \(\d+ \/ \d+ %\))$/);
    assert.match(await page.getByTestId('label-results').locator('h2').innerText(), /learned from: /);
    await shot('14-label-search');
  });

  test('suggestions: A accepts, R rejects; the answers become labels; then train on demand', async () => {
    await page.getByRole('tab', { name: 'Labels' }).click();
    const suggestions = page.getByTestId('suggestion');
    await suggestions.first().waitFor();
    const before = await suggestions.count();
    assert.ok(before >= 2, `${before} suggestions`);
    await shot('15-suggestions');
    await suggestions.first().getByRole('button', { name: /^Play/ }).focus();
    await page.keyboard.press('a');
    await page.getByTestId('labels-message').getByText(/^Accepted: .* is “tone”/).waitFor();
    // Focus moved to the next suggestion: R rejects it.
    assert.match(String(await page.evaluate('document.activeElement.id')), /^suggestion-\d+$/);
    await page.keyboard.press('r');
    await page.getByTestId('labels-message').getByText(/^Rejected: .* is not “tone”/).waitFor();
    await waitForExpr(page, `document.querySelector('[data-testid=label-row][data-name="tone"]')?.innerText.match(/tone\\s+2\\s+2/)`);

    // Train now (skips the quiet time) and see the new round's version appear.
    const versionsBefore = await page.getByTestId('version').count();
    await page.getByTestId('train-now').click();
    await waitForExpr(page, `document.querySelectorAll('[data-testid=version]').length > ${versionsBefore}`, 20_000);
    await waitForExpr(page, `document.querySelector('[data-testid=training]').dataset.state === 'idle'`);
    assert.match(await page.getByTestId('training-last').innerText(), /Trained on/);
    await shot('16-trained-on-demand');
  });

  test('rename a label, then export the labels as CSV', async () => {
    await row('tone').getByRole('button', { name: 'Rename tone' }).click();
    await page.getByTestId('label-edit').fill('beep');
    await page.keyboard.press('Enter');
    await row('beep').waitFor();
    assert.equal(await row('tone').count(), 0);
    await shot('17-renamed');
    const download = page.waitForEvent('download');
    await page.getByTestId('label-export').click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8');
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'name,path,start,end,polarity');
    assert.equal(lines.length, 5, csv);
    assert.ok(lines.slice(1).every((l) => l.startsWith('beep,')), csv);
    assert.ok(lines.some((l) => l.includes('a440.mp4') && l.endsWith(',positive')));
    assert.ok(lines.some((l) => l.includes('c1300.mp4') && l.endsWith(',negative')));
    await page.getByTestId('labels-message').getByText('Exported 4 labels as CSV').waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('18-labels-dark');
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(errors, []);
  });
});
