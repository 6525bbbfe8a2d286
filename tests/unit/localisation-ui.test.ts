// The app's localisation logic without a browser: the colour map the canvases use (base/colormap.ts,
// shared with the CLI's PNGs), the centre square a map covers under object-fit, which side a query
// is, how a page's answers pair with its targets (failures apart), the request queue, the per-query
// cache, and the peak's m:ss.t.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extent, sampleGrid, turbo } from '../../base/colormap.ts';
import type { LocalisedMoment, SearchResult } from '../../core/api/contract.ts';
import { CHUNK, MapCache, MapQueue, centreSquare, localisable, mapKey, pageEntries, querySide, tenthsText } from '../../renderer/src/localisation.ts';

/** Relative luminance (sRGB, Rec. 709 weights). */
function luminance([r, g, b]: readonly number[]): number {
  const lin = (v: number): number => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
}

describe('colour map (Turbo)', () => {
  test('endpoints: both ends dark, low end bluish, high end dark red; clamped outside [0, 1]', () => {
    const lo = turbo(0);
    const hi = turbo(1);
    assert.ok(luminance(lo) < 0.05 && luminance(hi) < 0.1, `dark ends ${lo} ${hi}`);
    assert.ok(hi[0] > 120 && hi[1] < 30 && hi[2] < 10, `high end is dark red: ${hi}`);
    assert.ok(turbo(0.1)[2] > 200 && turbo(0.1)[0] < 100, `low values are blue: ${turbo(0.1)}`);
    assert.deepEqual(turbo(-3), lo);
    assert.deepEqual(turbo(7), hi);
    assert.deepEqual(turbo(Number.NaN), lo);
  });

  test('luminance rises to one peak in the middle and falls after it (no second bright band)', () => {
    const lums = Array.from({ length: 101 }, (_, i) => luminance(turbo(i / 100)));
    const peak = lums.indexOf(Math.max(...lums));
    assert.ok(peak >= 40 && peak <= 60, `brightest at ${peak / 100}`);
    // (Byte rounding wiggles the flat top by a few thousandths.)
    for (let i = 1; i <= peak; i++) assert.ok(lums[i]! >= lums[i - 1]! - 0.005, `rising at ${i / 100}`);
    for (let i = peak + 1; i < lums.length; i++) assert.ok(lums[i]! <= lums[i - 1]! + 0.005, `falling at ${i / 100}`);
    // Hue order: blue before green before red, so equal brightness on the two sides never looks alike.
    const dominant = (t: number): number => turbo(t).indexOf(Math.max(...turbo(t)));
    assert.deepEqual([0.15, 0.45, 0.85].map(dominant), [2, 1, 0]);
  });

  test('extent and the bilinear sample the canvas upsampling matches', () => {
    assert.deepEqual(extent([0.2, -0.5, 0.9, 0]), { min: -0.5, max: 0.9 });
    assert.deepEqual(extent([]), { min: 0, max: 0 });
    const grid = [0, 1, 2, 3]; // 2 × 2: [[0, 1], [2, 3]]
    assert.equal(sampleGrid(grid, 2, 2, 0.25, 0.25), 0, 'a cell centre is its value');
    assert.equal(sampleGrid(grid, 2, 2, 0.75, 0.75), 3);
    assert.equal(sampleGrid(grid, 2, 2, 0.5, 0.5), 1.5, 'between the four centres: their mean');
    assert.equal(sampleGrid(grid, 2, 2, 0, 0), 0, 'clamped at the edge');
  });
});

describe('where a map goes', () => {
  test('contain: a 16:9 picture letterboxed in a 4:3 box; the square is its height, centred', () => {
    const s = centreSquare({ width: 1920, height: 1080 }, { width: 800, height: 600 }, 'contain');
    // Shown 800 × 450, 75 px bars above and below; the square is 450 px in the middle.
    assert.deepEqual(s, { left: 175, top: 75, side: 450 });
  });

  test('contain: a portrait picture pillarboxed; cover: the square may overflow the box', () => {
    assert.deepEqual(centreSquare({ width: 480, height: 640 }, { width: 800, height: 400 }, 'contain'), { left: 250, top: 50, side: 300 });
    const c = centreSquare({ width: 320, height: 240 }, { width: 200, height: 125 }, 'cover');
    // Scaled by max(200/320, 125/240) = 0.625: 200 × 150 shown cropped; the square is 150 px.
    assert.deepEqual(c, { left: 25, top: -12.5, side: 150 });
  });
});

describe('which side a query is', () => {
  test('sounds (uploads, microphone, a moment by its sound) against pictures, and the reverse', () => {
    assert.equal(querySide({ kind: 'upload', media: 'audio', bytes: new Uint8Array(1) }), 'audio');
    assert.equal(querySide({ kind: 'upload', media: 'image', bytes: new Uint8Array(1) }), 'visual');
    assert.equal(querySide({ kind: 'pcm', samples: [] }), 'audio');
    assert.equal(querySide({ kind: 'moment', file: '/v/a.mp4', at: 3, use: 'visual' }), 'visual');
    assert.equal(querySide({ kind: 'moment', file: '/v/a.mp4', at: 3 }), null, 'both sides: nothing to localise');
    const r = (matched: SearchResult['matched']): SearchResult => ({ matched }) as SearchResult;
    assert.deepEqual([localisable('audio', r('visual')), localisable('audio', r('audio')), localisable('visual', r('audio')), localisable(null, r('both'))], [true, false, true, false]);
  });
});

const moment = (fileId: number, start: number): LocalisedMoment => ({ fileId, file: `/v/${fileId}.mp4`, window: { start, end: start + 10 } }) as LocalisedMoment;
const result = (fileId: number, start: number): SearchResult => ({ fileId, window: { id: fileId * 100 + start, start, end: start + 10 }, matched: 'visual' }) as SearchResult;

