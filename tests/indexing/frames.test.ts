// Frame aggregation (`foley index --frames K`): K = 1 stores exactly the middle frame's vector; K = 4
// stores the L2-normalised mean of the four frames' embeddings at the centres of four equal parts
// (computed here independently: ffmpeg frame by frame, the Encoder, float64 sums); K is stored per run,
// kept by later runs, and a changed K re-embeds only the pictures; bad K values are refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encoderFor, releaseEncoders } from '../../core/embedding/encoders.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import { modelRecord, openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { getEmbedding } from '../../db/embeddings.ts';
import { latestFrames, listRuns } from '../../db/runs.ts';
import { windowClassLogits } from '../../db/class-logits.ts';
import { tagLibrary } from '../../core/tagging/tag-library.ts';
import { probabilities } from '../../core/tagging/probability.ts';
import { classify } from '../../native-models/cavmae/classifier.ts';
import { decodeAudio } from '../../media/audio.ts';
import { listWindows } from '../../db/windows.ts';
import { listFiles } from '../../db/files.ts';
import { decodeFrameRgb } from '../../media/image.ts';
import { foley } from '../helpers/cli.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeClip } from './helpers.ts';

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('frame aggregation', () => {
  let base: string;
  let root: string;
  let library: Library;
  let model: InstalledModel;
  let modelId: number;
  const visualOf = (): Float32Array[] => listWindows(library.db, 1).map((w) => getEmbedding(library.db, w.id, modelId, 'visual')!);
  const audioOf = (): Float32Array[] => listWindows(library.db, 1).map((w) => getEmbedding(library.db, w.id, modelId, 'audio')!);

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'foley-frames-'));
    root = path.join(base, 'videos');
    mkdirSync(root);
    // testsrc's picture moves and counts seconds: every frame time gives another picture.
    await makeClip(path.join(root, 'a.mp4'), 14, 440);
    library = openLibrary(path.join(base, 'data'));
    model = (await importModel(library.dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 })).model;
    modelId = modelRecord(library, model).id;
  });

  after(async () => {
    library.close();
    await releaseEncoders();
    rmSync(base, { recursive: true, force: true });
  });

  test('K = 1 stores the middle frame\'s embedding, as before', async () => {
    await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1 });
    assert.equal(latestFrames(library.db, modelId), 1);
    const encoder = encoderFor(model, { provider: 'cpu', threads: 1 });
    const [w0] = listWindows(library.db, 1);
    const middle = (await encoder.encode('visual', encoder.imageInput(await decodeFrameRgb(path.join(root, 'a.mp4'), (w0!.startS + w0!.endS) / 2)))).embeddings;
    assert.ok(cosine(visualOf()[0]!, middle) > 0.9999);
  });

  test('K = 4: the normalised mean of the four frames; only pictures are re-embedded; K is kept', async () => {
    const audioBefore = audioOf();
    const visualBefore = visualOf();
    const s = await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1, frames: 4 });
    assert.equal(s.indexed, 1, 'the file is re-embedded for the new frame count');
    assert.equal(listRuns(library.db, modelId).at(-1)!.frames, 4);
    assert.deepEqual(audioOf(), audioBefore, 'sound vectors untouched');
    const encoder = encoderFor(model, { provider: 'cpu', threads: 1 });
    for (const [i, w] of listWindows(library.db, 1).entries()) {
      const sum = new Float64Array(model.manifest.config.embedDim);
      for (let j = 0; j < 4; j++) {
        const t = w.startS + ((j + 0.5) * (w.endS - w.startS)) / 4;
        const e = (await encoder.encode('visual', encoder.imageInput(await decodeFrameRgb(path.join(root, 'a.mp4'), t)))).embeddings;
        for (let d = 0; d < sum.length; d++) sum[d]! += e[d]!;
      }
      const expected = Float32Array.from(sum);
      const stored = visualOf()[i]!;
      const c = cosine(stored, expected);
      assert.ok(c > 0.9995, `window ${i}: cosine to the independent mean ${c}`);
      assert.ok(cosine(stored, visualBefore[i]!) < 0.9999, `window ${i}: not the middle frame's vector any more`);
    }
    // A plain re-run keeps K = 4 and has nothing to do.
    const again = await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1 });
    assert.equal(again.indexed, 0);
    assert.equal(latestFrames(library.db, modelId), 4);
  });

  test('status reports the frame count; bad --frames values are refused', async () => {
    const st = await foley(['status', '--json', '--data-dir', library.dataDir]);
    assert.equal(st.code, 0, st.stderr);
    const models = (JSON.parse(st.stdout) as { models: Array<{ name: string; frames: Array<{ frames: number; visualVectors: number }> }> }).models;
    assert.deepEqual(models.find((m) => m.name === 'tiny')!.frames, [{ frames: 4, visualVectors: 2 }]);
    for (const [value, message] of [['0', /--frames must be/], ['17', /at most 16/], ['2.5', /--frames must be/]] as const) {
      const r = await foley(['index', root, '--frames', value, '--data-dir', library.dataDir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    }
    await assert.rejects(runIndex({ library, model, roots: [root], provider: 'cpu', frames: 0 }), /from 1 to 16/);
  });
});

test('tagging with --frames K averages a fine-tuned classifier\'s probabilities over the K pictures of a window', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-frames-ft-'));
  const library = openLibrary(path.join(base, 'data'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    const clip = path.join(root, 'a.mp4');
    await makeClip(clip, 10, 440);
    const model = (await importModel(library.dataDir, path.join(cavmaeDir('ft-d32-c10'), 'checkpoint.pth'), { name: 'ft', heads: 1 })).model;
    await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1 });
    const session = { provider: 'cpu', threads: 1 } as const;
    assert.equal((await tagLibrary(library, model, { session, frames: 3 })).tagged, 1);
    const modelId = modelRecord(library, model).id;
    const windowId = listWindows(library.db, listFiles(library.db)[0]!.id)[0]!.id;
    // Independently: the window's sound with each of its three pictures; sigmoid, then the mean (spec §2.1).
    const encoder = encoderFor(model, session);
    const audio = encoder.audioInput(await decodeAudio(clip, { start: 0, duration: 10 }));
    const sum = new Float64Array(10);
    for (const t of [10 / 6, 5, 50 / 6]) {
      const logits = await classify(encoder, 'multimodal', { audio, visual: encoder.imageInput(await decodeFrameRgb(clip, t)) });
      for (let c = 0; c < 10; c++) sum[c]! += 1 / (1 + Math.exp(-logits[c]!));
    }
    const stored = windowClassLogits(library.db, modelId, windowId)!;
    assert.deepEqual([stored.mode, stored.frames], ['multimodal', 3]);
    const p = probabilities(stored.logits, 'sigmoid');
    for (let c = 0; c < 10; c++) {
      const expected = sum[c]! / 3;
      assert.ok(Math.abs(p[c]! - expected) < 1e-4, `class ${c}: ${p[c]} vs ${expected}`);
    }
    // Another index K re-embeds the pictures and forgets the logits made before; the next run makes them again.
    await runIndex({ library, model, roots: [root], provider: 'cpu', threads: 1, frames: 2 });
    assert.equal(windowClassLogits(library.db, modelId, windowId), undefined);
    assert.equal((await tagLibrary(library, model, { session })).tagged, 1);
    assert.deepEqual([windowClassLogits(library.db, modelId, windowId)!.frames], [1]);
  } finally {
    library.close();
    await releaseEncoders();
    rmSync(base, { recursive: true, force: true });
  }
});
