// Localisation maps against the authors' procedure (localization.py of edsonroteia/cav-mae, run on
// the official model by scripts/goldens/make_localisation_goldens.py). The maps go through the
// product path: the checkpoint imported like a user's, the Encoder's tokens and embeddings from real
// ONNX Runtime CPU sessions, then cosineMap. Tolerance 1e-4 absolute (fp32); the measured maxima
// are printed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import { cosineMap } from '../../core/localisation/maps.ts';
import type { TokenMap } from '../../core/localisation/maps.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import type { EncoderOutput } from '../../native-models/runtime/encoder.ts';
import { maxAbsDiff } from '../helpers/compare.ts';
import { cavmaeDir, cavmaeInputs, goldenArray, readGolden } from '../helpers/fixtures.ts';

const TOLERANCE = 1e-4;
const VARIANTS = ['pre-d32-11x1', 'pre-d32-h2-10x2'] as const;
const inputs = cavmaeInputs();

interface LocalisationGolden {
  readonly files: Record<string, { path: string; shape: number[]; query_item: number[] }>;
}

/** Item `item`'s row of a [count, ...] array of `size` values per item. */
function row(data: Float32Array, item: number, size: number): Float32Array {
  return data.subarray(item * size, (item + 1) * size);
}

for (const variant of VARIANTS) {
  describe(`localisation maps, ${variant}`, () => {
    const golden = JSON.parse(readFileSync(path.join(cavmaeDir(variant), 'localisation.json'), 'utf8')) as LocalisationGolden;
    const d = readGolden(variant).embed_dim;
    let base: string;
    let encoder: Encoder;
    const out = new Map<'audio' | 'visual', EncoderOutput>();

    before(async () => {
      base = mkdtempSync(path.join(os.tmpdir(), 'foley-loc-'));
      const file = path.join(cavmaeDir(variant), 'checkpoint.pth');
      const { model } = await importModel(base, file, { name: 'tiny', heads: readGolden(variant).num_heads });
      encoder = new Encoder(model.dir, model.manifest.config, { provider: 'cpu' });
      out.set('audio', await encoder.encode('audio', inputs.audio.data, ['tokens']));
      out.set('visual', await encoder.encode('visual', inputs.visual.data, ['tokens']));
    });
    after(async () => {
      await encoder.release();
      rmSync(base, { recursive: true, force: true });
    });

    // `map` is the stream whose tokens are mapped; the query embedding comes from the other stream.
    for (const [map, query] of [['visual', 'audio'], ['audio', 'visual']] as const) {
      for (const suffix of ['', '_cross']) {
        const key = `${map}_map${suffix}`;
        test(`${key}: the ${query} embedding against each ${map} token matches localization.py`, (t) => {
          const spec = golden.files[key]!;
          const grid = encoder.family.tokenGrid(map, encoder.config);
          assert.deepEqual(grid, map === 'audio' ? [8, 64] : [14, 14]);
          assert.deepEqual(spec.shape, [2, ...grid]);
          const n = grid[0] * grid[1];
          const tokens = out.get(map)!.tokens!;
          assert.equal(tokens.length, 2 * n * d);
          const expected = goldenArray(variant, `localisation_${key}`);
          assert.deepEqual(expected.shape, [2, ...grid]);
          const maps: TokenMap[] = spec.query_item.map((q, i) =>
            cosineMap(row(out.get(query)!.embeddings, q, d), row(tokens, i, n * d), grid),
          );
          for (const m of maps) assert.deepEqual(m.shape, grid);
          const got = new Float32Array(2 * n);
          maps.forEach((m, i) => got.set(m.data, i * n));
          const diff = maxAbsDiff(got, expected.data);
          t.diagnostic(`max |Δ| ${diff.toExponential(2)} over ${got.length} cells`);
          assert.ok(diff <= TOLERANCE, `${key} differs by ${diff}`);
        });
      }
    }
  });
}
