// `foley search` end to end: the real binary on a library indexed with the tiny model.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import type { SearchResponse } from '../../core/search/types.ts';
import { foley } from '../helpers/cli.ts';
import { buildLibrary, ffmpeg } from './helpers.ts';
import type { TestLibrary } from './helpers.ts';

let t: TestLibrary;
let clip: string;

before(async () => {
  t = await buildLibrary([
    { name: 'x/noise.mp4', audio: 'anoisesrc=color=white:seed=1', video: 'testsrc', seconds: 20 },
    { name: 'y/tone.mp4', audio: 'sine=frequency=300', video: 'color=c=blue', seconds: 10 },
  ]);
  t.library.close();
  clip = path.join(t.dir, 'clip.wav');
  ffmpeg(['-ss', '10', '-i', t.files['x/noise.mp4']!, '-t', '10', '-vn', '-c:a', 'pcm_s16le', '-ar', '16000', clip]);
});

after(async () => {
  await releaseEncoders();
  rmSync(t.dir, { recursive: true, force: true });
  rmSync(t.dataDir, { recursive: true, force: true });
});

test('foley search --audio --in audio --json ranks the source window first', async () => {
  const r = await foley(['search', '--audio', clip, '--in', 'audio', '--no-merge', '--json', '--data-dir', t.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as SearchResponse;
  assert.deepEqual(Object.keys(out.results[0]!).filter((k) => ['file', 'start', 'end', 'score', 'matched', 'rank'].includes(k)).sort(), ['end', 'file', 'matched', 'rank', 'score', 'start']);
  const first = out.results[0]!;
  assert.deepEqual([path.relative(t.dir, first.file), first.start, first.end, first.matched, first.rank], ['x/noise.mp4', 10, 20, 'audio', 1]);
  assert.equal(out.results.length, 3);
});

test('foley search defaults, --at, filters, paging and text output', async () => {
  const audio = JSON.parse((await foley(['search', '--audio', clip, '--json', '--top', '1', '--data-dir', t.dataDir])).stdout) as SearchResponse;
  assert.deepEqual([audio.query.in, audio.results.length, audio.hasMore], ['visual', 1, true]);
  const at = await foley(['search', '--at', `${t.files['x/noise.mp4']!}@12.5`, '--weights', '0.2,0.8', '--json', '--data-dir', t.dataDir]);
  assert.equal(at.code, 0, at.stderr);
  const m = JSON.parse(at.stdout) as SearchResponse;
  assert.equal(m.query.in, 'both');
  for (const x of m.results) assert.ok(Math.abs(x.score - (0.2 * (x.scores.audio ?? 0) + 0.8 * (x.scores.visual ?? 0))) < 1e-6);
  const folder = JSON.parse((await foley(['search', '--audio', clip, '--folder', path.join(t.dir, 'y'), '--json', '--data-dir', t.dataDir])).stdout) as SearchResponse;
  assert.deepEqual(folder.results.map((x) => path.relative(t.dir, x.file)), ['y/tone.mp4']);
  const text = await foley(['search', '--image', t.files['y/tone.mp4']!, '--data-dir', t.dataDir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /visual→audio · exact/);
  assert.match(text.stdout, /^ {2}1 {2}-?\d\.\d{4} {2}audio/m);
});

test('foley search usage errors exit 2, missing files exit 1', async () => {
  assert.equal((await foley(['search', '--data-dir', t.dataDir])).code, 2);
  assert.equal((await foley(['search', '--audio', clip, '--image', clip, '--data-dir', t.dataDir])).code, 2);
  assert.equal((await foley(['search', '--audio', clip, '--in', 'sideways', '--data-dir', t.dataDir])).code, 2);
  assert.equal((await foley(['search', '--at', 'nowhere', '--data-dir', t.dataDir])).code, 2);
  assert.equal((await foley(['search', '--audio', clip, '--weights', '1', '--data-dir', t.dataDir])).code, 2);
  const missing = await foley(['search', '--audio', path.join(t.dir, 'nope.wav'), '--data-dir', t.dataDir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.wav/);
  assert.match((await foley(['search', '--help'])).stdout, /--in visual\|audio\|both/);
});
