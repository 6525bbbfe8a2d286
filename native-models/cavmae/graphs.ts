// The CAV-MAE graphs Foley runs, built from a checked state dict (spec §3.4):
//   audio  [B, T, 128]      → embedding [B, D], tokens [B, 512, D], pooled [B, D], hidden [B, 512, D]
//   visual [B, 3, 224, 224] → the same for 196 tokens
//   joint  hidden [B, N, D] → joint_pooled [B, D]   (fused path: blocks_u with the shared norms, norm, mean)
//   head   pooled [B, D]    → logits [B, C]          (fine-tuned checkpoints only)
// The classifier modes of CAVMAEFT are compositions of these (see classifier.ts), so no
// weights are stored twice and the modality encoders stay the only heavy graphs.
import type { Modality } from '../../base/types.ts';
import type { EncoderGraphIO } from '../family.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import type { BuiltModel } from '../onnx/builder.ts';
import { block, enterCompute, layerNorm, leaveCompute, linear, tensor } from '../onnx/layers.ts';
import type { GraphOptions, LayerContext } from '../onnx/layers.ts';
import type { StateDict } from '../tensor.ts';
import type { CavMaeConfig } from './config.ts';

/** The audio and visual graphs' input and output names, as built below and fed by the runtime. */
export const ENCODER_IO = {
  input: { audio: 'audio', visual: 'visual' },
  embedding: 'embedding',
  extras: { tokens: 'tokens', pooled: 'pooled', hidden: 'hidden' },
} as const satisfies EncoderGraphIO;

export function context(g: GraphBuilder, sd: StateDict, c: CavMaeConfig, options: GraphOptions): LayerContext {
  return {
    g,
    sd,
    eps: c.layerNormEps,
    numHeads: c.numHeads,
    embedDim: c.embedDim,
    fused: options.fused ?? false,
    ...(options.linear !== undefined ? { linear: options.linear } : {}),
    ...(options.compute !== undefined ? { compute: options.compute } : {}),
  };
}

/** Patch embedding as the official PatchEmbed: Conv2d(k=p, s=p) → flatten(2) → transpose(1, 2). */
export function patchTokens(ctx: LayerContext, x: string, key: 'patch_embed_a' | 'patch_embed_v'): string {
  const { g, sd } = ctx;
  const w = tensor(sd, `${key}.proj.weight`);
  const p = w.shape[2]!;
  const conv = g.op(
    'Conv',
    [x, g.floatTensor(`${key}.proj.weight`, w.shape, w.data), g.floatTensor(`${key}.proj.bias`, [w.shape[0]!], tensor(sd, `${key}.proj.bias`).data)],
    { kernel_shape: [p, p], strides: [p, p] },
    key,
  );
  const flat = g.op('Reshape', [conv, g.int64Tensor('shape_flatten', [0, ctx.embedDim, -1])]);
  return g.op('Transpose', [flat], { perm: [0, 2, 1] });
}

export function addTable(ctx: LayerContext, x: string, key: string): string {
  const t = tensor(ctx.sd, key);
  return ctx.g.op('Add', [x, ctx.g.floatTensor(key, t.shape, t.data)]);
}

/** Mean over tokens, then L2 normalisation as torch.nn.functional.normalize (eps 1e-12). */
function poolAndNormalise(g: GraphBuilder, tokens: string): { pooled: string; embedding: string } {
  const pooled = g.op('ReduceMean', [tokens], { axes: [1], keepdims: 0 }, 'pooled_raw');
  const norm = g.op('ReduceL2', [pooled], { axes: [1], keepdims: 1 });
  const embedding = g.op('Div', [pooled, g.op('Max', [norm, g.scalar('l2_eps', 1e-12)])]);
  return { pooled, embedding };
}

