// The per-window multi-picture classifier path (classifyPictures): the sound encoded once, the K
// pictures as one batch through the visual, joint and head graphs. It must give what K separate
// classify() calls give, in every mode, and the official logits for the golden inputs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { encoderFor, releaseEncoders } from '../../core/embedding/encoders.ts';
import { importModel } from '../../core/models/store.ts';
import { classify, classifyPictures, CLASSIFIER_MODES } from '../../native-models/cavmae/classifier.ts';
import { cavmaeDir, cavmaeInputs, goldenArray } from '../helpers/fixtures.ts';

const dirs: string[] = [];
after(async () => {
  await releaseEncoders();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('classifyPictures equals classify() per picture within 1e-5 in every mode, and the official logits', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-classify-pictures-'));
  dirs.push(dataDir);
  const { model } = await importModel(dataDir, path.join(cavmaeDir('ft-d32-c527'), 'checkpoint.pth'), { name: 'as', heads: 1 });
  const encoder = encoderFor(model, { provider: 'cpu', threads: 1 });
  const { audio, visual } = cavmaeInputs();
  const aSize = audio.data.length / 2;
  const vSize = visual.data.length / 2;
  const sound = [audio.data.slice(0, aSize), audio.data.slice(aSize)];
  const picture = [visual.data.slice(0, vSize), visual.data.slice(vSize)];
  // Three pictures, one repeated, with the first sound.
  const pictures = [picture[0]!, picture[1]!, picture[0]!];
  for (const mode of CLASSIFIER_MODES) {
    const batched = await classifyPictures(encoder, mode, { audio: sound[0]!, pictures });
    const soundOnly = mode === 'audioonly' || mode === 'missingaudioonly';
    assert.equal(batched.length, soundOnly ? 1 : 3, mode);
    for (let i = 0; i < batched.length; i++) {
      const one = await classify(encoder, mode, { audio: sound[0]!, visual: pictures[i]! });
      const diff = maxAbsDiff(batched[i]!, one);
      assert.ok(diff < 1e-5, `${mode} picture ${i}: ${diff}`);
    }
    // The official forward (scripts/goldens) for pair 0 and pair 1.
    const golden = goldenArray('ft-d32-c527', `logits_${mode}`).data;
    for (const pair of [0, 1]) {
      const [got] = await classifyPictures(encoder, mode, { audio: sound[pair]!, pictures: [picture[pair]!] });
      const diff = maxAbsDiff(got!, golden.slice(pair * 527, (pair + 1) * 527));
      assert.ok(diff < 1e-4, `${mode} pair ${pair} vs golden: ${diff}`);
    }
  }
});
