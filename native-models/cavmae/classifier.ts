// CAVMAEFT's classification modes (spec §3.4), composed from the encoder, joint and head graphs:
//   multimodal       head(joint(concat(hidden_a, hidden_v)))
//   audioonly        head(pooled_a)            videoonly   head(pooled_v)
//   missingaudioonly head((joint(hidden_a) + pooled_a) / 2), likewise missingvideoonly
// Returns raw logits; sigmoid (AudioSet) or softmax (VGGSound) is the caller's choice.
import * as ort from 'onnxruntime-node';
import { FoleyError } from '../../base/errors.ts';
import type { Encoder } from '../runtime/encoder.ts';
import { cavmae } from './family.ts';

export type ClassifierMode = 'multimodal' | 'audioonly' | 'videoonly' | 'missingaudioonly' | 'missingvideoonly';
export const CLASSIFIER_MODES: readonly ClassifierMode[] = ['multimodal', 'audioonly', 'videoonly', 'missingaudioonly', 'missingvideoonly'];

export interface ClassifierInput {
  /** [B, T, 128] normalised fbank; needed by every mode but videoonly / missingvideoonly. */
  readonly audio?: Float32Array;
  /** [B, 3, S, S]; needed by every mode but audioonly / missingaudioonly. */
  readonly visual?: Float32Array;
}

async function runJoint(encoder: Encoder, hidden: Float32Array, count: number): Promise<Float32Array> {
  const d = encoder.config.embedDim;
  const tokens = hidden.length / (count * d);
  const { session } = await encoder.session('joint');
  const out = await session.run({ hidden: new ort.Tensor('float32', hidden, [count, tokens, d]) });
  return out.joint_pooled!.data as Float32Array;
}

async function runHead(encoder: Encoder, pooled: Float32Array, count: number): Promise<Float32Array> {
  const { session } = await encoder.session('head');
  const out = await session.run({ pooled: new ort.Tensor('float32', pooled, [count, encoder.config.embedDim]) });
  return out.logits!.data as Float32Array;
}

function concatTokens(a: Float32Array, v: Float32Array, count: number, d: number): Float32Array {
  const na = a.length / (count * d);
  const nv = v.length / (count * d);
  const out = new Float32Array(count * (na + nv) * d);
  for (let b = 0; b < count; b++) {
    out.set(a.subarray(b * na * d, (b + 1) * na * d), b * (na + nv) * d);
    out.set(v.subarray(b * nv * d, (b + 1) * nv * d), (b * (na + nv) + na) * d);
  }
  return out;
}

export async function classify(encoder: Encoder, mode: ClassifierMode, input: ClassifierInput): Promise<Float32Array> {
  if (encoder.family !== cavmae) throw new FoleyError(`${encoder.family.title} models have no CAV-MAE classifier`, { code: 'unsupported' });
  const c = encoder.config;
  if (c.numClasses === null) throw new Error('this model has no classifier head (it is a pretrained, not a fine-tuned, checkpoint)');
  const d = c.embedDim;
  const needAudio = mode === 'multimodal' || mode === 'audioonly' || mode === 'missingaudioonly';
  const needVisual = mode === 'multimodal' || mode === 'videoonly' || mode === 'missingvideoonly';
  if (needAudio && input.audio === undefined) throw new Error(`mode ${mode} needs audio input`);
  if (needVisual && input.visual === undefined) throw new Error(`mode ${mode} needs visual input`);
  const a = needAudio ? await encoder.encode('audio', input.audio!, ['pooled', 'hidden']) : undefined;
  const v = needVisual ? await encoder.encode('visual', input.visual!, ['pooled', 'hidden']) : undefined;
  const count = (a ?? v)!.embeddings.length / d;

  if (mode === 'multimodal') return runHead(encoder, await runJoint(encoder, concatTokens(a!.hidden!, v!.hidden!, count, d), count), count);
  if (mode === 'audioonly') return runHead(encoder, a!.pooled!, count);
  if (mode === 'videoonly') return runHead(encoder, v!.pooled!, count);
  const single = mode === 'missingaudioonly' ? a! : v!;
  const joint = await runJoint(encoder, single.hidden!, count);
  const mixed = new Float32Array(joint.length);
  for (let i = 0; i < mixed.length; i++) mixed[i] = (joint[i]! + single.pooled![i]!) / 2;
  return runHead(encoder, mixed, count);
}

/**
 * One window's logits for each of its K pictures, all with the same sound (the official frame
 * aggregation runs the model once per picture, spec §2.1). The sound is encoded once and the K
 * pictures as one batch; the joint blocks and the head run once on the K inputs, instead of K full
 * forward passes. The same logits as classify() per picture. The sound-only modes (audioonly,
 * missingaudioonly) ignore the pictures and return one vector.
 */
export async function classifyPictures(encoder: Encoder, mode: ClassifierMode, input: { readonly audio?: Float32Array; readonly pictures?: readonly Float32Array[] }): Promise<Float32Array[]> {
  if (encoder.family !== cavmae) throw new FoleyError(`${encoder.family.title} models have no CAV-MAE classifier`, { code: 'unsupported' });
  if (encoder.config.numClasses === null) throw new Error('this model has no classifier head (it is a pretrained, not a fine-tuned, checkpoint)');
  const d = encoder.config.embedDim;
  const soundOnly = mode === 'audioonly' || mode === 'missingaudioonly';
  const pictures = soundOnly ? [] : (input.pictures ?? []);
  if (!soundOnly && pictures.length === 0) throw new Error(`mode ${mode} needs at least one picture`);
  const needAudio = mode === 'multimodal' || soundOnly;
  if (needAudio && input.audio === undefined) throw new Error(`mode ${mode} needs audio input`);
  const k = soundOnly ? 1 : pictures.length;
  const split = (logits: Float32Array): Float32Array[] => {
    const n = logits.length / k;
    return Array.from({ length: k }, (_, i) => logits.slice(i * n, (i + 1) * n));
  };
  let batch: Float32Array | undefined;
  if (!soundOnly) {
    batch = new Float32Array(k * pictures[0]!.length);
    pictures.forEach((p, i) => batch!.set(p, i * p.length));
  }
  const a = needAudio ? await encoder.encode('audio', input.audio!, ['pooled', 'hidden']) : undefined;
  const v = batch !== undefined ? await encoder.encode('visual', batch, ['pooled', 'hidden']) : undefined;
  if (mode === 'audioonly') return split(await runHead(encoder, a!.pooled!, 1));
  if (mode === 'videoonly') return split(await runHead(encoder, v!.pooled!, k));
  if (mode === 'multimodal') {
    // The sound's tokens are the same for every picture: repeated, not re-encoded.
    const repeated = new Float32Array(k * a!.hidden!.length);
    for (let i = 0; i < k; i++) repeated.set(a!.hidden!, i * a!.hidden!.length);
    return split(await runHead(encoder, await runJoint(encoder, concatTokens(repeated, v!.hidden!, k, d), k), k));
  }
  const single = mode === 'missingaudioonly' ? a! : v!;
  const joint = await runJoint(encoder, single.hidden!, k);
  const mixed = new Float32Array(joint.length);
  for (let i = 0; i < mixed.length; i++) mixed[i] = (joint[i]! + single.pooled![i]!) / 2;
  return split(await runHead(encoder, mixed, k));
}
