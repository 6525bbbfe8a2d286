// The CAV-MAE Sync encoder graphs, built from a checked state dict in the order of the official
// forward_feat (spec §6):
//   audio  [B, 416, 128]     → embedding [B, D] (CLS, L2-normalised), tokens [B, 208, D]
//   visual [B, 3, 224, 224]  → embedding [B, D],                       tokens [B, 196, D]
// Patch embedding, position and modality tables as CAV-MAE; then the CLS token is prepended (it has no
// position) and R register tokens are appended for the modality-specific blocks and dropped after them;
// then the joint block with the modality's norm set, the contrastive heads if the checkpoint has them,
// and norm_a / norm_v. The CLS row is the embedding, the other rows are the tokens localisation reads.
import type { Modality } from '../../base/types.ts';
import type { EncoderGraphIO } from '../family.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import type { BuiltModel } from '../onnx/builder.ts';
import { block, enterCompute, layerNorm, leaveCompute, tensor } from '../onnx/layers.ts';
import type { GraphOptions, LayerContext } from '../onnx/layers.ts';
import type { StateDict } from '../tensor.ts';
import { addTable, context, patchTokens } from '../cavmae/graphs.ts';
import type { SyncConfig } from './config.ts';
import { CONTRASTIVE_HEADS } from './keys.ts';

export const SYNC_ENCODER_IO = {
  input: { audio: 'audio', visual: 'visual' },
  embedding: 'embedding',
  extras: { tokens: 'tokens' },
} as const satisfies EncoderGraphIO;

/** A [1, n, D] constant repeated along the batch axis of `like` ([B, *, D]). */
function perItem(ctx: LayerContext, like: string, name: string, values: Float32Array, n: number): string {
  const { g, embedDim } = ctx;
  const batch = g.op('Shape', [like], { start: 0, end: 1 });
  const shape = g.op('Concat', [batch, g.int64Tensor(`shape_${name}`, [n, embedDim])], { axis: 0 });
  return g.op('Expand', [g.floatTensor(name, [1, n, embedDim], values), shape]);
}

/** Rows [from, to) of axis 1 (to may be negative: counted from the end, as Python slices). */
function rows(ctx: LayerContext, x: string, from: number, to: number, name: string): string {
  const { g } = ctx;
  return g.op('Slice', [x, g.int64Tensor(`${name}_starts`, [from]), g.int64Tensor(`${name}_ends`, [to]), g.int64Tensor('axes1', [1])]);
}

/** Modality-specific input tokens ([B, N, D], tables added) → the final tokens, CLS first. */
function syncStack(ctx: LayerContext, c: SyncConfig, tokens: string, stream: Modality): string {
  const { g, sd } = ctx;
  const a = stream === 'audio';
  const cls = perItem(ctx, tokens, a ? 'cls_token_a' : 'cls_token_v', tensor(sd, a ? 'cls_token_a' : 'cls_token_v').data, 1);
  const parts = [cls, tokens];
  if (c.registers > 0) {
    // register_tokens [2R, D]: the first R are audio's, the last R visual's.
    const table = tensor(sd, 'register_tokens').data;
    const d = c.embedDim;
    const mine = a ? table.subarray(0, c.registers * d) : table.subarray(c.registers * d, 2 * c.registers * d);
    parts.push(perItem(ctx, tokens, a ? 'registers_a' : 'registers_v', mine, c.registers));
  }
  let x = g.op('Concat', parts, { axis: 1 });
  const depth = a ? c.audioDepth : c.visualDepth;
  for (let i = 0; i < depth; i++) x = block(ctx, x, `${a ? 'blocks_a' : 'blocks_v'}.${i}`, '');
  if (c.registers > 0) x = rows(ctx, x, 0, -c.registers, 'drop_registers');
  // The official loop is `for blk in blocks_u: ca = blk(a, 'a')`: every joint block reads the
  // modality-specific output and only the last one's result is kept. The release has one joint block;
  // with more, this reproduces the official code rather than chaining them.
  x = block(ctx, x, `blocks_u.${c.jointDepth - 1}`, a ? '_a' : '_v');
  const heads = a ? CONTRASTIVE_HEADS.audio : CONTRASTIVE_HEADS.visual;
  for (let i = 0; i < c.contrastiveDepth; i++) x = block(ctx, x, `${heads}.${i}`, '');
  return layerNorm(ctx, x, a ? 'norm_a' : 'norm_v');
}

export function buildSyncEncoderGraph(sd: StateDict, c: SyncConfig, stream: Modality, options: GraphOptions = {}): BuiltModel {
  const g = new GraphBuilder(`cavmae_sync_${stream}_encoder`);
  const ctx = context(g, sd, c, options);
  const batch = 'batch';
  let tokens: string;
  let n: number;
  if (stream === 'audio') {
    const input = g.input(SYNC_ENCODER_IO.input.audio, [batch, c.audioFrames, c.melBins]);
    const image = g.op('Transpose', [g.op('Unsqueeze', [input, g.int64Tensor('axis1', [1])])], { perm: [0, 1, 3, 2] });
    tokens = addTable(ctx, addTable(ctx, patchTokens(ctx, image, 'patch_embed_a'), 'pos_embed_a'), 'modality_a');
    n = c.audioGrid[0] * c.audioGrid[1];
  } else {
    const input = g.input(SYNC_ENCODER_IO.input.visual, [batch, 3, c.imageSize, c.imageSize]);
    tokens = addTable(ctx, addTable(ctx, patchTokens(ctx, input, 'patch_embed_v'), 'pos_embed_v'), 'modality_v');
    n = c.visualGrid[0] * c.visualGrid[1];
  }
  const normed = leaveCompute(ctx, syncStack(ctx, c, enterCompute(ctx, tokens), stream));
  const cls = g.op('Gather', [normed, g.int64Tensor('index0', [0])], { axis: 1 }); // [B, 1, D]
  const clsFlat = g.op('Reshape', [cls, g.int64Tensor('shape_cls', [0, c.embedDim])]);
  // torch.nn.functional.normalize: x / max(‖x‖, 1e-12).
  const norm = g.op('ReduceL2', [clsFlat], { axes: [1], keepdims: 1 });
  const embedding = g.op('Div', [clsFlat, g.op('Max', [norm, g.scalar('l2_eps', 1e-12)])]);
  const patchRows = rows(ctx, normed, 1, n + 1, 'patch_rows');
  g.output(g.named(embedding, SYNC_ENCODER_IO.embedding), [batch, c.embedDim]);
  g.output(g.named(patchRows, SYNC_ENCODER_IO.extras.tokens), [batch, n, c.embedDim]);
  return g.build({ ...options.metadata, 'foley.graph': `${stream}-encoder` }, `CAV-MAE Sync ${stream} encoder (retrieval path)`);
}
