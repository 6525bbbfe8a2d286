// A CAV-MAE Sync model in a real library (random small Sync weights in the official layout, real
// ffmpeg, ONNX Runtime and SQLite): windows indexed as frame-level moments; a frame's own vector finds
// that frame, to the second; a moment query compares whole windows by the clip score; another moment
// count re-embeds both modalities; `foley embed --frame`, `foley status` and `foley eval` side by side
// with CAV-MAE on the same library.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { foley } from '../helpers/cli.ts';
import { ffmpeg, makeClip } from '../indexing/helpers.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { importModel } from '../../core/models/store.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { search } from '../../core/search/search.ts';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { getFrameEmbedding } from '../../db/embeddings.ts';
import { listModels } from '../../db/models.ts';
import { clipScore } from '../../core/search/clips.ts';
import { randomSyncStateDict, SYNC_FULL_SIZE, writeSafetensors } from '../../bench/random-checkpoint.ts';

const D = 32;
let base: string;
let root: string;
let dataDir: string;

before(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-sync-'));
  root = path.join(base, 'videos');
  dataDir = path.join(base, 'data');
  mkdirSync(root, { recursive: true });
  const patterns = ['testsrc', 'smptebars', 'rgbtestsrc', 'testsrc2', 'yuvtestsrc'];
  // 12-s clips end in a 2-s window: only its first frames (0.00 s, 0.64 s … < 2 s) exist there.
  for (const [i, p] of patterns.entries()) await makeClip(path.join(root, `clip${i}.mp4`), i % 2 === 0 ? 12 : 10, 300 + 170 * i, p);
  // A window whose every frame differs: the hue turns and the tone rises through it.
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=10,hue=H=2*PI*t/10',
    '-f', 'lavfi', '-i', 'aevalsrc=sin(2*PI*(200+150*t)*t):s=16000:d=10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(root, 'sweep.mp4'),
  ]);
  const ckpt = path.join(base, 'sync.safetensors');
  writeSafetensors(ckpt, randomSyncStateDict({ ...SYNC_FULL_SIZE, embedDim: D, numHeads: 2, mlpHidden: 4 * D }, 5));
  await importModel(dataDir, ckpt, { name: 'sync', heads: 2 });
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  for (const model of ['tiny', 'sync']) {
    const r = await foley(['index', root, '--data-dir', dataDir, '--model', model, '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await releaseEncoders();
  rmSync(base, { recursive: true, force: true });
});

async function withLibrary<T>(fn: (library: Library) => Promise<T>): Promise<T> {
  const library = openLibrary(dataDir);
  try {
    return await fn(library);
  } finally {
    library.close();
  }
}

interface StatusJson {
  models: Array<{ name: string; frameLevel: boolean; audioVectors: number; visualVectors: number; frames: Array<{ frames: number; visualVectors: number }> }>;
}

test('status: the Sync model is frame-level, 4 moments per window on its first run; CAV-MAE is not', async () => {
  const r = await foley(['status', '--data-dir', dataDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as StatusJson;
  const sync = s.models.find((m) => m.name === 'sync')!;
  const tiny = s.models.find((m) => m.name === 'tiny')!;
  assert.equal(sync.frameLevel, true);
  assert.equal(tiny.frameLevel, false);
  // 6 clips: 12-s clips have 2 windows (10 + 2 s), 10-s clips one → 3 × 2 + 3 × 1 = 9 windows.
  assert.equal(sync.audioVectors, 9);
  assert.equal(sync.visualVectors, 9);
  assert.deepEqual(sync.frames, [{ frames: 4, visualVectors: 9 }]);
  const human = await foley(['status', '--data-dir', dataDir]);
  assert.match(human.stdout, /Model sync .*9 sound \+ 9 picture windows of frame vectors \(9 with 4 moments\)/);
});

test('a frame\'s own vector finds that frame: the result points to its second, not the 10-s window', async () => {
  await withLibrary(async (library) => {
    const model = listModels(library.db).find((m) => m.name === 'sync')!;
    const file = path.join(root, 'sweep.mp4');
    const window = library.db.prepare<[string], { id: number; start_s: number }>('SELECT w.id, w.start_s FROM windows w JOIN files f ON f.id = w.file_id WHERE f.path = ? ORDER BY w.start_s').get(file)!;
    const frames = getFrameEmbedding(library.db, window.id, model.id, 'visual')!;
    assert.deepEqual(frames.frames, [2, 6, 10, 14]);
    // Frame 10: the picture at 6.40 s, standing for 5.12–7.68 s (its quarter of the window).
    const v = Array.from(frames.vectors.subarray(2 * D, 3 * D));
    const r = await search(library, { model: 'sync', query: { kind: 'embedding', visual: v }, in: 'visual', merge: false, top: 3 });
    const best = r.results[0]!;
    assert.equal(best.file, file);
    assert.ok(Math.abs(best.at! - 6.4) < 1e-9, `at ${best.at}`);
    assert.ok(Math.abs(best.start - 5.12) < 1e-9 && Math.abs(best.end - 7.68) < 1e-9, `${best.start}–${best.end}`);
    assert.equal(best.window.start, 0);
    assert.ok(best.score > 0.9999);
    // Its neighbours in time are other pictures: the frame itself wins by a margin, not by a tie.
    assert.ok(r.results[1]!.score < best.score - 1e-3, `runner-up ${r.results[1]!.score}`);
    // The partial last window of a 12-s clip holds the one frame inside it (frame 2, at 11.28 s).
    const last = library.db.prepare<[], { id: number }>("SELECT w.id FROM windows w JOIN files f ON f.id = w.file_id WHERE f.path LIKE '%clip0.mp4' AND w.start_s = 10").get()!;
    assert.deepEqual(getFrameEmbedding(library.db, last.id, model.id, 'audio')!.frames, [2]);
  });
});

test('a sound file searches frames (results carry their frame time); a moment query compares whole windows', async () => {
  await withLibrary(async (library) => {
    const model = listModels(library.db).find((m) => m.name === 'sync')!;
    const sound = await search(library, { model: 'sync', query: { kind: 'audio', file: path.join(root, 'clip2.mp4') }, top: 5, merge: false });
    assert.equal(sound.query.in, 'visual');
    assert.ok(sound.results.length > 0);
    for (const r of sound.results) {
      assert.ok(r.at !== undefined && r.at >= r.start - 1e-9 && r.at <= r.end + 1e-9);
      assert.ok(r.end - r.start < 10, 'a frame hit is shorter than its window');
    }
    const moment = await search(library, { model: 'sync', query: { kind: 'moment', file: path.join(root, 'clip3.mp4'), at: 3 }, top: 20, merge: false });
    assert.equal(moment.query.in, 'both');
    const self = library.db.prepare<[], { id: number }>("SELECT w.id FROM windows w JOIN files f ON f.id = w.file_id WHERE f.path LIKE '%clip3.mp4'").get()!.id;
    assert.ok(moment.results.every((r) => r.at === undefined && r.window.id !== self));
    // Each score is the clip score of §6 computed here from the stored frames: 0.5·audio + 0.5·visual.
    const qa = getFrameEmbedding(library.db, self, model.id, 'audio')!;
    const qv = getFrameEmbedding(library.db, self, model.id, 'visual')!;
    for (const r of moment.results.slice(0, 5)) {
      const a = clipScore(qa, getFrameEmbedding(library.db, r.window.id, model.id, 'audio')!, D);
      const v = clipScore(qv, getFrameEmbedding(library.db, r.window.id, model.id, 'visual')!, D);
      assert.ok(Math.abs(r.scores.audio! - a) < 1e-5 && Math.abs(r.scores.visual! - v) < 1e-5);
      assert.ok(Math.abs(r.score - (0.5 * a + 0.5 * v)) < 1e-5);
    }
    // Ordered best first.
    for (let i = 1; i < moment.results.length; i++) assert.ok(moment.results[i - 1]!.score >= moment.results[i]!.score);
  });
});

test('foley embed --frame: frames 0–3 share the clamped first stretch; CAV-MAE refuses --frame', async () => {
  const embed = async (...args: string[]): Promise<number[]> => {
    const r = await foley(['embed', '--data-dir', dataDir, '--model', 'sync', '--audio', path.join(root, 'clip0.mp4'), '--json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { embedding: number[]; modality: string };
    assert.equal(j.modality, 'audio');
    assert.equal(j.embedding.length, D);
    return j.embedding;
  };
  const f0 = await embed('--frame', '0');
  const f3 = await embed('--frame', '3');
  const f8 = await embed();
  const f8b = await embed('--frame', '8');
  assert.deepEqual(f0, f3);
  assert.deepEqual(f8, f8b);
  assert.notDeepEqual(f0, f8);
  assert.ok(Math.abs(Math.hypot(...f8) - 1) < 1e-5);
  const bad = await foley(['embed', '--data-dir', dataDir, '--model', 'sync', '--audio', path.join(root, 'clip0.mp4'), '--frame', '16']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--frame must be a whole number from 0 to 15/);
  const cav = await foley(['embed', '--data-dir', dataDir, '--model', 'tiny', '--audio', path.join(root, 'clip0.mp4'), '--frame', '2']);
  assert.notEqual(cav.code, 0);
  assert.match(cav.stderr, /--frame applies to frame-level models \(CAV-MAE Sync\)/);
});

test('foley eval compares CAV-MAE and Sync on the same library; 16 moments re-embed both modalities', async () => {
  const r = await foley(['eval', '--data-dir', dataDir, '--model', 'tiny', '--model', 'sync', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [tiny, sync] = JSON.parse(r.stdout) as Array<{ n: number; model: string; audioToVisual: { r1: number; r10: number } }>;
  assert.equal(tiny!.model, 'tiny');
  assert.equal(sync!.model, 'sync');
  // One seeded window per file, as for CAV-MAE: every file counts for both.
  assert.equal(tiny!.n, 6);
  assert.equal(sync!.n, 6);
  assert.equal(sync!.audioToVisual.r10, 1);

  const again = await foley(['index', root, '--data-dir', dataDir, '--model', 'sync', '--frames', '16', '--json']);
  assert.equal(again.code, 0, again.stderr);
  const s = JSON.parse((await foley(['status', '--data-dir', dataDir, '--json'])).stdout) as StatusJson;
  assert.deepEqual(s.models.find((m) => m.name === 'sync')!.frames, [{ frames: 16, visualVectors: 9 }]);
  await withLibrary(async (library) => {
    const model = listModels(library.db).find((m) => m.name === 'sync')!;
    const w = library.db.prepare<[], { id: number }>("SELECT w.id FROM windows w JOIN files f ON f.id = w.file_id WHERE f.path LIKE '%clip1.mp4'").get()!;
    assert.equal(getFrameEmbedding(library.db, w.id, model.id, 'audio')!.frames.length, 16);
    assert.equal(getFrameEmbedding(library.db, w.id, model.id, 'visual')!.frames.length, 16);
    // A 2-s last window (a 5-fps 12-s clip: its last frame at 11.8 s) holds frames 0–3; frame 3, at
    // 11.92 s, is past the last picture and reuses frame 2's, as the official loader does.
    const last = library.db.prepare<[], { id: number }>("SELECT w.id FROM windows w JOIN files f ON f.id = w.file_id WHERE f.path LIKE '%clip0.mp4' AND w.start_s = 10").get()!;
    const v = getFrameEmbedding(library.db, last.id, model.id, 'visual')!;
    assert.deepEqual(v.frames, [0, 1, 2, 3]);
    assert.deepEqual(v.vectors.subarray(3 * D, 4 * D), v.vectors.subarray(2 * D, 3 * D));
  });
  const bad = await foley(['index', root, '--data-dir', dataDir, '--model', 'sync', '--frames', '3']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /moments per window must be one of 1, 2, 4, 8, 16/);
});

test('foley localize with Sync: maps 14 × 14 and 8 × 26, the sound map over frame 8\'s stretch (from 3.04 s)', async () => {
  const r = await foley(['localize', '--data-dir', dataDir, '--model', 'sync', '--audio', path.join(root, 'sweep.mp4'), '--at', `${path.join(root, 'clip1.mp4')}@2`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { visual: { shape: number[]; data: number[] }; audio: { shape: number[]; data: number[] }; sound: { start: number; inputStart: number; inputSeconds: number; peak: number } };
  assert.deepEqual(j.visual.shape, [14, 14]);
  assert.deepEqual(j.audio.shape, [8, 26]);
  assert.equal(j.audio.data.length, 8 * 26);
  assert.ok(j.visual.data.every((x) => x >= -1 - 1e-6 && x <= 1 + 1e-6));
  assert.equal(j.sound.inputStart, 3.04);
  assert.equal(j.sound.inputSeconds, 4.16);
  // The peak lies inside the stretch the map covers.
  assert.ok(j.sound.peak >= j.sound.start + 3.04 && j.sound.peak <= j.sound.start + 7.2, `peak ${j.sound.peak}`);
});
