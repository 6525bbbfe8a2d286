// The app's library process (`foley serve`, createApi): an index run is followed by a background
// tagging run when a tagging model is installed, seen through taggingStatus (running, then every
// window tagged with its cost per window).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createApi } from '../../core/api/handlers.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { taggingStatus } from '../../core/tagging/status.ts';
import type { TaggingStatus } from '../../core/tagging/status.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from '../indexing/helpers.ts';

/** Adds the folder and indexes it through the API, as the app's Library page does; resolves when the run is over. */
async function indexThroughApi(api: FoleyApi, root: string): Promise<void> {
  await api.invoke('library.addRoot', { path: root });
  const indexed = new Promise<void>((resolve) => {
    const stop = api.subscribe((e) => {
      if (e.type === 'index' && e.state.state === 'idle' && e.state.last !== null) {
        stop();
        resolve();
      }
    });
  });
  await api.invoke('index.start', {});
  await indexed;
}

interface App {
  readonly api: FoleyApi;
  /** A second connection, as the Models page's status reads it. */
  readonly reader: Library;
  readonly root: string;
  /** Polls the tagging status until `ok` (60 s at most), and returns it. */
  readonly until: (what: string, ok: (s: TaggingStatus | null) => boolean) => Promise<TaggingStatus | null>;
}

/** A library of one tone clip with one model installed, its app API, and `body` run against them. */
async function inApp(clipSeconds: number, model: { fixture: string; name: string }, body: (app: App) => Promise<void>): Promise<void> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-serve-tags-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  await makeClip(path.join(root, 'a.mp4'), clipSeconds, 440);
  await importModel(dataDir, path.join(cavmaeDir(model.fixture), 'checkpoint.pth'), { name: model.name, heads: 1 });
  const api = createApi({ dataDir, provider: 'cpu' });
  const reader = openLibrary(dataDir);
  const until = async (what: string, ok: (s: TaggingStatus | null) => boolean): Promise<TaggingStatus | null> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = await taggingStatus(reader);
      if (ok(s)) return s;
      assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await body({ api, reader, root, until });
  } finally {
    reader.close();
    await api.close();
    rmSync(base, { recursive: true, force: true });
  }
}

const FT = path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth');

test('an index job in the app is followed by a background tagging job', async () => {
  await inApp(25, { fixture: 'ft-d32-c527', name: 'as' }, async ({ api, root, until }) => {
    await indexThroughApi(api, root);
    // Tagging runs in the background after the index run: wait for it through the status the Models page reads.
    const status = await until('tagged', (s) => s !== null && s.tagged >= s.windows);
    assert.ok(status !== null);
    assert.deepEqual([status.model, status.tagged, status.windows], ['as', 3, 3]);
    // The run's job ends right after its last write.
    const done = (await until('run over', (s) => s !== null && !s.running))!;
    assert.equal(done.running, false);
    assert.ok(done.msPerWindow !== null && done.msPerWindow > 0);
  });
});

test('installing a tagging model in the app tags the library already indexed', async () => {
  await inApp(25, { fixture: 'pre-d32-11x1', name: 'pre' }, async ({ api, reader, root, until }) => {
    await indexThroughApi(api, root);
    assert.equal(await taggingStatus(reader), null, 'no model can tag yet');
    await api.invoke('models.import', { file: FT, name: 'as', heads: 1, precision: 'fp32' });
    const status = await until('tagged', (s) => s !== null && s.tagged >= s.windows && !s.running);
    assert.ok(status !== null);
    assert.deepEqual([status.model, status.tagged, status.windows, status.running], ['as', 3, 3, false]);
  });
});

test('the app pauses, resumes and cancels its tagging run (tagging.pause / resume / cancel)', async () => {
  await inApp(60, { fixture: 'pre-d32-11x1', name: 'pre' }, async ({ api, reader, root, until }) => {
    const status = async (): Promise<TaggingStatus> => (await taggingStatus(reader))!;
    const untilTagging = async (what: string, ok: (s: TaggingStatus) => boolean): Promise<TaggingStatus> => (await until(what, (s) => s !== null && ok(s)))!;
    await indexThroughApi(api, root);
    await assert.rejects(api.invoke('tagging.pause', {}), /no tagging run is going in this app/);
    // Installing the tagging model starts the run; pause it as soon as it is under way.
    await api.invoke('models.import', { file: FT, name: 'as', heads: 1, precision: 'fp32' });
    for (;;) {
      try {
        await api.invoke('tagging.pause', {});
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const paused = await untilTagging('paused', (s) => s.paused);
    assert.equal(paused.running, false);
    assert.ok(paused.tagged < paused.windows, `${paused.tagged} of ${paused.windows}`);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await status()).tagged, paused.tagged, 'nothing tagged while paused');
    await api.invoke('tagging.resume', {});
    await untilTagging('running again', (s) => s.running || s.tagged === s.windows);
    await api.invoke('tagging.cancel', {}).catch(() => undefined); // it may have finished already
    const after = await untilTagging('stopped', (s) => !s.running && !s.paused);
    assert.ok(after.tagged >= paused.tagged);
  });
});
