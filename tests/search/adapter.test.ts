// A trained cross-modal adapter re-scores audio→visual and visual→audio searches, and only those.
// The adapter here is hand-made so the expected ranking is known: W_a = I, W_v = −I turns every
// visual cosine into its negative, so the adapted ranking is the plain one reversed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { search } from '../../core/search/search.ts';
import type { SearchRequest, SearchResponse } from '../../core/search/types.ts';
import { activateVersion, addVersion, deactivateVersions } from '../../db/learning.ts';
import { buildLibrary, ffmpeg, SPECS } from './helpers.ts';
import type { TestLibrary } from './helpers.ts';

let t: TestLibrary;
let clip: string;
let versionId: number;

before(async () => {
  t = await buildLibrary(SPECS);
  clip = path.join(t.dir, 'q.wav');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=10', '-ar', '16000', clip]);
  const d = t.modelRow.dim;
  const params = new Float32Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    params[i * d + i] = 1;
    params[d * d + i * d + i] = -1;
  }
  const v = addVersion(t.library.db, {
    modelId: t.modelRow.id,
    kind: 'adapter',
    labelSet: [],
    labelsHash: 'test',
    params,
    metrics: {},
    trainSize: 0,
    heldoutSize: 0,
    kept: true,
    seconds: 0,
  });
  versionId = v.id;
  deactivateVersions(t.library.db, t.modelRow.id, 'adapter');
});

after(async () => {
  t.library.close();
  await releaseEncoders();
  rmSync(t.dir, { recursive: true, force: true });
  rmSync(t.dataDir, { recursive: true, force: true });
});

const run = (r: SearchRequest): Promise<SearchResponse> => search(t.library, r, { provider: 'cpu' });
const ranking = (r: SearchResponse): Array<[string, number]> => r.results.map((x) => [`${path.basename(x.file)}@${x.start}`, x.score]);

test('no adapter until one is active; then audio→visual scores go through it', async () => {
  const request: SearchRequest = { query: { kind: 'audio', file: clip }, in: 'visual', merge: false, top: 100 };
  const plain = await run(request);
  assert.equal(plain.adapter, undefined);
  activateVersion(t.library.db, versionId);
  const adapted = await run(request);
  assert.equal(adapted.adapter, versionId);
  const p = ranking(plain);
  const a = ranking(adapted);
  assert.equal(a.length, p.length);
  // Scores negate, so the order reverses (ties aside).
  const negated = new Map(p.map(([k, s]) => [k, -s]));
  for (const [k, s] of a) assert.ok(Math.abs(s - negated.get(k)!) < 1e-5, `${k}: ${s} vs ${negated.get(k)}`);
  assert.deepEqual(a.map(([k]) => k), [...p].sort((x, y) => x[1] - y[1]).map(([k]) => k));
  // Opting out gives the plain search back.
  assert.deepEqual(ranking(await run({ ...request, adapter: false })), p);
});

test('same-modality searches ignore the adapter', async () => {
  const r = await run({ query: { kind: 'audio', file: clip }, in: 'audio', merge: false });
  assert.equal(r.adapter, undefined);
  assert.ok(r.results[0]!.score > 0.5);
});
