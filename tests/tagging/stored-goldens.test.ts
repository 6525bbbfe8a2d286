// The logits the tagger stores (tagWindow → putClassLogits → class_logits) against the official
// PyTorch forward (scripts/goldens/make_cavmae_goldens.py) on the golden inputs, within 1e-4, for the
// 527-class (sigmoid) and 309-class (softmax) checkpoints: audio only, audio-visual with one picture,
// and the fall-backs of a window missing a modality. Several pictures: the stored vector's
// probabilities against the mean of each picture's sigmoid / softmax, computed here from classify().
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { encoderFor, releaseEncoders } from '../../core/embedding/encoders.ts';
import { modelRecord, openLibrary } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import { probabilities } from '../../core/tagging/probability.ts';
import type { TagRecipe } from '../../core/tagging/tagger.ts';
import { tagWindow } from '../../core/tagging/window-tags.ts';
import { putClassLogits, windowClassLogits } from '../../db/class-logits.ts';
import { addFile } from '../../db/files.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { classify } from '../../native-models/cavmae/classifier.ts';
import { cavmaeDir, cavmaeInputs, goldenArray } from '../helpers/fixtures.ts';

const dirs: string[] = [];
after(async () => {
  await releaseEncoders();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const [variant, classes, activation] of [['ft-d32-c527', 527, 'sigmoid'], ['ft-d32-c309', 309, 'softmax']] as const) {
  test(`${variant}: stored logits give the official ones in each mode, and the ${activation} mean over pictures`, async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'foley-stored-goldens-'));
    dirs.push(base);
    const library = openLibrary(path.join(base, 'data'));
    try {
      const { model } = await importModel(library.dataDir, path.join(cavmaeDir(variant), 'checkpoint.pth'), { name: 'ft', heads: 1 });
      const modelId = modelRecord(library, model).id;
      const encoder = encoderFor(model, { provider: 'cpu', threads: 1 });
      const file = addFile(library.db, { path: path.join(base, 'a.mp4'), size: 1, mtimeMs: 0 });
      const windowIds = replaceFileWindows(library.db, file.id, null, Array.from({ length: 8 }, (_, i) => ({ startS: i * 10, endS: i * 10 + 10, hasAudio: true, hasVisual: true })));
      const { audio, visual } = cavmaeInputs();
      const sound = [audio.data.slice(0, audio.data.length / 2), audio.data.slice(audio.data.length / 2)];
      const picture = [visual.data.slice(0, visual.data.length / 2), visual.data.slice(visual.data.length / 2)];
      const recipe = (mode: TagRecipe['mode'], frames: number): TagRecipe => ({ mode, frames, activation, source: 'chosen' });
      let next = 0;
      /** Tags one window, stores it, reads it back. */
      const storeAndRead = async (r: TagRecipe, input: Parameters<typeof tagWindow>[2]): Promise<{ mode: string; frames: number; logits: Float32Array }> => {
        const tags = await tagWindow(encoder, r, input);
        assert.ok(tags !== null);
        const windowId = windowIds[next++]!;
        putClassLogits(library.db, modelId, [{ windowId, ...tags }]);
        return windowClassLogits(library.db, modelId, windowId)!;
      };

      // Single passes against the official logits of pair 0 and pair 1.
      for (const pair of [0, 1]) {
        const golden = (mode: string): Float32Array => goldenArray(variant, `logits_${mode}`).data.slice(pair * classes, (pair + 1) * classes);
        const av = await storeAndRead(recipe('multimodal', 1), { audio: sound[pair]!, pictures: [picture[pair]!], seconds: 10 });
        assert.deepEqual([av.mode, av.frames], ['multimodal', 1]);
        assert.ok(maxAbsDiff(av.logits, golden('multimodal')) < 1e-4, `multimodal pair ${pair}`);
        const heard = await storeAndRead(recipe('audioonly', 0), { audio: sound[pair]!, pictures: [picture[pair]!], seconds: 10 });
        assert.deepEqual([heard.mode, heard.frames], ['audioonly', 0]);
        assert.ok(maxAbsDiff(heard.logits, golden('audioonly')) < 1e-4, `audioonly pair ${pair}`);
      }
      // A window without pictures, and one without sound, under the audio-visual recipe.
      const noPicture = await storeAndRead(recipe('multimodal', 1), { audio: sound[0]!, seconds: 10 });
      assert.deepEqual([noPicture.mode, noPicture.frames], ['missingaudioonly', 0]);
      assert.ok(maxAbsDiff(noPicture.logits, goldenArray(variant, 'logits_missingaudioonly').data.slice(0, classes)) < 1e-4);
      const silent = await storeAndRead(recipe('multimodal', 1), { pictures: [picture[0]!], seconds: 10 });
      assert.deepEqual([silent.mode, silent.frames], ['missingvideoonly', 1]);
      assert.ok(maxAbsDiff(silent.logits, goldenArray(variant, 'logits_missingvideoonly').data.slice(0, classes)) < 1e-4);

      // Three pictures with the same sound: probabilities of the stored vector = mean of each picture's.
      const pictures = [picture[0]!, picture[1]!, picture[1]!.map((x) => -x)];
      const three = await storeAndRead(recipe('multimodal', 3), { audio: sound[0]!, pictures, seconds: 10 });
      assert.deepEqual([three.mode, three.frames], ['multimodal', 3]);
      const mean = new Float64Array(classes);
      for (const p of pictures) {
        const z = await classify(encoder, 'multimodal', { audio: sound[0]!, visual: p });
        let norm = 0;
        if (activation === 'softmax') {
          const max = Math.max(...z);
          for (const v of z) norm += Math.exp(v - max);
          for (let c = 0; c < classes; c++) mean[c]! += Math.exp(z[c]! - max) / norm / 3;
        } else {
          for (let c = 0; c < classes; c++) mean[c]! += 1 / (1 + Math.exp(-z[c]!)) / 3;
        }
      }
      const got = probabilities(three.logits, activation);
      assert.ok(maxAbsDiff(got, mean) < 1e-6, `aggregated probabilities differ by ${maxAbsDiff(got, mean)}`);
      if (activation === 'softmax') assert.ok(Math.abs(got.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'a softmax sums to 1');
    } finally {
      library.close();
    }
  });
}
