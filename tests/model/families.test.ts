// The family registry: which family a checkpoint's tensor names belong to, which family an installed
// model's config names (manifests written before families existed are CAV-MAE), and an encoder that
// prepares its inputs through its family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CheckpointError, FoleyError } from '../../base/errors.ts';
import { cavmae } from '../../native-models/cavmae/family.ts';
import { cavmaeSync } from '../../native-models/cavmae-sync/family.ts';
import { audioInput, imageInput } from '../../native-models/cavmae/preprocess.ts';
import { openCheckpoint } from '../../native-models/checkpoint/index.ts';
import { convertCheckpoint } from '../../native-models/convert.ts';
import type { TensorInfo } from '../../native-models/family.ts';
import { familyOfCheckpoint, familyOfConfig } from '../../native-models/registry.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import { Encoder } from '../../native-models/runtime/encoder.ts';
import { CAVMAE_VARIANTS, cavmaeDir } from '../helpers/fixtures.ts';

test('every CAV-MAE golden checkpoint, pretrained or fine-tuned, is recognised as CAV-MAE', async () => {
  for (const variant of CAVMAE_VARIANTS) {
    const checkpoint = await openCheckpoint(path.join(cavmaeDir(variant), 'checkpoint.pth'));
    try {
      assert.equal(familyOfCheckpoint(checkpoint.file, checkpoint.tensors), cavmae, variant);
    } finally {
      await checkpoint.close();
    }
  }
});

function refusal(tensors: readonly TensorInfo[]): CheckpointError {
  try {
    familyOfCheckpoint('/x/model.pth', tensors);
  } catch (e) {
    assert.ok(e instanceof CheckpointError);
    return e;
  }
  assert.fail('the checkpoint was accepted');
}

test('a checkpoint no family recognises is refused before reading, naming the file and the tensor', () => {
  const base: TensorInfo[] = [
    { name: 'patch_embed_a.proj.weight', shape: [32, 1, 16, 16] },
    { name: 'blocks_u.0.attn.qkv.weight', shape: [96, 32] },
    { name: 'decoder_blocks.0.attn.qkv.weight', shape: [48, 16] },
  ];
  // CAV-MAE Sync's extra CLS token makes it the other family's checkpoint, not a broken CAV-MAE one.
  assert.equal(familyOfCheckpoint('/x/model.pth', [...base, { name: 'cls_token_a', shape: [1, 1, 32] }]), cavmaeSync);
  // A tensor neither family writes: refused with both families' reasons, naming file and tensor.
  const foreign = refusal([...base, { name: 'text_proj.weight', shape: [32, 32] }]);
  assert.equal(foreign.code, 'unsupported');
  assert.equal(foreign.file, '/x/model.pth');
  assert.match(foreign.message, /^\/x\/model\.pth: not a CAV-MAE checkpoint: unexpected tensor text_proj\.weight; not a CAV-MAE Sync checkpoint: missing tensor cls_token_a$/);
  // A fine-tuned Sync classifier is named as such rather than as a broken checkpoint.
  const ft = refusal([...base, { name: 'cls_token_a', shape: [1, 1, 32] }, { name: 'mlp_head.1.weight', shape: [10, 32] }]);
  assert.match(ft.message, /fine-tuned CAV-MAE Sync classifier \(tensor mlp_head\.1\.weight\): Foley runs Sync's retrieval model only/);
  const empty = refusal([{ name: 'weight', shape: [3] }]);
  assert.match(empty.message, /missing tensor patch_embed_a\.proj\.weight/);
});

test('a config without a family field is CAV-MAE; an unknown family is refused with code unsupported', async () => {
  const { config } = await convertCheckpoint(path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { heads: 1 });
  assert.equal('family' in config, false, 'the CAV-MAE config (and so the graph metadata) has no family field');
  assert.equal(familyOfConfig(config), cavmae);
  const foreign = { ...config, family: 'not-a-family' } as ModelConfig;
  assert.throws(() => familyOfConfig(foreign), (e: unknown) => e instanceof FoleyError && e.code === 'unsupported');
});

test('the encoder prepares inputs through its family, sized as its graphs expect', async () => {
  const { config } = await convertCheckpoint(path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { heads: 1 });
  const encoder = new Encoder('/no/such/model', config);
  assert.equal(encoder.family, cavmae);
  const samples = new Float32Array(48000).map((_, i) => Math.sin(i / 9) * 0.3);
  const audio = encoder.audioInput(samples);
  assert.deepEqual(audio, audioInput(samples, config));
  assert.equal(audio.length, encoder.inputSize('audio'));
  const rgb = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).map((_, i) => i % 251) };
  const visual = encoder.imageInput(rgb);
  assert.deepEqual(visual, imageInput(rgb));
  assert.equal(visual.length, encoder.inputSize('visual'));
});
