// The search service on a real (tiny-model) library: sources, directions, both-modality scores,
// filters, paging, merging, thresholds, the query cache, and HNSW agreeing with exact search.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { search } from '../../core/search/search.ts';
import { queryEmbeddings } from '../../core/search/query.ts';
import { scoreAll } from '../../core/search/vectors.ts';
import type { SearchRequest, SearchResponse } from '../../core/search/types.ts';
import { readAllEmbeddings } from '../../db/embeddings.ts';
import { getFileByPath } from '../../db/files.ts';
import { addLabel } from '../../db/labels.ts';
import { decodeAudio } from '../../media/audio.ts';
import { buildLibrary, ffmpeg, SPECS } from './helpers.ts';
import type { TestLibrary } from './helpers.ts';

let t: TestLibrary;
let clip: string; // 10 s cut from b/brown-test at 10 s (its second window)
let frame: string; // the picture of b/brown-test's third window (its middle, 25 s)
let long: string; // 25 s of a/tone440-bars's audio

before(async () => {
  t = await buildLibrary(SPECS);
  clip = path.join(t.dir, 'clip.wav');
  ffmpeg(['-ss', '10', '-i', t.files['b/brown-test.mp4']!, '-t', '10', '-vn', '-c:a', 'pcm_f32le', '-ar', '16000', clip]);
  frame = path.join(t.dir, 'frame.png');
  ffmpeg(['-ss', '25', '-i', t.files['b/brown-test.mp4']!, '-frames:v', '1', frame]);
  long = path.join(t.dir, 'long.flac');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=25', '-c:a', 'flac', long]);
});

after(async () => {
  t.library.close();
  await releaseEncoders();
  rmSync(t.dir, { recursive: true, force: true });
  rmSync(t.dataDir, { recursive: true, force: true });
});

const run = (r: SearchRequest): Promise<SearchResponse> => search(t.library, r, { provider: 'cpu' });
const name = (file: string): string => path.relative(t.dir, file);

/** Window ids of (model, modality) ranked by cosine with q: the ground truth for one index. */
function exactRanking(modality: 'audio' | 'visual', q: Float32Array): number[] {
  const all = readAllEmbeddings(t.library.db, t.modelRow.id, modality);
  const scores = scoreAll(all.vectors, q);
  for (let i = 0; i < scores.length; i++) {
    let n = 0;
    for (let j = 0; j < all.dim; j++) n += all.vectors[i * all.dim + j]! ** 2;
    scores[i]! /= Math.sqrt(n);
  }
  return Array.from(all.ids).map((id, i) => ({ id, s: scores[i]! })).sort((a, b) => b.s - a.s || a.id - b.id).map((x) => x.id);
}

test('audio → audio: a clip cut from an indexed file finds that window first', async () => {
  const r = await run({ query: { kind: 'audio', file: clip }, in: 'audio', merge: false });
  const first = r.results[0]!;
  assert.equal(name(first.file), 'b/brown-test.mp4');
  assert.deepEqual([first.start, first.end, first.matched, first.rank], [10, 20, 'audio', 1]);
  assert.ok(first.score > 0.99, `score ${first.score}`);
  assert.deepEqual(r.query.directions, ['audio→audio']);
  assert.equal(r.method, 'exact');
});

test('visual → visual: a frame of an indexed file finds that window first', async () => {
  const r = await run({ query: { kind: 'image', file: frame }, in: 'visual', merge: false });
  const first = r.results[0]!;
  assert.equal(name(first.file), 'b/brown-test.mp4');
  assert.deepEqual([first.start, first.end, first.matched], [20, 30, 'visual']);
  assert.ok(first.score > 0.99, `score ${first.score}`);
});

