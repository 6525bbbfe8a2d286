// CAV-MAE Sync against the official PyTorch code (edsonroteia/cav-mae-sync 21d15c2): small random
// checkpoints written by torch.save from the official model (scripts/goldens/make_sync_goldens.py),
// converted here and run in real ONNX Runtime sessions on CPU.
//  - graphs: the official audio inputs → audio CLS (9 (start, frame) cases, the clamped first and last
//    frames and padding included) and patch tokens; images → visual CLS and tokens. Tolerance 1e-4.
//  - preprocessing: clip.wav through ffmpeg and Foley's fbank → each case's [416, 128] input, against
//    the official loader's (the fbank contract: 1e-3 absolute, as tests/preprocess/fbank.test.ts).
//  - end to end: `foley embed`'s path (embedAudioFile with start and frame) against the official CLS.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertCheckpoint } from '../../native-models/convert.ts';
import type { Conversion } from '../../native-models/convert.ts';
import type { SyncConfig } from '../../native-models/cavmae-sync/config.ts';
import { frameAudioInputs, segmentRows } from '../../native-models/cavmae-sync/preprocess.ts';
import { decodeAudio } from '../../media/audio.ts';
import { importModel } from '../../core/models/store.ts';
import { embedAudioFile } from '../../core/embedding/file.ts';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { readNpy } from '../helpers/npy.ts';
import { maxAbsDiff, rowCosine } from '../helpers/compare.ts';
import { FIXTURES, cavmaeInputs } from '../helpers/fixtures.ts';

const TOLERANCE = 1e-4;
const FBANK_TOLERANCE = 1e-3;
const dir = path.join(FIXTURES, 'sync');
const clip = path.join(dir, 'inputs', 'clip.wav');
const cases = JSON.parse(readFileSync(path.join(dir, 'inputs', 'cases.json'), 'utf8')) as Array<{ start: number; frame: number }>;
const audioInputs = readNpy(path.join(dir, 'inputs', 'audio_inputs.npy'));
const visual = cavmaeInputs().visual;
const TOKEN_CASES = [2, 3];

interface SyncGolden {
  readonly config: { embed_dim: number; num_heads: number; modality_specific_depth: number; joint_depth: number; num_register_tokens: number; contrastive_heads: boolean };
}
const VARIANTS = ['sync-d32-r8', 'sync-d32-h2-r4-ch', 'sync-d32-10x2'] as const;
const golden = (v: string): SyncGolden => JSON.parse(readFileSync(path.join(dir, v, 'golden.json'), 'utf8')) as SyncGolden;
const expected = (v: string, name: string): Float32Array => readNpy(path.join(dir, v, `${name}.npy`)).data;

async function run(conv: Conversion, stream: 'audio' | 'visual', x: Float32Array, dims: number[]): Promise<{ embedding: Float32Array; tokens: Float32Array }> {
  const model = conv.graphs.find((g) => g.name === stream)!.model;
  const s = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const out = await s.run({ [stream]: new ort.Tensor('float32', x, dims) });
  await s.release();
  return { embedding: out.embedding!.data as Float32Array, tokens: out.tokens!.data as Float32Array };
}

