// Localisation through every front door on a real indexed library (tiny official-layout model, real
// ffmpeg and ONNX Runtime): `foley localize` (its JSON contract, --at, --png, usage errors), the API's
// `localize` method (upload, moment and microphone queries, per-target failures, validation, the token
// cache), `foley serve`'s /api/localize and spectrogram route, and search's opt-in `refine`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApi } from '../../core/api/handlers.ts';
import type { FoleyApi } from '../../core/api/handlers.ts';
import type { LocalizeResponse, MapJson, SearchResponse } from '../../core/api/contract.ts';
import { tokenCache } from '../../core/localisation/token-cache.ts';
import { importModel } from '../../core/models/store.ts';
import { startServer } from '../../server/server.ts';
import type { RunningServer } from '../../server/server.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { foley } from '../helpers/cli.ts';
import { ffmpeg, makeClip } from '../indexing/helpers.ts';

const TOKEN = 'localise-token-0123456789';

function checkMap(map: MapJson, shape: [number, number]): void {
  assert.deepEqual(map.shape, shape);
  assert.equal(map.data.length, shape[0] * shape[1]);
  for (const v of map.data) assert.ok(Number.isFinite(v) && v >= -1.000001 && v <= 1.000001, `cosine ${v}`);
  assert.ok(new Set(map.data).size > 10, 'a map of a real pair is not constant');
}