test('--in picks the index: each ranking is exactly that modality’s stored vectors against the query', async () => {
  const q = (await queryEmbeddings(t.library.db, t.model, t.modelRow, { kind: 'audio', file: clip }, { provider: 'cpu' })).audio!;
  const top = 50;
  const inAudio = await run({ query: { kind: 'audio', file: clip }, in: 'audio', merge: false, top });
  const inVisual = await run({ query: { kind: 'audio', file: clip }, merge: false, top }); // default for audio: pictures
  assert.equal(inVisual.query.in, 'visual');
  assert.deepEqual(inVisual.query.directions, ['audio→visual']);
  assert.ok(inVisual.results.every((x) => x.matched === 'visual' && x.scores.visual === x.score && x.scores.audio === undefined));
  assert.deepEqual(inAudio.results.map((x) => x.window.id), exactRanking('audio', q));
  assert.deepEqual(inVisual.results.map((x) => x.window.id), exactRanking('visual', q));
  // The audio-only file has no picture: it can only come from the sound index.
  assert.ok(inAudio.results.some((x) => name(x.file) === 'a/only-audio.wav'));
  assert.ok(!inVisual.results.some((x) => name(x.file) === 'a/only-audio.wav'));
  // An image searches sounds by default.
  const img = await run({ query: { kind: 'image', file: frame }, merge: false, top });
  assert.deepEqual([img.query.in, img.query.directions[0]], ['audio', 'visual→audio']);
  const qv = (await queryEmbeddings(t.library.db, t.model, t.modelRow, { kind: 'image', file: frame })).visual!;
  assert.deepEqual(img.results.map((x) => x.window.id), exactRanking('audio', qv));
});

test('both modalities: score = wa·cos_a + wv·cos_v; a window with one modality gets its one term', async () => {
  const at = { kind: 'moment' as const, file: t.files['b/noise-bars.mp4']!, at: 3 };
  const r = await run({ query: at, merge: false, top: 50, weights: [0.3, 0.7] });
  assert.equal(r.query.in, 'both');
  assert.deepEqual(r.query.directions, ['audio→audio', 'visual→visual']);
  for (const x of r.results) {
    const expected = 0.3 * (x.scores.audio ?? 0) + 0.7 * (x.scores.visual ?? 0);
    assert.ok(Math.abs(x.score - expected) < 1e-6);
    assert.equal(x.matched, 'both');
  }
  const own = getFileByPath(t.library.db, at.file)!;
  assert.ok(!r.results.some((x) => x.fileId === own.id && x.start === 0), 'the query window itself is left out');
  const wav = r.results.find((x) => name(x.file) === 'a/only-audio.wav')!;
  assert.equal(wav.scores.visual, undefined);
  assert.ok(Math.abs(wav.score - 0.3 * wav.scores.audio!) < 1e-6);
  // Weights 1,0 rank like the sound index alone (over windows that have a sound).
  const audioOnly = await run({ query: at, merge: false, top: 50, weights: [1, 0] });
  const viaAudio = await run({ query: at, in: 'audio', merge: false, top: 50 });
  assert.deepEqual(audioOnly.results.map((x) => x.window.id), viaAudio.results.map((x) => x.window.id));
  const self = await run({ query: at, merge: false, excludeSelf: false, in: 'audio' });
  assert.ok(self.results[0]!.fileId === own.id && self.results[0]!.start === 0 && self.results[0]!.score > 0.999);
});

test('HNSW with exact re-ranking returns the exact results', async () => {
  for (const req of [
    { query: { kind: 'audio', file: clip }, in: 'audio', merge: false, top: 8 },
    { query: { kind: 'moment', file: t.files['b/chirp-red.mp4']!, at: 12 }, top: 5, offset: 2 },
  ] as SearchRequest[]) {
    const exact = await run({ ...req, method: 'exact' });
    const hnsw = await run({ ...req, method: 'hnsw' });
    assert.equal(hnsw.method, 'hnsw');
    assert.deepEqual(hnsw.results, exact.results);
  }
});