describe('asking for a page of maps', () => {
  test('answers pair with their targets in order; a failed target is its own entry and shifts nothing', () => {
    const targets = [{ file: 1, at: 0 }, { file: 2, at: 10 }, { file: 3, at: 20 }];
    const entries = pageEntries(targets, { results: [moment(1, 0), moment(3, 20)], failures: [{ file: 2, at: 10, error: 'b.mp4: gone' }] });
    assert.deepEqual(entries.map(([k]) => k), [mapKey(1, 0), mapKey(2, 10), mapKey(3, 20)]);
    assert.deepEqual(entries.map(([, e]) => (e.ok ? e.moment.fileId : e.error)), [1, 'b.mp4: gone', 3]);
  });

  test(`a queue: chunks of ${CHUNK}, one call at a time, cached maps never asked, each chunk reported as it lands`, async () => {
    const results = Array.from({ length: 20 }, (_, i) => result(i + 1, 0));
    const calls: number[][] = [];
    const landed: string[][] = [];
    let out = 0;
    let most = 0;
    const queue = new MapQueue(
      async (targets) => {
        calls.push(targets.map((t) => t.file));
        most = Math.max(most, ++out);
        await new Promise((r) => setTimeout(r, 5));
        out--;
        return { results: targets.map((t) => moment(t.file, t.at)), failures: [] };
      },
      (entries) => landed.push(entries.map(([k]) => k)),
      (e) => assert.fail(String(e)),
    );
    queue.known([mapKey(1, 0), mapKey(2, 0)]);
    queue.want(results);
    queue.want(results); // asked again (a second toggle): nothing new
    await queue.settled();
    assert.deepEqual(calls.map((c) => c.length), [8, 8, 2]);
    assert.equal(calls[0]![0], 3, 'known maps are not asked for');
    assert.equal(most, 1, 'one call at a time');
    assert.equal(landed.flat().length, 18);
  });

  test('the toggled result jumps the queue: its map comes with the next call', async () => {
    const results = Array.from({ length: 24 }, (_, i) => result(i + 1, 0));
    const calls: number[][] = [];
    const queue = new MapQueue(
      async (targets) => {
        calls.push(targets.map((t) => t.file));
        await new Promise((r) => setTimeout(r, 5));
        return { results: targets.map((t) => moment(t.file, t.at)), failures: [] };
      },
      () => undefined,
      (e) => assert.fail(String(e)),
    );
    queue.want(results); // first chunk (1–8) goes out now
    queue.want([results[20]!], true); // toggled while it is out
    await queue.settled();
    assert.equal(calls[1]![0], 21, `the toggled one leads the next call: ${calls[1]}`);
    assert.deepEqual(calls.flat().sort((x, y) => x - y), results.map((r) => r.fileId), 'each asked once');
  });

  test('a call that fails as a whole is reported once and stops the queue; stop drops what waits', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const failing = new MapQueue(
      () => {
        calls++;
        return Promise.reject(new Error('no model'));
      },
      () => assert.fail('no entries'),
      (e) => errors.push(e),
    );
    failing.want(Array.from({ length: 20 }, (_, i) => result(i + 1, 0)));
    await failing.settled();
    assert.equal(calls, 1);
    assert.match(String(errors[0]), /no model/);
    assert.equal(errors.length, 1);

    let landed = 0;
    const stopped = new MapQueue(
      async (targets) => ({ results: targets.map((t) => moment(t.file, t.at)), failures: [] }),
      () => landed++,
      (e) => assert.fail(String(e)),
    );
    stopped.want(Array.from({ length: 20 }, (_, i) => result(i + 1, 0)));
    stopped.stop(); // a new page before the first answer
    await stopped.settled();
    assert.equal(landed, 0, 'an old page hears nothing');
  });
});

describe('the map cache', () => {
  test('per query, model and window; the oldest go past the limit; setting again refreshes', () => {
    const cache = new MapCache(3);
    cache.set('q1', 'tiny', mapKey(1, 0), moment(1, 0));
    assert.equal(cache.get('q1', 'tiny', mapKey(1, 0))?.fileId, 1);
    assert.equal(cache.get('q2', 'tiny', mapKey(1, 0)), undefined, 'another query');
    assert.equal(cache.get('q1', 'base', mapKey(1, 0)), undefined, 'another model');
    assert.equal(cache.get('q1', 'tiny', mapKey(1, 10)), undefined, 'another window');
    cache.set('q1', 'tiny', mapKey(2, 0), moment(2, 0));
    cache.set('q1', 'tiny', mapKey(1, 0), moment(1, 0)); // refreshed: now the newest
    cache.set('q1', 'tiny', mapKey(3, 0), moment(3, 0));
    cache.set('q1', 'tiny', mapKey(4, 0), moment(4, 0));
    assert.equal(cache.size, 3);
    assert.equal(cache.get('q1', 'tiny', mapKey(2, 0)), undefined, 'the oldest went');
    assert.equal(cache.get('q1', 'tiny', mapKey(1, 0))?.fileId, 1);
  });

  test('window keys are milliseconds: float noise in a start time is the same window', () => {
    assert.equal(mapKey(5, 10.000000001), mapKey(5, 10));
    assert.notEqual(mapKey(5, 10), mapKey(5, 10.01));
  });
});

test('the peak as m:ss.t', () => {
  assert.equal(tenthsText(12.34), '0:12.3');
  assert.equal(tenthsText(59.96), '1:00.0', 'rounds to the tenth, carrying');
  assert.equal(tenthsText(3723.45), '1:02:03.5');
  assert.equal(tenthsText(-1), '0:00.0');
});
