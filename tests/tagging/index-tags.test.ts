// `foley index` with a tagging model installed tags every window after embedding it, including a
// video without sound and a sound without video (their fall-back modes); `foley status --json` says
// so, with the last run's cost per window; a re-run tags nothing twice; `foley tag` finds nothing
// left. The stored logits of an audio-visual window equal the classifier on that window's sound and
// middle picture, decoded here independently. Real ffmpeg, real ONNX, through the CLI.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { encoderFor, releaseEncoders } from '../../core/embedding/encoders.ts';
import { modelRecord, openLibrary } from '../../core/library/handle.ts';
import { importModel, resolveModel } from '../../core/models/store.ts';
import { windowClassLogits } from '../../db/class-logits.ts';
import { getFileByPath } from '../../db/files.ts';
import { listWindows } from '../../db/windows.ts';
import { decodeAudio } from '../../media/audio.ts';
import { decodeFrameRgb } from '../../media/image.ts';
import { classify } from '../../native-models/cavmae/classifier.ts';
import { foley } from '../helpers/cli.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { ffmpeg, makeClip } from '../indexing/helpers.ts';

const dirs: string[] = [];
after(async () => {
  await releaseEncoders();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Status {
  windows: number;
  tagging: {
    model: string;
    recipe: { mode: string; frames: number; activation: string; source: string };
    modes: { mode: string; frames: number; windows: number }[];
    tagged: number;
    windows: number;
    running: boolean;
    msPerWindow: number | null;
  } | null;
}

test('foley index tags every new window when a tagging model is installed; status reports it; nothing is tagged twice', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-index-tags-'));
  dirs.push(base);
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  await makeClip(path.join(root, 'av.mp4'), 21, 440);
  // 12 s of pictures without a sound track, 10 s of sound without pictures.
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=5:duration=12', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-an', path.join(root, 'silent.mp4')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=700:sample_rate=16000:duration=10', path.join(root, 'sound.wav')]);
  await importModel(dataDir, path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), { name: 'as', heads: 1 });

  const before = await foley(['status', '--json', '--data-dir', dataDir]);
  assert.equal(before.code, 0, before.stderr);
  assert.deepEqual((JSON.parse(before.stdout) as Status).tagging?.tagged, 0);

  const indexed = await foley(['index', root, '--json', '--data-dir', dataDir]);
  assert.equal(indexed.code, 0, indexed.stderr);
  const summary = JSON.parse(indexed.stdout) as { windows: number; tagging: { tagged: number; status: string; recipe: { mode: string; frames: number } } };
  // av.mp4: 0–10, 10–20, 20–21 → 3 windows; silent.mp4 2, sound.wav 1.
  assert.equal(summary.windows, 6);
  assert.deepEqual([summary.tagging.tagged, summary.tagging.status, summary.tagging.recipe.mode, summary.tagging.recipe.frames], [6, 'done', 'multimodal', 1]);
  assert.match(indexed.stderr, /"tagging":\{"done":6,"total":6/, 'progress lines');

  const st = JSON.parse((await foley(['status', '--json', '--data-dir', dataDir])).stdout) as Status;
  assert.equal(st.windows, 6);
  const t = st.tagging!;
  assert.deepEqual([t.model, t.tagged, t.windows, t.running], ['as', 6, 6, false]);
  assert.deepEqual(t.recipe, { mode: 'multimodal', frames: 1, activation: 'sigmoid', source: 'default' });
  assert.deepEqual(
    [...t.modes].sort((a, b) => a.mode.localeCompare(b.mode)),
    [
      { mode: 'missingaudioonly', frames: 0, windows: 1 },
      { mode: 'missingvideoonly', frames: 1, windows: 2 },
      { mode: 'multimodal', frames: 1, windows: 3 },
    ],
  );
  assert.ok(t.msPerWindow !== null && t.msPerWindow > 0, `ms per window: ${t.msPerWindow}`);
  const text = await foley(['status', '--data-dir', dataDir]);
  assert.match(text.stdout, /Tagging: as \(multimodal, 1 picture\) 6\/6 windows \(of which (1 missingaudioonly\/0, 2 missingvideoonly\/1|2 missingvideoonly\/1, 1 missingaudioonly\/0)\), [\d.]+ ms a window/);

  // The stored logits of av.mp4's second window: the classifier on its sound and its middle picture.
  const library = openLibrary(dataDir);
  try {
    const { model } = await importModel(path.join(base, 'scratch'), path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), { name: 'as', heads: 1 });
    const encoder = encoderFor(model, { provider: 'cpu', threads: 1 });
    const clip = path.join(root, 'av.mp4');
    const w = listWindows(library.db, getFileByPath(library.db, clip)!.id)[1]!;
    const audio = encoder.audioInput(await decodeAudio(clip, { start: w.startS, duration: w.endS - w.startS }));
    const want = await classify(encoder, 'multimodal', { audio, visual: encoder.imageInput(await decodeFrameRgb(clip, (w.startS + w.endS) / 2)) });
    const storedModelId = modelRecord(library, await resolveModel(dataDir, 'as')).id;
    const got = windowClassLogits(library.db, storedModelId, w.id)!;
    assert.deepEqual([got.mode, got.frames], ['multimodal', 1]);
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got.logits[i]! - want[i]!));
    assert.ok(diff < 1e-4, `stored vs independent: ${diff}`);
  } finally {
    library.close();
  }

  // Nothing twice: a re-run of index, then foley tag, find every window tagged.
  const again = await foley(['index', root, '--json', '--data-dir', dataDir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { tagging: { tagged: number } }).tagging.tagged, 0);
  const tag = await foley(['tag', '--json', '--data-dir', dataDir]);
  assert.equal(tag.code, 0, tag.stderr);
  assert.deepEqual((JSON.parse(tag.stdout) as { tagged: number; status: string }).tagged, 0);
  const after2 = JSON.parse((await foley(['status', '--json', '--data-dir', dataDir])).stdout) as Status;
  assert.deepEqual([after2.tagging!.tagged, after2.tagging!.msPerWindow], [6, t.msPerWindow], 'a run with nothing to tag keeps the last cost');
});

test('foley index without a tagging model does not tag; foley tag says why it cannot', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-index-notag-'));
  dirs.push(base);
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  await makeClip(path.join(root, 'a.mp4'), 5, 440);
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'pre', heads: 1 });
  const indexed = await foley(['index', root, '--json', '--data-dir', dataDir]);
  assert.equal(indexed.code, 0, indexed.stderr);
  assert.equal((JSON.parse(indexed.stdout) as { tagging?: unknown }).tagging, undefined);
  assert.equal((JSON.parse((await foley(['status', '--json', '--data-dir', dataDir])).stdout) as Status).tagging, null);
  const tag = await foley(['tag', '--data-dir', dataDir]);
  assert.notEqual(tag.code, 0);
  assert.match(tag.stderr, /no installed model can tag/);
  const named = await foley(['tag', '--model', 'pre', '--data-dir', dataDir]);
  assert.match(named.stderr, /model pre has no classifier/);
});