test('filters: folder, modification time, duration, label', async () => {
  const q = { kind: 'audio' as const, file: clip };
  const folder = await run({ query: q, in: 'audio', top: 50, filters: { folder: path.join(t.dir, 'a') } });
  assert.ok(folder.results.length > 0 && folder.results.every((x) => name(x.file).startsWith('a/')));
  // Prefix means folder, not string prefix: "a" must not match a sibling "ab".
  assert.equal((await run({ query: q, in: 'audio', filters: { folder: path.join(t.dir, 'b', 'noise') } })).results.length, 0);

  const old = t.files['b/chirp-red.mp4']!;
  const id = getFileByPath(t.library.db, old)!.id;
  t.library.db.prepare('UPDATE files SET mtime_ms = ? WHERE id = ?').run(1_000_000, id);
  const dated = await run({ query: q, in: 'audio', top: 50, filters: { modifiedTo: 2_000_000 } });
  assert.deepEqual([...new Set(dated.results.map((x) => name(x.file)))], ['b/chirp-red.mp4']);
  const recent = await run({ query: q, in: 'audio', top: 50, filters: { modifiedFrom: 2_000_000 } });
  assert.ok(!recent.results.some((x) => x.fileId === id));

  const longOnes = await run({ query: q, in: 'audio', top: 50, filters: { minDuration: 25 } });
  assert.deepEqual([...new Set(longOnes.results.map((x) => name(x.file)))], ['b/brown-test.mp4']);
  const short = await run({ query: q, in: 'audio', top: 50, filters: { maxDuration: 25 } });
  assert.ok(short.results.length > 0 && !short.results.some((x) => name(x.file) === 'b/brown-test.mp4'));

  addLabel(t.library.db, { name: 'dog', fileId: getFileByPath(t.library.db, t.files['a/tone440-mandel.mp4']!)!.id, startS: 12, endS: 14, polarity: 'positive' });
  addLabel(t.library.db, { name: 'dog', fileId: getFileByPath(t.library.db, t.files['b/noise-bars.mp4']!)!.id, polarity: 'negative' });
  addLabel(t.library.db, { name: 'dog', fileId: getFileByPath(t.library.db, t.files['a/only-audio.wav']!)!.id, polarity: 'positive' });
  const dog = await run({ query: q, in: 'audio', merge: false, top: 50, filters: { label: 'dog' } });
  assert.deepEqual(dog.results.map((x) => `${name(x.file)}@${x.start}`).sort(), ['a/only-audio.wav@0', 'a/only-audio.wav@10', 'a/tone440-mandel.mp4@10']);
  // Filters with HNSW: over-fetching still fills the page.
  const dogHnsw = await run({ query: q, in: 'audio', merge: false, top: 50, filters: { label: 'dog' }, method: 'hnsw' });
  assert.deepEqual(dogHnsw.results, dog.results);
});

test('paging, threshold, merging and grouping', async () => {
  const q = { kind: 'image' as const, file: frame };
  const all = await run({ query: q, in: 'visual', merge: false, top: 100 });
  assert.equal(all.results.length, 11); // 5 videos: 2+2+2+2+3 windows (the wav has no picture)
  assert.equal(all.hasMore, false);
  assert.deepEqual(all.results.map((x) => x.rank), all.results.map((_, i) => i + 1));
  const pages = [];
  for (let offset = 0; offset < 11; offset += 5) {
    const p = await run({ query: q, in: 'visual', merge: false, top: 5, offset });
    assert.equal(p.hasMore, offset + 5 < 11);
    pages.push(...p.results);
  }
  assert.deepEqual(pages, all.results);

  const cut = all.results[4]!.score;
  const above = await run({ query: q, in: 'visual', merge: false, top: 100, threshold: cut });
  assert.deepEqual(above.results, all.results.filter((x) => x.score >= cut));
  assert.equal((await run({ query: q, in: 'visual', threshold: 1.01 })).results.length, 0);

  // Merged: the static pictures are the same in both windows, so those files become one moment.
  const merged = await run({ query: q, in: 'visual', top: 100 });
  const bars = merged.results.find((x) => name(x.file) === 'a/tone440-bars.mp4')!;
  assert.deepEqual([bars.start, bars.end, bars.windows], [0, 20, 2]);
  assert.equal(merged.results.reduce((s, x) => s + x.windows, 0), 11);
  for (const x of merged.results) assert.ok(x.window.start >= x.start && x.window.end <= x.end);
  assert.ok(merged.results.every((x, i) => i === 0 || merged.results[i - 1]!.score >= x.score));

  const grouped = await run({ query: q, in: 'visual', merge: false, groupByFile: true, top: 100 });
  assert.equal(grouped.results.length, 5);
  assert.equal(new Set(grouped.results.map((x) => x.fileId)).size, 5);
  assert.equal(grouped.results.reduce((s, x) => s + x.moments!.length, 0), 11);
  assert.equal(name(grouped.results[0]!.file), 'b/brown-test.mp4');
});

