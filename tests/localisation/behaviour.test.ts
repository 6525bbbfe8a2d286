// Localisation on real media with the crafted checkpoint, where the right map is known in advance
// (loud ≡ red → cosine +1, silent ≡ blue → −1; tests/localisation/fixture.ts). Media are decoded by
// the product (ffmpeg), prepared by the Encoder and run in real ONNX Runtime CPU sessions, so a
// transposed or flipped grid, swapped audio axes or a reversed band order show as wrong cells.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import { cosineMap, peakSeconds } from '../../core/localisation/maps.ts';
import type { TokenMap } from '../../core/localisation/maps.ts';
import { decodeAudio } from '../../media/audio.ts';
import { decodeImageRgb } from '../../media/image.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import { LOUD_BANDS, LOUD_COLUMNS, makeLocalisationMedia, RED_COLS, RED_ROWS, REAL_COLUMNS } from './fixture.ts';
import type { LocalisationMedia } from './fixture.ts';

const CLEAR = 0.9;

/** Map cells as "r,c=value" for failure messages. */
function cells(map: TokenMap, pick: (r: number, c: number) => boolean): Array<[string, number]> {
  const [rows, cols] = map.shape;
  const out: Array<[string, number]> = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (pick(r, c)) out.push([`${r},${c}`, map.data[r * cols + c]!]);
  return out;
}

function assertAll(list: Array<[string, number]>, ok: (v: number) => boolean, what: string): void {
  assert.ok(list.length > 0, `no cells for ${what}`);
  const bad = list.filter(([, v]) => !ok(v));
  assert.deepEqual(bad, [], `${what}: ${bad.length} of ${list.length} cells wrong`);
}

/** The first `cols` time columns of an audio map: the part of a 10-s window that holds real frames. */
function firstColumns(map: TokenMap, cols: number): TokenMap {
  const [rows, all] = map.shape;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) data.set(map.data.subarray(r * all, r * all + cols), r * cols);
  return { shape: [rows, cols], data };
}

describe('localisation behaviour on the crafted checkpoint', () => {
  let base: string;
  let media: LocalisationMedia;
  let encoder: Encoder;

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-loc-crafted-'));
    media = await makeLocalisationMedia(path.join(base, 'media'));
    const { model } = await importModel(path.join(base, 'data'), media.checkpoint, { name: 'crafted', heads: 1 });
    encoder = new Encoder(model.dir, model.manifest.config, { provider: 'cpu' });
  });
  after(async () => {
    await encoder.release();
    rmSync(base, { recursive: true, force: true });
  });

  async function encodePair(picture: string, sound: string) {
    const visual = await encoder.encode('visual', encoder.imageInput(await decodeImageRgb(picture)), ['tokens']);
    const audio = await encoder.encode('audio', encoder.audioInput(await decodeAudio(sound)), ['tokens']);
    return { visual, audio };
  }

  test('loud noise is heard in the red top-left of the picture, not in the blue', async (t) => {
    const { visual, audio } = await encodePair(media.redTopLeft, media.noise);
    const grid = encoder.family.tokenGrid('visual', encoder.config);
    assert.deepEqual(grid, [14, 14]);
    const map = cosineMap(audio.embeddings, visual.tokens!, grid);
    const red = cells(map, (r, c) => r < RED_ROWS && c < RED_COLS);
    const blue = cells(map, (r, c) => r > RED_ROWS || c >= RED_COLS);
    t.diagnostic(`red cells min ${Math.min(...red.map(([, v]) => v)).toFixed(4)}, blue cells max ${Math.max(...blue.map(([, v]) => v)).toFixed(4)}`);
    assertAll(red, (v) => v > CLEAR, 'red cells (rows 0–2, columns 0–6)');
    assertAll(blue, (v) => v < -CLEAR, 'blue cells (rows ≥ 4 or columns ≥ 7)');
  });

  describe('a red picture against 5 s of low noise then 5 s of silence', () => {
    let map: TokenMap;
    before(async () => {
      const { visual, audio } = await encodePair(media.allRed, media.lowThenSilence);
      const grid = encoder.family.tokenGrid('audio', encoder.config);
      assert.deepEqual(grid, [8, 64]);
      map = cosineMap(visual.embeddings, audio.tokens!, grid);
    });

    test('the low bands of the first half light up; high bands and the silent half do not', (t) => {
      const loud = cells(map, (r, c) => r < LOUD_BANDS && c < LOUD_COLUMNS);
      const quietBands = cells(map, (r, c) => r >= LOUD_BANDS && c < LOUD_COLUMNS);
      const silent = cells(map, (_r, c) => c > LOUD_COLUMNS && c < REAL_COLUMNS);
      t.diagnostic(
        `loud min ${Math.min(...loud.map(([, v]) => v)).toFixed(4)}, quiet bands max ${Math.max(...quietBands.map(([, v]) => v)).toFixed(4)}, ` +
          `silent half max ${Math.max(...silent.map(([, v]) => v)).toFixed(4)}`,
      );
      assertAll(loud, (v) => v > CLEAR, 'bands 0–1 of the first 5 s');
      assertAll(quietBands, (v) => v < -CLEAR, 'bands 2–7 of the first 5 s');
      assertAll(silent, (v) => v < -CLEAR, 'the silent second half');
    });

    test('the peak over the columns that hold real frames is in the first half', () => {
      const real = firstColumns(map, REAL_COLUMNS);
      const peak = peakSeconds(real, REAL_COLUMNS * 16, 10);
      assert.ok(peak < 5, `peak at ${peak} s`);
    });

    test('the padding of a 10-s window reads as loud in this model (as on the official model)', () => {
      assertAll(cells(map, (_r, c) => c === 63), (v) => v > CLEAR, 'padding column 63');
    });

    test('peakSeconds on the whole map of a 10-s window ignores the padding columns', () => {
      const peak = peakSeconds(map, 1024, 10);
      assert.ok(peak < 5, `peak at ${peak} s`);
    });
  });
});
