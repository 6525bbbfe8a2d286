// The fused graphs (GraphOptions.fused: com.microsoft MultiHeadAttention and SkipLayerNormalization)
// against the unfused ones, in real ORT sessions on the golden fixtures' official-layout checkpoints:
// CAV-MAE and CAV-MAE Sync, audio and visual, fp32 and int8.
//  - fp32: embeddings and tokens within 1e-4 (measured ~1e-7 and ~2e-6).
//  - int8: both variants quantise activations per call (DynamicQuantizeLinear), so the fused ops' 1e-7
//    reordering upstream moves a few activations across an int8 rounding boundary; measured
//    |fused − unfused| is then ~1e-2 on tokens and up to 2e-3 on the embedding, the size of one
//    quantisation step, not 1e-4. What must hold instead: fused int8 is as close to the fp32 graph as
//    unfused int8 is (max token error within 1.25× of it, embedding cosine to fp32 ≥ 0.9995).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { openCheckpoint } from '../../native-models/checkpoint/index.ts';
import { familyOfCheckpoint } from '../../native-models/registry.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import type { ModelFamily } from '../../native-models/family.ts';
import { int8Linear } from '../../native-models/onnx/quantize.ts';
import type { StateDict } from '../../native-models/tensor.ts';
import { maxAbsDiff, rowCosine } from '../helpers/compare.ts';
import { FIXTURES, cavmaeDir, cavmaeInputs } from '../helpers/fixtures.ts';
import { readNpy } from '../helpers/npy.ts';

const TOLERANCE = 1e-4;

async function load(file: string): Promise<{ family: ModelFamily<ModelConfig>; sd: StateDict; config: ModelConfig }> {
  const checkpoint = await openCheckpoint(file);
  try {
    const family = familyOfCheckpoint(file, checkpoint.tensors);
    const sd: StateDict = new Map();
    for (const t of checkpoint.tensors) if (!family.isUnused(t.name)) sd.set(t.name, await t.read());
    return { family, sd, config: family.inferConfig(file, sd, {}) };
  } finally {
    await checkpoint.close();
  }
}

async function run(bytes: Uint8Array, stream: 'audio' | 'visual', x: Float32Array, dims: readonly number[]): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const out = await s.run({ [stream]: new ort.Tensor('float32', x, [...dims]) });
    return { embedding: out.embedding!.data as Float32Array, tokens: out.tokens!.data as Float32Array };
  } finally {
    await s.release();
  }
}

const visual = cavmaeInputs().visual;
const CASES = [
  { name: 'CAV-MAE pre-d32-11x1', file: path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), audio: cavmaeInputs().audio },
  { name: 'CAV-MAE Sync sync-d32-h2-r4-ch', file: path.join(FIXTURES, 'sync', 'sync-d32-h2-r4-ch', 'checkpoint.pth'), audio: readNpy(path.join(FIXTURES, 'sync', 'inputs', 'audio_inputs.npy')) },
];

for (const c of CASES) {
  describe(`fused graphs equal unfused: ${c.name}`, () => {
    for (const precision of ['fp32', 'int8'] as const) {
      for (const stream of ['audio', 'visual'] as const) {
        test(`${precision} ${stream}`, async () => {
          const { family, sd, config } = await load(c.file);
          const input = stream === 'audio' ? c.audio : visual;
          const linear = precision === 'int8' ? { linear: int8Linear } : {};
          const fused = family.buildGraph(stream, sd, config, { ...linear, fused: true });
          const plain = family.buildGraph(stream, sd, config, { ...linear, fused: false });
          assert.notDeepEqual(fused.bytes, plain.bytes, 'the switch changes the graph');
          const a = await run(fused.bytes, stream, input.data, input.shape);
          const b = await run(plain.bytes, stream, input.data, input.shape);
          const embedding = maxAbsDiff(a.embedding!, b.embedding!);
          const tokens = maxAbsDiff(a.tokens!, b.tokens!);
          console.log(`${c.name} ${precision} ${stream}: max |fused − unfused| embedding ${embedding.toExponential(2)}, tokens ${tokens.toExponential(2)}`);
          if (precision === 'fp32') {
            assert.ok(embedding <= TOLERANCE, `embedding ${embedding}`);
            assert.ok(tokens <= TOLERANCE, `tokens ${tokens}`);
            return;
          }
          const ref = await run(family.buildGraph(stream, sd, config, { fused: false }).bytes, stream, input.data, input.shape);
          const fusedErr = maxAbsDiff(a.tokens!, ref.tokens!);
          const plainErr = maxAbsDiff(b.tokens!, ref.tokens!);
          const rowsOf = a.embedding!.length / config.embedDim;
          const cos = Math.min(...Array.from({ length: rowsOf }, (_, r) => rowCosine(a.embedding!, ref.embedding!, config.embedDim, r)));
          console.log(`  vs fp32: max token error fused ${fusedErr.toExponential(2)}, unfused ${plainErr.toExponential(2)}; embedding cosine ${cos.toFixed(6)}`);
          assert.ok(fusedErr <= 1.25 * plainErr, `fused int8 token error ${fusedErr} vs unfused ${plainErr}`);
          assert.ok(cos >= 0.9995, `embedding cosine ${cos}`);
        });
      }
    }
  });
}