function rows(x: Float32Array, width: number, which: readonly number[]): Float32Array {
  const out = new Float32Array(which.length * width);
  which.forEach((r, i) => out.set(x.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

for (const variant of VARIANTS) {
  const g = golden(variant).config;
  describe(`CAV-MAE Sync ${variant} (D=${g.embed_dim}, ${g.num_heads} heads, ${g.num_register_tokens} registers${g.contrastive_heads ? ', contrastive heads' : ''}, ${g.modality_specific_depth}+${g.joint_depth})`, () => {
    let conv: Conversion;
    test('converts, reading the configuration off the state dict', async () => {
      conv = await convertCheckpoint(path.join(dir, variant, 'checkpoint.pth'), { heads: g.num_heads });
      const c = conv.config as SyncConfig;
      assert.equal(c.family, 'cavmae-sync');
      assert.equal(c.embedDim, g.embed_dim);
      assert.equal(c.registers, g.num_register_tokens);
      assert.equal(c.contrastiveDepth, g.contrastive_heads ? 2 : 0);
      assert.equal(c.jointDepth, g.joint_depth);
      assert.equal(c.audioFrames, 416);
      assert.deepEqual(c.audioGrid, [8, 26]);
      assert.deepEqual(conv.graphs.map((x) => x.name), ['audio', 'visual']);
      assert.equal(conv.droppedKeys, 33, 'the pretraining decoder is skipped');
    });

    test(`audio CLS of ${cases.length} (start, frame) cases and patch tokens match the official code within ${TOLERANCE}`, async () => {
      const d = g.embed_dim;
      const out = await run(conv, 'audio', audioInputs.data, [cases.length, 416, 128]);
      const cls = expected(variant, 'audio_cls');
      const dCls = maxAbsDiff(out.embedding, cls);
      const dTok = maxAbsDiff(rows(out.tokens, 208 * d, TOKEN_CASES), expected(variant, 'audio_tokens'));
      console.log(`  ${variant} audio: max |Δ| CLS ${dCls.toExponential(2)}, tokens ${dTok.toExponential(2)}`);
      assert.ok(dCls <= TOLERANCE && dTok <= TOLERANCE);
      for (let i = 0; i < cases.length; i++) assert.ok(rowCosine(out.embedding, cls, d, i) > 0.99999);
    });

    test(`visual CLS and patch tokens match the official code within ${TOLERANCE}`, async () => {
      const out = await run(conv, 'visual', visual.data, [...visual.shape]);
      const dCls = maxAbsDiff(out.embedding, expected(variant, 'visual_cls'));
      const dTok = maxAbsDiff(out.tokens, expected(variant, 'visual_tokens'));
      console.log(`  ${variant} visual: max |Δ| CLS ${dCls.toExponential(2)}, tokens ${dTok.toExponential(2)}`);
      assert.ok(dCls <= TOLERANCE && dTok <= TOLERANCE);
    });
  });
}

test('frame segments transcribe map_frame_to_spectrogram: 0–3 share the first 416 rows, 13–15 the last', () => {
  const c = { audioFrames: 416, clipFrames: 1024, framesPerClip: 16 };
  assert.deepEqual([0, 1, 2, 3].map((k) => segmentRows(k, c)), Array(4).fill([0, 416]));
  assert.deepEqual(segmentRows(4, c), [48, 464]);
  assert.deepEqual(segmentRows(8, c), [304, 720]);
  assert.deepEqual(segmentRows(12, c), [560, 976]);
  assert.deepEqual([13, 14, 15].map((k) => segmentRows(k, c)), Array(3).fill([608, 1024]));
  assert.throws(() => segmentRows(16, c), /0 to 15/);
});

test(`clip.wav through ffmpeg and Foley's fbank gives the official loader's frame inputs (within ${FBANK_TOLERANCE})`, async () => {
  const c = { audioFrames: 416, clipFrames: 1024, framesPerClip: 16 };
  const inputs = JSON.parse(readFileSync(path.join(dir, 'inputs', 'inputs.json'), 'utf8')) as { cases: Array<{ samples: number }> };
  let worst = 0;
  for (const [i, { start, frame }] of cases.entries()) {
    const samples = await decodeAudio(clip, { start, duration: 10 });
    assert.equal(samples.length, inputs.cases[i]!.samples, `case ${i}: samples`);
    const mine = frameAudioInputs(samples, c, [frame])[0]!;
    const theirs = audioInputs.data.subarray(i * 416 * 128, (i + 1) * 416 * 128);
    worst = Math.max(worst, maxAbsDiff(mine, theirs));
    // Padding rows are exactly a zero log-mel row normalised, as in the official loader.
    for (let j = 0; j < mine.length; j++) if (theirs[j] === Math.fround((0 + 5.081) / 4.4849)) assert.ok(Math.abs(mine[j]! - theirs[j]!) < 1e-6);
  }
  console.log(`  frame inputs: max |Δ| ${worst.toExponential(2)} over ${cases.length} cases`);
  assert.ok(worst <= FBANK_TOLERANCE);
});

test('end to end (foley embed --start S --frame K): the official CLS from the same wav', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-sync-parity-'));
  try {
    const { model } = await importModel(dataDir, path.join(dir, 'sync-d32-r8', 'checkpoint.pth'), { name: 'sync', heads: 1 });
    const cls = expected('sync-d32-r8', 'audio_cls');
    let worst = 0;
    let lowest = 1;
    for (const [i, { start, frame }] of cases.entries()) {
      const r = await embedAudioFile(model, clip, { start, frame, provider: 'cpu', threads: 1 });
      const ref = cls.subarray(i * 32, (i + 1) * 32);
      worst = Math.max(worst, maxAbsDiff(r.embedding, ref));
      lowest = Math.min(lowest, rowCosine(r.embedding, ref, 32, 0));
    }
    console.log(`  end to end: max |Δ| CLS ${worst.toExponential(2)}, lowest cosine ${lowest.toFixed(7)}`);
    assert.ok(worst <= TOLERANCE, `max |Δ| ${worst}`);
  } finally {
    await releaseEncoders();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