test('audio sources: long audio averages its windows, PCM equals the file, embeddings are cached', async () => {
  const r = await run({ query: { kind: 'audio', file: long }, in: 'audio' });
  assert.equal(r.query.windows, 3);
  assert.equal(r.query.cached, false);
  // The query embedding is the normalised mean of its windows' embeddings (10 + 10 + 5 s).
  const embed = async (start: number, duration?: number): Promise<Float32Array> =>
    (await queryEmbeddings(t.library.db, t.model, t.modelRow, { kind: 'audio', file: long, start, ...(duration !== undefined ? { duration } : {}) })).audio!;
  const whole = await embed(0);
  const parts = [await embed(0, 10), await embed(10, 10), await embed(20, 5)];
  const mean = parts[0]!.map((_, d) => parts.reduce((s, p) => s + p[d]!, 0));
  const norm = Math.hypot(...mean);
  const cos = whole.reduce((s, x, d) => s + (x * mean[d]!) / norm, 0);
  assert.ok(cos > 0.9999, `cosine ${cos}`);
  const again = await run({ query: { kind: 'audio', file: long }, in: 'audio', offset: 1 });
  assert.equal(again.query.cached, true);
  const sliced = await run({ query: { kind: 'audio', file: long, start: 5, duration: 10 }, in: 'audio' });
  assert.deepEqual([sliced.query.windows, sliced.query.cached], [1, false]);
  // A changed file is embedded again.
  utimesSync(long, new Date(), new Date(Date.now() + 5000));
  assert.equal((await run({ query: { kind: 'audio', file: long }, in: 'audio' })).query.cached, false);

  const samples = await decodeAudio(clip);
  const fromPcm = await run({ query: { kind: 'pcm', samples }, in: 'audio', merge: false });
  const fromFile = await run({ query: { kind: 'audio', file: clip }, in: 'audio', merge: false });
  assert.deepEqual(fromPcm.results.map((x) => x.window.id), fromFile.results.map((x) => x.window.id));
  assert.ok(Math.abs(fromPcm.results[0]!.score - fromFile.results[0]!.score) < 1e-5);
  await assert.rejects(run({ query: { kind: 'pcm', samples: [0, 0, 0] } }), /too short/);
  await assert.rejects(run({ query: { kind: 'moment', file: clip, at: 1 } }), /not in the library/);
  await assert.rejects(run({ query: { kind: 'audio', file: clip }, top: 0 }), /top must be/);
});

test('a newly indexed file is searchable at once (exact and HNSW catch up)', async () => {
  const { indexFile, makeClip } = await import('./helpers.ts');
  const before = await run({ query: { kind: 'audio', file: clip }, in: 'audio', method: 'hnsw', top: 100, merge: false });
  const added = makeClip(t.dir, { name: 'c/late.mp4', audio: 'anoisesrc=color=brown:seed=2', video: 'testsrc', seconds: 12 });
  await indexFile(t, added);
  for (const method of ['hnsw', 'exact'] as const) {
    const r = await run({ query: { kind: 'audio', file: clip }, in: 'audio', method, top: 100, merge: false });
    assert.equal(r.results.length, before.results.length + 2, method);
    assert.ok(r.results.some((x) => name(x.file) === 'c/late.mp4'));
  }
});
