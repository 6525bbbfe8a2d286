// The known answer end to end: the crafted checkpoint (loud ≡ red, silent ≡ blue; fixture.ts) through
// `foley localize --json` and `foley search --refine`, on real files and an indexed video.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { MapJson, SearchResponse } from '../../core/api/contract.ts';
import { importModel } from '../../core/models/store.ts';
import { foley } from '../helpers/cli.ts';
import { makeLocalisationMedia, RED_COLS, RED_ROWS } from './fixture.ts';
import type { LocalisationMedia } from './fixture.ts';

interface Localised {
  visual: MapJson;
  audio: MapJson;
  sound: { peak: number };
}

describe('localisation with a known answer, through the CLI', () => {
  let media: LocalisationMedia;
  let dataDir: string;
  let video: string;

  before(async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'foley-loc-cli-'));
    media = await makeLocalisationMedia(path.join(base, 'media'));
    dataDir = path.join(base, 'data');
    const root = path.join(base, 'videos');
    mkdirSync(root);
    video = path.join(root, 'red-low-then-silence.mkv');
    renameSync(media.videoRedLowThenSilence, video);
    await importModel(dataDir, media.checkpoint, { name: 'crafted', heads: 1 });
    for (const args of [['library', 'add', root], ['index']]) {
      const r = await foley([...args, '--data-dir', dataDir]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  const localize = async (args: string[]): Promise<Localised> => {
    const r = await foley(['localize', ...args, '--json', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Localised;
  };

  test('the loud sound lights the red top-left of the picture, and nothing else', async () => {
    const { visual } = await localize(['--audio', media.noise, '--image', media.redTopLeft]);
    const wrong: string[] = [];
    for (let r = 0; r < 14; r++) {
      for (let c = 0; c < 14; c++) {
        const v = visual.data[r * 14 + c]!;
        const red = r < RED_ROWS && c < RED_COLS;
        if (red ? v < 0.9 : v > -0.9) wrong.push(`${r},${c}=${v.toFixed(3)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('a red picture is heard in the first half of the indexed window, in the low bands', async () => {
    const { audio, sound } = await localize(['--image', media.allRed, '--at', `${video}@2`]);
    assert.ok(sound.peak < 5, `peak at ${sound.peak} s`);
    assert.ok(audio.data[0 * 64 + 10]! > 0.9 && audio.data[1 * 64 + 20]! > 0.9, 'bands 0–1 of the first half');
    assert.ok(audio.data[7 * 64 + 10]! < -0.9 && audio.data[0 * 64 + 50]! < -0.9, 'a high band, and the silent half');
  });

  test('search --refine gives the same peak for a picture query', async () => {
    const r = await foley(['search', '--image', media.allRed, '--refine', '--json', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const [hit] = (JSON.parse(r.stdout) as SearchResponse).results;
    assert.ok(hit !== undefined && hit.peak !== undefined && hit.peak < 5, JSON.stringify(hit));
  });
});