export function buildEncoderGraph(sd: StateDict, c: CavMaeConfig, stream: Modality, options: GraphOptions = {}): BuiltModel {
  const g = new GraphBuilder(`cavmae_${stream}_encoder`);
  const ctx = context(g, sd, c, options);
  const batch = 'batch';
  let tokens: string;
  let n: number;
  if (stream === 'audio') {
    const input = g.input(ENCODER_IO.input.audio, [batch, c.audioFrames, c.melBins]);
    // a.unsqueeze(1).transpose(2, 3): mel becomes the conv's height axis, time its width (spec §1.5).
    const image = g.op('Transpose', [g.op('Unsqueeze', [input, g.int64Tensor('axis1', [1])])], { perm: [0, 1, 3, 2] });
    tokens = enterCompute(ctx, addTable(ctx, addTable(ctx, patchTokens(ctx, image, 'patch_embed_a'), 'pos_embed_a'), 'modality_a'));
    for (let i = 0; i < c.audioDepth; i++) tokens = block(ctx, tokens, `blocks_a.${i}`, '');
    n = c.audioGrid[0] * c.audioGrid[1];
  } else {
    const input = g.input(ENCODER_IO.input.visual, [batch, 3, c.imageSize, c.imageSize]);
    tokens = enterCompute(ctx, addTable(ctx, addTable(ctx, patchTokens(ctx, input, 'patch_embed_v'), 'pos_embed_v'), 'modality_v'));
    for (let i = 0; i < c.visualDepth; i++) tokens = block(ctx, tokens, `blocks_v.${i}`, '');
    n = c.visualGrid[0] * c.visualGrid[1];
  }
  const hiddenCompute = tokens;
  // Retrieval path: the joint block(s) with the modality's own LayerNorm set, then norm_a / norm_v.
  const suffix = stream === 'audio' ? '_a' : '_v';
  let u = hiddenCompute;
  for (let i = 0; i < c.jointDepth; i++) u = block(ctx, u, `blocks_u.${i}`, suffix);
  const normed = leaveCompute(ctx, layerNorm(ctx, u, `norm${suffix}`));
  // The joint graph reads `hidden` as float32 whatever this graph computes in.
  const hidden = ctx.compute === 'fp16' ? g.op('Cast', [hiddenCompute], { to: 1 }, 'hidden_fp32') : hiddenCompute;
  const { pooled, embedding } = poolAndNormalise(g, normed);

  const d = c.embedDim;
  const { extras } = ENCODER_IO;
  g.output(g.named(embedding, ENCODER_IO.embedding), [batch, d]);
  g.output(g.named(normed, extras.tokens), [batch, n, d]);
  g.output(g.named(pooled, extras.pooled), [batch, d]);
  g.output(g.named(hidden, extras.hidden), [batch, n, d]);
  return g.build({ ...options.metadata, 'foley.graph': `${stream}-encoder` }, `CAV-MAE ${stream} encoder (retrieval path)`);
}

/** blocks_u with the shared norm1/norm2 set, then `norm`, then the token mean (fused and missing-modality modes). */
export function buildJointGraph(sd: StateDict, c: CavMaeConfig, options: GraphOptions = {}): BuiltModel {
  const g = new GraphBuilder('cavmae_joint');
  const ctx = context(g, sd, c, options);
  let x = g.input('hidden', ['batch', 'tokens', c.embedDim]);
  for (let i = 0; i < c.jointDepth; i++) x = block(ctx, x, `blocks_u.${i}`, '');
  const pooled = g.op('ReduceMean', [layerNorm(ctx, x, 'norm')], { axes: [1], keepdims: 0 });
  g.output(g.named(pooled, 'joint_pooled'), ['batch', c.embedDim]);
  return g.build({ ...options.metadata, 'foley.graph': 'joint' }, 'CAV-MAE joint block, fused path');
}

/** mlp_head = Sequential(LayerNorm, Linear): raw logits (sigmoid for AudioSet, softmax for VGGSound). */
export function buildHeadGraph(sd: StateDict, c: CavMaeConfig, options: GraphOptions = {}): BuiltModel {
  if (c.numClasses === null) throw new Error('a pretrained checkpoint has no classifier head');
  const g = new GraphBuilder('cavmae_head');
  // Always fp32, whatever options.linear says: one small Linear whose logits are the output.
  const ctx = context(g, sd, c, {});
  const x = g.input('pooled', ['batch', c.embedDim]);
  const logits = linear(ctx, layerNorm(ctx, x, 'mlp_head.0'), 'mlp_head.1');
  g.output(g.named(logits, 'logits'), ['batch', c.numClasses]);
  return g.build({ ...options.metadata, 'foley.graph': 'head' }, 'CAV-MAE classifier head');
}
