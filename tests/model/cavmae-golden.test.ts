// The converter against the official PyTorch model: small checkpoints written by torch.save from the
// official CAV-MAE code (scripts/goldens/make_cavmae_goldens.py), converted here, run in real ONNX
// Runtime sessions on CPU. Tolerance 1e-4 absolute (fp32); the report also prints the actual maxima.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertCheckpoint } from '../../native-models/convert.ts';
import type { Conversion } from '../../native-models/convert.ts';
import type { GraphName } from '../../native-models/family.ts';
import { CLASSIFIER_MODES } from '../../native-models/cavmae/classifier.ts';
import { maxAbsDiff, rowCosine } from '../helpers/compare.ts';
import { CAVMAE_VARIANTS, cavmaeDir, cavmaeInputs, goldenArray, readGolden } from '../helpers/fixtures.ts';

const TOLERANCE = 1e-4;
const inputs = cavmaeInputs();

async function sessions(conv: Conversion): Promise<Map<GraphName, ort.InferenceSession>> {
  const out = new Map<GraphName, ort.InferenceSession>();
  for (const { name, model } of conv.graphs) {
    out.set(name, await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 }));
  }
  return out;
}

async function encode(s: Map<GraphName, ort.InferenceSession>, stream: 'audio' | 'visual'): Promise<ort.InferenceSession.OnnxValueMapType> {
  const x = stream === 'audio' ? inputs.audio : inputs.visual;
  return s.get(stream)!.run({ [stream]: new ort.Tensor('float32', x.data, x.shape) });
}

function data(v: ort.OnnxValue | undefined): Float32Array {
  return v!.data as Float32Array;
}

for (const variant of CAVMAE_VARIANTS) {
  const golden = readGolden(variant);
  describe(`CAV-MAE ${variant} (${golden.kind}, D=${golden.embed_dim}, ${golden.num_heads} heads, ${golden.dtype})`, () => {
    let conv: Conversion;
    let s: Map<GraphName, ort.InferenceSession>;

    test('converts, inferring the configuration from the state dict', async () => {
      // Heads are inferred as width / 64 unless overridden; these small widths need the override.
      conv = await convertCheckpoint(path.join(cavmaeDir(variant), 'checkpoint.pth'), { heads: golden.num_heads });
      const c = conv.config;
      assert.equal(c.embedDim, golden.embed_dim);
      assert.equal(c.audioDepth, golden.modality_specific_depth);
      assert.equal(c.visualDepth, golden.modality_specific_depth);
      assert.equal(c.jointDepth, golden.joint_depth);
      assert.equal(c.numClasses, golden.label_dim);
      assert.equal(c.kind, golden.kind);
      assert.deepEqual([c.audioFrames, c.audioGrid, c.imageSize, c.visualGrid], [1024, [8, 64], 224, [14, 14]]);
      s = await sessions(conv);
    });

    for (const stream of ['audio', 'visual'] as const) {
      test(`${stream} embedding and tokens match the official forward_feat within ${TOLERANCE}`, async (t) => {
        const out = await encode(s, stream);
        const emb = maxAbsDiff(data(out.embedding), goldenArray(variant, `${stream}_embedding`).data);
        const tok = maxAbsDiff(data(out.tokens), goldenArray(variant, `${stream}_tokens`).data);
        t.diagnostic(`max abs diff: embedding ${emb.toExponential(2)}, tokens ${tok.toExponential(2)}`);
        assert.ok(emb < TOLERANCE, `embedding differs by ${emb}`);
        assert.ok(tok < TOLERANCE, `tokens differ by ${tok}`);
      });
    }

    if (golden.kind === 'finetuned') {
      test(`classifier logits match the official forward in all ${CLASSIFIER_MODES.length} modes`, async (t) => {
        const a = await encode(s, 'audio');
        const v = await encode(s, 'visual');
        const d = golden.embed_dim;
        const joint = async (hidden: Float32Array, n: number): Promise<Float32Array> =>
          data((await s.get('joint')!.run({ hidden: new ort.Tensor('float32', hidden, [2, n, d]) })).joint_pooled);
        const head = async (pooled: Float32Array): Promise<Float32Array> =>
          data((await s.get('head')!.run({ pooled: new ort.Tensor('float32', pooled, [2, d]) })).logits);
        const concat = new Float32Array(2 * 708 * d);
        for (let b = 0; b < 2; b++) {
          concat.set(data(a.hidden).subarray(b * 512 * d, (b + 1) * 512 * d), b * 708 * d);
          concat.set(data(v.hidden).subarray(b * 196 * d, (b + 1) * 196 * d), (b * 708 + 512) * d);
        }
        const mix = (x: Float32Array, y: Float32Array): Float32Array => x.map((xi, i) => (xi + y[i]!) / 2);
        const logits: Record<string, Float32Array> = {
          multimodal: await head(await joint(concat, 708)),
          audioonly: await head(data(a.pooled)),
          videoonly: await head(data(v.pooled)),
          missingaudioonly: await head(mix(await joint(data(a.hidden), 512), data(a.pooled))),
          missingvideoonly: await head(mix(await joint(data(v.hidden), 196), data(v.pooled))),
        };
        for (const mode of CLASSIFIER_MODES) {
          const diff = maxAbsDiff(logits[mode]!, goldenArray(variant, `logits_${mode}`).data);
          t.diagnostic(`${mode}: ${diff.toExponential(2)}`);
          assert.ok(diff < TOLERANCE, `${mode} logits differ by ${diff}`);
        }
      });
    }
  });
}

test('a .safetensors copy converts to the same graphs as the .pth', async () => {
  const dir = cavmaeDir('pre-d32-11x1');
  const fromPth = await convertCheckpoint(path.join(dir, 'checkpoint.pth'), { heads: 1 });
  const fromSt = await convertCheckpoint(path.join(dir, 'checkpoint.safetensors'), { heads: 1 });
  assert.deepEqual(fromSt.config, fromPth.config);
  for (const [i, g] of fromPth.graphs.entries()) {
    assert.ok(Buffer.from(g.model.bytes).equals(Buffer.from(fromSt.graphs[i]!.model.bytes)), `${g.name} graph bytes differ`);
  }
});

test('conversion is deterministic: same checkpoint, same bytes', async () => {
  const file = path.join(cavmaeDir('ft-d32-c10'), 'checkpoint.pth');
  const a = await convertCheckpoint(file, { heads: 1 });
  const b = await convertCheckpoint(file, { heads: 1 });
  for (const [i, g] of a.graphs.entries()) assert.ok(Buffer.from(g.model.bytes).equals(Buffer.from(b.graphs[i]!.model.bytes)));
});

test('int8 graphs stay close to the official embeddings (cosine > 0.99)', async (t) => {
  const variant = 'pre-d32-11x1';
  const conv = await convertCheckpoint(path.join(cavmaeDir(variant), 'checkpoint.pth'), { heads: 1, precision: 'int8' });
  const s = await sessions(conv);
  for (const stream of ['audio', 'visual'] as const) {
    const out = await encode(s, stream);
    const ref = goldenArray(variant, `${stream}_embedding`).data;
    for (let r = 0; r < 2; r++) {
      const cos = rowCosine(data(out.embedding), ref, 32, r);
      t.diagnostic(`${stream}[${r}] int8 cosine ${cos.toFixed(5)}`);
      assert.ok(cos > 0.99, `${stream} row ${r}: cosine ${cos}`);
    }
  }
});
