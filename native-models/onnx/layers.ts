// Transformer building blocks expressed as ONNX nodes, in the exact arithmetic order of the official
// PyTorch modules (timm 0.4.5 Attention/Mlp, torch LayerNorm), so fp32 results agree to rounding.
import type { StateDict, Tensor } from '../tensor.ts';
import type { GraphBuilder } from './builder.ts';

export interface LayerContext {
  readonly g: GraphBuilder;
  readonly sd: StateDict;
  readonly eps: number;
  readonly numHeads: number;
  readonly embedDim: number;
  /** Replaces fp32 MatMul weights by int8 (dynamic quantisation) when set. */
  readonly linear?: LinearImpl;
  /** 'fp16': the transformer blocks compute in float16 (see enterCompute). */
  readonly compute?: 'fp16';
  /** Build attention and the mid-block residual with ONNX Runtime contrib ops (see attentionFused, block). */
  readonly fused?: boolean;
}

export type LinearImpl = (ctx: LayerContext, x: string, weightKey: string, biasKey: string | null) => string;

/** How a family's graphs are built, whatever the family. */
export interface GraphOptions {
  /** Swap fp32 MatMuls for another implementation (int8 dynamic quantisation). */
  readonly linear?: LinearImpl;
  /** Key/value pairs stored in the model's metadata_props (source hash, converter version…). */
  readonly metadata?: Record<string, string>;
  /**
   * 'fp16': weights and compute of the transformer stack in float16. The patch embedding (a Conv,
   * which ORT's CPU EP has no float16 kernel for on x86, and a tiny share of the work) and the
   * pooling/normalisation after the final LayerNorm stay float32, so inputs and outputs stay float32
   * and callers do not change.
   */
  readonly compute?: 'fp16';
  /**
   * Use ONNX Runtime's fused contrib ops where its own optimiser does not fuse (MultiHeadAttention,
   * SkipLayerNormalization). Default off: ORT already fuses GELU (BiasGelu), q·kᵀ·scale (FusedMatMul) and
   * the int8 MatMuls (DynamicQuantizeMatMul) by itself, and on this CPU the rest gave no consistent gain
   * (bench/model.bench.ts: 0.89–1.10× by configuration, SkipLayerNormalization 0.92× on int8), while
   * it moves int8 results by a quantisation step. Parity: tests/model/fused.test.ts.
   */
  readonly fused?: boolean;
}

/** Enters the fp16 region (when the context computes in fp16): Cast the float32 value in. */
export function enterCompute(ctx: LayerContext, x: string): string {
  if (ctx.compute !== 'fp16') return x;
  ctx.g.setHalf(true);
  return ctx.g.op('Cast', [x], { to: 10 }, 'to_fp16');
}

/** Leaves the fp16 region: Cast back to float32; weights made afterwards are float32 again. */
export function leaveCompute(ctx: LayerContext, x: string): string {
  if (ctx.compute !== 'fp16') return x;
  ctx.g.setHalf(false);
  return ctx.g.op('Cast', [x], { to: 1 }, 'to_fp32');
}

export function tensor(sd: StateDict, key: string): Tensor {
  const t = sd.get(key);
  if (t === undefined) throw new Error(`state dict has no ${key}`);
  return t;
}

/** torch Linear stores [out, in]; MatMul wants [in, out]. */
export function transposed2d(t: Tensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c]!;
  }
  return out;
}

export function weight(ctx: LayerContext, key: string): string {
  const t = tensor(ctx.sd, key);
  return ctx.g.floatTensor(key, t.shape, t.data);
}

export const fp32Linear: LinearImpl = (ctx, x, weightKey, biasKey) => {
  const w = tensor(ctx.sd, weightKey);
  const [out, inp] = w.shape as [number, number];
  const wT = ctx.g.floatTensor(`${weightKey}.T`, [inp, out], transposed2d(w));
  const y = ctx.g.op('MatMul', [x, wT], {}, weightKey.replace(/\.weight$/, ''));
  return biasKey === null ? y : ctx.g.op('Add', [y, weight(ctx, biasKey)]);
};

export function linear(ctx: LayerContext, x: string, prefix: string): string {
  return (ctx.linear ?? fp32Linear)(ctx, x, `${prefix}.weight`, `${prefix}.bias`);
}

export function layerNorm(ctx: LayerContext, x: string, prefix: string): string {
  return ctx.g.op('LayerNormalization', [x, weight(ctx, `${prefix}.weight`), weight(ctx, `${prefix}.bias`)], {
    axis: -1,
    epsilon: { float: ctx.eps },
  }, prefix);
}

/** Exact (erf) GELU, as torch.nn.GELU(): 0.5·x·(1 + erf(x/√2)). */
export function gelu(ctx: LayerContext, x: string): string {
  const { g } = ctx;
  const scaled = g.op('Div', [x, g.scalar('sqrt2', Math.SQRT2)]);
  const onePlus = g.op('Add', [g.op('Erf', [scaled]), g.scalar('one', 1)]);
  return g.op('Mul', [g.op('Mul', [x, onePlus]), g.scalar('half', 0.5)]);
}

