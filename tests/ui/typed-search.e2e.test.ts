// Typed search end to end: `foley serve` on the small generated library (indexed by the pretrained
// default model), driven in Debian's Chromium. Without a fine-tuned model the bar offers the user's
// labels and says to install a tagging model; once the tiny 527-class fine-tuned checkpoint is
// installed, two letters bring AudioSet names, picked with the mouse or the keyboard they show moments
// with the class name on each, a label picked from the same list runs the label search, and the Models
// page says which model tags and how far it is. Screenshots: tests/artifacts/ui/4x-….
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { ARTIFACTS, callServe, indexViaApi, launchChromium, makeUiLibrary, startServe, waitForExpr, watchErrors } from './helpers.ts';
import type { Served, UiLibrary } from './helpers.ts';

describe('typed search in the UI over foley serve (Chromium)', { timeout: 90_000 }, () => {
  let lib: UiLibrary;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const field = () => page.getByRole('combobox', { name: 'Search by label or sound name' });
  const options = () => page.getByTestId('name-option');
  /** Types into the empty field key by key, as a user does (each key an input event). */
  const typeName = async (text: string): Promise<void> => {
    await field().fill('');
    await field().focus();
    await page.keyboard.type(text, { delay: 30 });
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lib = await makeUiLibrary();
    // No training while the test labels a moment.
    [served, browser] = await Promise.all([startServe(lib.dataDir, [], { FOLEY_TRAIN_DEBOUNCE_MS: '600000' }), launchChromium()]);
    await indexViaApi(served, lib.root);
    await callServe(served, 'labels.add', { file: path.join(lib.root, 'tones', 'a440.mp4'), start: 0, name: 'dog walk' });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = watchErrors(page);
    await page.goto(served.url);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (lib !== undefined) rmSync(lib.base, { recursive: true, force: true });
  });

  test('without a tagging model: the user\'s labels, and a hint to install one', async () => {
    await typeName('do');
    await options().first().waitFor();
    assert.deepEqual(await options().evaluateAll((els) => els.map((e) => [e.getAttribute('data-source'), e.getAttribute('data-name')])), [['label', 'dog walk']]);
    assert.match(await page.getByTestId('name-hint').innerText(), /install a tagging model: Models page/);
    await page.getByRole('tab', { name: 'Models' }).click();
    assert.match(await page.getByTestId('tagging').innerText(), /No model tags this library/);
    await page.getByRole('tab', { name: 'Search' }).click();
  });

  test('two letters bring sound names; the list follows the combobox pattern; a click shows moments with the class', async () => {
    // Installed while the app runs, as the Models page's import does (fp32: no precision measured);
    // the app then tags the library in the background, and the moments come from those tags.
    await callServe(served, 'models.import', { file: path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), name: 'as', heads: 1, precision: 'fp32' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { tagging } = (await callServe(served, 'models.list')) as { tagging: { tagged: number; windows: number; running: boolean } | null };
      if (tagging !== null && tagging.tagged === tagging.windows && tagging.windows > 0 && !tagging.running) break;
      if (Date.now() > deadline) throw new Error(`the library was not tagged in 30 s: ${JSON.stringify(tagging)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await typeName('do');
    await options().filter({ hasText: 'Dog' }).first().waitFor();
    assert.equal(await field().getAttribute('aria-expanded'), 'true');
    assert.equal(await field().getAttribute('aria-controls'), 'name-options');
    assert.equal(await page.getByRole('listbox', { name: 'Suggestions' }).isVisible(), true);
    const listed = await options().evaluateAll((els) => els.map((e) => [e.getAttribute('data-source'), e.getAttribute('data-name')]));
    assert.ok(listed.some(([s, n]) => s === 'class' && n === 'Dog'), JSON.stringify(listed));
    assert.ok(listed.some(([s, n]) => s === 'label' && n === 'dog walk'), 'the label is offered too');
    assert.equal(await page.getByTestId('name-hint').count(), 0);
    // The label is marked as one.
    assert.match(await options().filter({ hasText: 'dog walk' }).innerText(), /label[\s\S]*your label · 1 example/);

    // ↓ makes the first option active (focus stays in the field); Escape closes the list.
    await page.keyboard.press('ArrowDown');
    assert.equal(await field().getAttribute('aria-activedescendant'), 'name-option-0');
    assert.equal(await options().first().getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate('document.activeElement.id'), 'name-query');
    await shot('40-typeahead');
    await page.keyboard.press('Escape');
    assert.equal(await field().getAttribute('aria-expanded'), 'false');
    assert.equal(await page.getByRole('listbox', { name: 'Suggestions', includeHidden: true }).isVisible(), false);

    // Open again and pick Dog with the mouse.
    await page.keyboard.press('ArrowDown');
    await options().filter({ hasText: /^Dog/ }).first().click();
    await page.getByTestId('result').first().waitFor();
    const classes = await page.getByTestId('result-class').allInnerTexts();
    assert.ok(classes.length >= 2, `${classes.length} moments`);
    assert.ok(classes.every((c) => c === 'Dog'), classes.join(','));
    assert.match(await page.getByTestId('results').locator('..').locator('h2').innerText(), /moments for sound “Dog” \(by the probability of Dog, model as\)/);
    assert.match(await page.getByTestId('announce').innerText(), /moments found for sound “Dog”/);
    assert.equal(await field().inputValue(), 'Dog');
    await shot('41-text-results');
  });

  test('the keyboard picks too: ↓ to a related sound, Enter searches it', async () => {
    await typeName('dog');
    await options().filter({ hasText: 'Bark' }).first().waitFor();
    const names = await options().evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    const bark = names.indexOf('Bark');
    assert.ok(bark > 0, names.join(','));
    assert.match(await options().nth(bark).innerText(), /related to Dog/);
    for (let i = 0; i <= bark; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await field().getAttribute('aria-activedescendant'), `name-option-${bark}`);
    await page.keyboard.press('Enter');
    await waitForExpr(page, `document.querySelector('[data-testid=result-class]')?.textContent === 'Bark'`);
    const classes = await page.getByTestId('result-class').allInnerTexts();
    assert.ok(classes.length >= 2 && classes.every((c) => c === 'Bark'), classes.join(','));
  });

  test('a label picked from the list runs the label search', async () => {
    await typeName('walk');
    await options().filter({ hasText: 'dog walk' }).first().waitFor();
    await options().filter({ hasText: 'dog walk' }).first().click();
    await page.getByTestId('label-result').first().waitFor();
    assert.match(await page.getByTestId('label-result').first().innerText(), /a440\.mp4[\s\S]*labelled/);
  });

  test('the Models page says which model tags, how, and how far it is', async () => {
    await page.getByRole('tab', { name: 'Models' }).click();
    const line = page.getByTestId('tagging');
    await line.getByText(/^Tagging with as/).waitFor();
    const text = await line.innerText();
    assert.match(text, /^Tagging with as \(audio-visual, 1 picture per window\): [\d,]+ of [\d,]+ windows/);
    const [, tagged, windows] = /: ([\d,]+) of ([\d,]+) windows/.exec(text)!;
    assert.equal(tagged, windows, 'the whole library is tagged');
    await shot('42-models-tagging');
    assert.deepEqual(errors, []);
  });
});
