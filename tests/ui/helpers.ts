// End-to-end helpers: a small generated library, `foley serve` as a child process (the real command),
// and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { importModel } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { ffmpeg, makeClip } from '../indexing/helpers.ts';

export const REPO = path.join(import.meta.dirname, '..', '..');
export const ARTIFACTS = path.join(REPO, 'tests', 'artifacts', 'ui');

export interface UiLibrary {
  readonly base: string;
  readonly root: string;
  readonly dataDir: string;
  /** A 3-s 440-Hz tone to drop as a query. */
  readonly queryWav: string;
}

/** Three short clips, one file ffmpeg cannot read, the tiny model installed. */
export async function makeUiLibrary(): Promise<UiLibrary> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-ui-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(path.join(root, 'tones'), { recursive: true });
  await Promise.all([
    makeClip(path.join(root, 'tones', 'a440.mp4'), 21, 440),
    makeClip(path.join(root, 'tones', 'b880.mp4'), 12, 880, 'smptebars'),
    makeClip(path.join(root, 'c1300.mp4'), 4, 1300, 'rgbtestsrc'),
  ]);
  writeFileSync(path.join(root, 'broken.mp4'), 'this is not a video\n');
  const queryWav = path.join(base, 'query-440.wav');
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=3', queryWav]);
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  return { base, root, dataDir, queryWav };
}

export interface Served {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** `foley serve --json` on a free port; resolves with the printed URL. */
export function startServe(dataDir: string, extra: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<Served> {
  const child = spawn(process.execPath, [path.join(REPO, 'cli', 'main.ts'), 'serve', '--data-dir', dataDir, '--port', '0', '--json', '--provider', 'cpu', '--threads', '1', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FOLEY_TOKEN: '', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`foley serve did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`foley serve exited ${code}: ${stderr}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line) as { url: string; token: string; port: number };
      resolve({
        url: info.url,
        origin: `http://127.0.0.1:${info.port}`,
        token: info.token,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Collects page errors and console errors (CSP violations show up there). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} ${m.location().url}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return errors;
}

/**
 * Polls a browser-side expression until it is truthy. (Playwright's waitForFunction with a string
 * evals inside the page, which the app's CSP rightly forbids; page.evaluate goes through DevTools.)
 */
export async function waitForExpr(page: Page, expr: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(`!!(${expr})`)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${expr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A contract method over `foley serve`'s HTTP API, as a script would call it (Bearer token). */
export async function callServe(served: Served, method: string, params: unknown = {}): Promise<unknown> {
  const res = await fetch(`${served.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Adds the library folder through the API, starts indexing and waits until the run is over. */
export async function indexViaApi(served: Served, root: string, timeoutMs = 30_000): Promise<void> {
  await callServe(served, 'library.addRoot', { path: root });
  await callServe(served, 'index.start', {});
  for (const until = Date.now() + timeoutMs; ; ) {
    const s = (await callServe(served, 'status')) as { index: { state: string; last: unknown } };
    if (s.index.state === 'idle' && s.index.last !== null) return;
    if (Date.now() > until) throw new Error('indexing did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Drops a file on the search dropzone, as a user dragging it from the desktop does. */
export async function dropFile(page: Page, file: string, name: string, type: string): Promise<void> {
  const b64 = readFileSync(file).toString('base64');
  const dt = await page.evaluateHandle(`(() => {
    const bytes = Uint8Array.from(atob('${b64}'), (c) => c.charCodeAt(0));
    const t = new DataTransfer();
    t.items.add(new File([bytes], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
    return t;
  })()`);
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
}