/** timm Attention: fused qkv, heads split, softmax(q·kᵀ·scale)·v, heads merged, proj. */
export function attention(ctx: LayerContext, x: string, prefix: string): string {
  const { g, numHeads, embedDim } = ctx;
  const headDim = embedDim / numHeads;
  const qkv = linear(ctx, x, `${prefix}.qkv`); // [B, N, 3D]
  // [B, N, 3, H, Dh] → [3, B, H, N, Dh], exactly timm's reshape/permute.
  const split = g.op('Reshape', [qkv, g.int64Tensor('shape_qkv', [0, 0, 3, numHeads, headDim])]);
  const perm = g.op('Transpose', [split], { perm: [2, 0, 3, 1, 4] });
  const [q, k, v] = g.opN('Split', [perm, g.int64Tensor('split_qkv', [1, 1, 1])], 3, { axis: 0 }, `${prefix}.qkv_split`) as [
    string,
    string,
    string,
  ];
  const sq = g.int64Tensor('axis0', [0]);
  const q4 = g.op('Squeeze', [q, sq]);
  const k4 = g.op('Squeeze', [k, sq]);
  const v4 = g.op('Squeeze', [v, sq]);
  const kT = g.op('Transpose', [k4], { perm: [0, 1, 3, 2] });
  const scores = g.op('Mul', [g.op('MatMul', [q4, kT]), g.scalar('attn_scale', headDim ** -0.5)]);
  const probs = g.op('Softmax', [scores], { axis: -1 });
  const ctxOut = g.op('MatMul', [probs, v4]); // [B, H, N, Dh]
  const merged = g.op('Reshape', [g.op('Transpose', [ctxOut], { perm: [0, 2, 1, 3] }), g.int64Tensor('shape_merge', [0, 0, embedDim])]);
  return linear(ctx, merged, `${prefix}.proj`);
}

/**
 * The same attention with com.microsoft MultiHeadAttention: ORT fuses GELU, the MatMul/scale pairs and
 * the int8 MatMuls by itself, but leaves the head split/merge Transposes and a separate Softmax; this
 * op does split, q·kᵀ·scale, softmax, ·v and merge in one kernel. The qkv row layout is [3, H, Dh], so the
 * last axis cut in three equal parts gives q, k and v with heads laid out as MHA expects ([H, Dh]).
 * Scale defaults to 1/√Dh, as timm's.
 */
export function attentionFused(ctx: LayerContext, x: string, prefix: string): string {
  const { g, numHeads, embedDim } = ctx;
  const qkv = linear(ctx, x, `${prefix}.qkv`);
  const [q, k, v] = g.opN('Split', [qkv, g.int64Tensor('split_qkv_last', [embedDim, embedDim, embedDim])], 3, { axis: -1 }, `${prefix}.qkv_split`) as [
    string,
    string,
    string,
  ];
  const [merged] = g.contrib('MultiHeadAttention', [q, k, v], [true], { num_heads: numHeads }, `${prefix}.mha`) as [string];
  return linear(ctx, merged, `${prefix}.proj`);
}

export function mlp(ctx: LayerContext, x: string, prefix: string): string {
  return linear(ctx, gelu(ctx, linear(ctx, x, `${prefix}.fc1`)), `${prefix}.fc2`);
}

/** Norm set a block call selects: none → norm1/norm2, 'a' → norm1_a/norm2_a, 'v' → norm1_v/norm2_v (spec §3.3). */
export type NormSet = '' | '_a' | '_v';

export function block(ctx: LayerContext, x: string, prefix: string, norms: NormSet): string {
  if (ctx.fused === true) return blockFused(ctx, x, prefix, norms);
  const h = ctx.g.op('Add', [x, attention(ctx, layerNorm(ctx, x, `${prefix}.norm1${norms}`), `${prefix}.attn`)]);
  return ctx.g.op('Add', [h, mlp(ctx, layerNorm(ctx, h, `${prefix}.norm2${norms}`), `${prefix}.mlp`)]);
}

/**
 * The block with fused attention, and the mid-block residual Add + norm2 as one SkipLayerNormalization
 * whose 4th output is the sum h itself (ORT's optimiser does not fuse that Add: h has two readers).
 */
function blockFused(ctx: LayerContext, x: string, prefix: string, norms: NormSet): string {
  const { g } = ctx;
  const a = attentionFused(ctx, layerNorm(ctx, x, `${prefix}.norm1${norms}`), `${prefix}.attn`);
  const n2 = `${prefix}.norm2${norms}`;
  const [normed, h] = g
    .contrib('SkipLayerNormalization', [x, a, weight(ctx, `${n2}.weight`), weight(ctx, `${n2}.bias`)], [true, false, false, true], { epsilon: { float: ctx.eps } }, n2)
    .filter((n) => n !== '') as [string, string];
  return g.op('Add', [h, mlp(ctx, normed, `${prefix}.mlp`)]);
}