function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('localisation front doors', () => {
  let base: string;
  let dataDir: string;
  let clip: string;
  let wav: string;
  let png: string;
  let api: FoleyApi;

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-loc-'));
    const root = path.join(base, 'videos');
    mkdirSync(root);
    dataDir = path.join(base, 'data');
    clip = path.join(root, 'clip.mp4');
    wav = path.join(base, 'query.wav');
    png = path.join(base, 'query.png');
    await Promise.all([
      makeClip(clip, 14, 440),
      ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=880:sample_rate=16000:duration=3', wav]),
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120', '-frames:v', '1', png]),
    ]);
    await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
    for (const args of [['library', 'add', root], ['index']]) {
      const r = await foley([...args, '--data-dir', dataDir]);
      assert.equal(r.code, 0, r.stderr);
    }
    api = createApi({ dataDir, provider: 'cpu', threads: 1 });
  });

  after(async () => {
    await api.close();
  });

  test('foley localize --json: the issue contract, for files and for --at moments', async () => {
    const r = await foley(['localize', '--model', 'tiny', '--audio', wav, '--image', png, '--json', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { visual: MapJson; audio: MapJson; model: string; provider: string; sound: { peak: number; seconds: number } };
    checkMap(out.visual, [14, 14]);
    checkMap(out.audio, [8, 64]);
    assert.equal(out.model, 'tiny');
    assert.equal(out.provider, 'cpu');
    assert.equal(out.sound.seconds, 3);
    assert.ok(out.sound.peak >= 0 && out.sound.peak <= 3, `the peak lies in the real 3 s, not the padding (${out.sound.peak})`);

    // --at stands for the picture: the frame at the middle of the window holding 12 s (10–14 s → 12 s).
    const at = await foley(['localize', '--audio', wav, '--at', `${clip}@12`, '--json', '--data-dir', dataDir]);
    assert.equal(at.code, 0, at.stderr);
    const moment = JSON.parse(at.stdout) as { picture: { file: string; at: number; width: number; height: number } };
    assert.deepEqual(moment.picture, { file: clip, at: 12, width: 96, height: 64 });
  });

  test('foley localize --png writes the picture with its map over the spectrogram with its map', async () => {
    const out = path.join(base, 'map.png');
    const r = await foley(['localize', '--at', `${clip}@3`, '--png', out, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /where the sound is in the picture \(14×14/);
    assert.match(r.stdout, /heard most at \d+\.\d\d s/);
    // 512-wide spectrogram + 8-px margins; a 96×64 frame, 128-row spectrogram, two 10-px legends, 5 gaps.
    assert.deepEqual(pngSize(readFileSync(out)), { width: 528, height: 64 + 10 + 128 + 10 + 5 * 8 });
  });

  test('foley localize refuses what it cannot do, naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--image', png], /needs a sound/],
      [['--audio', wav], /needs a picture/],
      [['--audio', wav, '--image', png, '--at', `${clip}@1`], /at most two/],
      [['--at', `${clip}`], /FILE@SECONDS/],
      [['--image', png, '--at', `${clip}@1`, '--start', '2'], /--start applies to --audio/],
      [['--audio', path.join(base, 'missing.wav'), '--image', png], /missing\.wav/],
      [['--audio', wav, '--at', `${path.join(base, 'elsewhere.mp4')}@1`], /elsewhere\.mp4: not in the library/],
    ];
    for (const [args, message] of cases) {
      const r = await foley(['localize', ...args, '--data-dir', dataDir]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  test('the localize method: a sound query against moments, cached, with failures per target', async () => {
    tokenCache.clear();
    const bytes = new Uint8Array(readFileSync(wav));
    const targets = [
      { file: clip, at: 3 },
      { file: path.join(base, 'videos', 'gone.mp4'), at: 0 },
      { file: clip, at: 11 },
    ];
    const r = (await api.call('localize', { query: { kind: 'upload', media: 'audio', bytes }, targets })) as LocalizeResponse;
    assert.equal(r.query, 'audio');
    assert.equal(r.model, 'tiny');
    assert.deepEqual(r.results.map((m) => [m.window.start, m.window.end, m.picture.at]), [[0, 10, 5], [10, 14, 12]]);
    for (const m of r.results) {
      checkMap(m.visual, [14, 14]);
      checkMap(m.audio, [8, 64]);
      assert.equal(m.sound.file, undefined, 'an upload has no path to report');
    }
    assert.equal(r.failures.length, 1);
    assert.match(r.failures[0]!.error, /gone\.mp4: not in the library/);
    // The same page again: the query and both frames come from the cache, and the maps are identical.
    const misses = tokenCache.misses;
    const again = (await api.call('localize', { query: { kind: 'upload', media: 'audio', bytes }, targets })) as LocalizeResponse;
    assert.equal(tokenCache.misses, misses);
    assert.deepEqual(again.results, r.results);
  });

  test('the localize method: a picture query finds when it is heard in each window, as the CLI does', async () => {
    const r = (await api.call('localize', { query: { kind: 'moment', file: clip, at: 12, use: 'visual' }, targets: [{ file: clip, at: 1 }, { file: clip, at: 13 }] })) as LocalizeResponse;
    assert.equal(r.query, 'visual');
    for (const m of r.results) {
      assert.ok(m.sound.peak >= m.window.start && m.sound.peak <= m.window.end, `peak ${m.sound.peak} inside ${m.window.start}–${m.window.end}`);
      assert.equal(m.sound.inputSeconds, 10.24);
      assert.equal(m.sound.file, clip);
    }
    // An uploaded picture against a moment gives the same pair as `foley localize --image --at`.
    const viaApi = (await api.call('localize', { query: { kind: 'upload', media: 'image', bytes: new Uint8Array(readFileSync(png)) }, targets: [{ file: clip, at: 11 }] })) as LocalizeResponse;
    const cli = await foley(['localize', '--image', png, '--at', `${clip}@11`, '--data-dir', dataDir, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const viaCli = JSON.parse(cli.stdout) as { visual: MapJson; audio: MapJson; sound: { peak: number } };
    const api0 = viaApi.results[0]!;
    for (const k of ['visual', 'audio'] as const) {
      const worst = Math.max(...api0[k].data.map((v, i) => Math.abs(v - viaCli[k].data[i]!)));
      assert.ok(worst < 1e-6, `${k} maps differ by ${worst}`);
    }
    assert.equal(api0.sound.peak, viaCli.sound.peak);
  });

  test('the localize method: microphone samples, and requests the contract refuses', async () => {
    const samples = Array.from({ length: 16_000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16_000));
    const r = (await api.call('localize', { query: { kind: 'pcm', samples }, targets: [{ file: clip, at: 0 }] })) as LocalizeResponse;
    assert.equal(r.results[0]!.sound.seconds, 1);
    const bad: Array<[unknown, RegExp, string?]> = [
      [{ query: { kind: 'moment', file: clip, at: 0 }, targets: [{ file: clip, at: 0 }] }, /say which side/],
      [{ query: { kind: 'moment', file: clip, at: 0, use: 'audio' }, targets: [] }, /targets/],
      [{ query: { kind: 'moment', file: clip, at: 0, use: 'audio' }, targets: Array.from({ length: 51 }, () => ({ file: clip, at: 0 })) }, /targets/, 'too_large'],
      [{ query: { kind: 'moment', file: 'relative.mp4', at: 0, use: 'audio' }, targets: [{ file: clip, at: 0 }] }, /absolute path/],
      [{ query: { kind: 'moment', file: clip, at: 0, use: 'audio' }, targets: [{ file: clip, at: -1 }] }, /at/],
    ];
    for (const [params, message, code] of bad) {
      await assert.rejects(api.call('localize', params), (e: Error & { code?: string }) => {
        assert.equal(e.code, code ?? 'bad_request');
        assert.match(e.message, message);
        return true;
      });
    }
  });

  test('search refine: a picture query\'s sound results carry the peak time, inside their window', async () => {
    const plain = (await api.call('search', { query: { kind: 'moment', file: clip, at: 12, use: 'visual' }, top: 5 })) as SearchResponse;
    assert.ok(plain.results.every((x) => x.peak === undefined), 'no peak unless asked');
    const r = (await api.call('search', { query: { kind: 'moment', file: clip, at: 12, use: 'visual' }, top: 5, refine: true })) as SearchResponse;
    assert.ok(r.results.length > 0);
    for (const x of r.results) assert.ok(x.peak !== undefined && x.peak >= x.window.start && x.peak <= x.window.end, JSON.stringify(x));
    const cli = await foley(['search', '--image', png, '--refine', '--json', '--data-dir', dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok((JSON.parse(cli.stdout) as SearchResponse).results.every((x) => typeof x.peak === 'number'));
  });

  describe('over HTTP', () => {
    let server: RunningServer;
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const origin = (): string => `http://127.0.0.1:${server.port}`;
    before(async () => {
      const dist = path.join(base, 'dist');
      mkdirSync(dist, { recursive: true });
      server = await startServer({ api, token: TOKEN, port: 0, rendererDir: dist });
    });
    after(async () => {
      await server.close();
    });

    test('/api/localize takes the query file as the body and the targets as ?request=', async () => {
      const request = encodeURIComponent(JSON.stringify({ targets: [{ file: clip, at: 0 }] }));
      const res = await fetch(`${origin()}/api/localize?request=${request}`, { method: 'POST', headers: { ...auth, 'Content-Type': 'image/png' }, body: readFileSync(png) });
      assert.equal(res.status, 200, await res.clone().text());
      const r = (await res.json()) as LocalizeResponse;
      assert.equal(r.query, 'visual');
      checkMap(r.results[0]!.audio, [8, 64]);
      const bad = await fetch(`${origin()}/api/localize?request=%5B%5D`, { method: 'POST', headers: { ...auth, 'Content-Type': 'image/png' }, body: readFileSync(png) });
      assert.equal(bad.status, 400);
    });

    test('the spectrogram of a window: 512 × 128 PNG, cached; unknown windows are 404', async () => {
      const res = await fetch(`${origin()}/api/media/spectrogram/1/10000.png`, { headers: auth });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(pngSize(Buffer.from(await res.arrayBuffer())), { width: 512, height: 128 });
      const missing = await fetch(`${origin()}/api/media/spectrogram/1/7000.png`, { headers: auth });
      assert.equal(missing.status, 404);
    });
  });
});
