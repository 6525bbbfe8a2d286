// Dynamic int8 quantisation of the Linear layers, done at graph-build time (there is no JS port of
// ORT's Python quantiser). Same recipe as onnxruntime.quantization.quantize_dynamic for MatMul:
// per-output-channel symmetric int8 weights, activations quantised per call by DynamicQuantizeLinear,
// MatMulInteger, then rescale. Cuts CPU time ~2.4× and file size 4× at a small accuracy cost
// (measured in bench/), so it is an option, never the default for parity-sensitive work.
import { DataType } from './builder.ts';
import type { LinearImpl } from './layers.ts';
import { fp32Linear, tensor } from './layers.ts';

export const int8Linear: LinearImpl = (ctx, x, weightKey, biasKey) => {
  const { g } = ctx;
  const w = tensor(ctx.sd, weightKey);
  const [out, inp] = w.shape as [number, number];
  const q = new Int8Array(inp * out);
  const scales = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let maxAbs = 0;
    for (let i = 0; i < inp; i++) maxAbs = Math.max(maxAbs, Math.abs(w.data[o * inp + i]!));
    const s = maxAbs > 0 ? maxAbs / 127 : 1;
    scales[o] = s;
    // Stored transposed ([in, out]) for MatMulInteger.
    for (let i = 0; i < inp; i++) q[i * out + o] = Math.round(w.data[o * inp + i]! / s);
  }
  const wq = g.typedTensor(`${weightKey}.int8`, [inp, out], DataType.INT8, q);
  const wZero = g.typedTensor(`${weightKey}.zero`, [out], DataType.INT8, new Int8Array(out));
  const wScale = g.floatTensor(`${weightKey}.scale`, [out], scales);
  const [xq, xScale, xZero] = g.opN('DynamicQuantizeLinear', [x], 3, {}, `${weightKey}.xq`) as [string, string, string];
  const acc = g.op('MatMulInteger', [xq, wq, xZero, wZero]);
  const y = g.op('Mul', [g.op('Cast', [acc], { to: DataType.FLOAT }), g.op('Mul', [xScale, wScale])]);
  return biasKey === null ? y : g.op('Add', [y, g.floatTensor(biasKey, [out], tensor(ctx.sd, biasKey).data)]);
};

/**
 * Layers int8-mixed keeps in fp32: everything outside the modality-specific blocks, i.e. the last
 * block(s) every encoder output passes through (blocks_u, CAV-MAE Sync's contrastive heads) and any
 * classifier head. These read the activations whose outlier channels int8 rounds worst, and they are
 * a small share of the compute (1 of 12 blocks at full size). The patch embedding is a Conv, never
 * quantised, so it is fp32 in every int8 graph.
 */
export function isSensitiveLinear(weightKey: string): boolean {
  return !/^blocks_[av]\./.test(weightKey);
}

/** int8 for the modality blocks, fp32 for the sensitive layers (isSensitiveLinear). */
export const int8MixedLinear: LinearImpl = (ctx, x, weightKey, biasKey) =>
  (isSensitiveLinear(weightKey) ? fp32Linear : int8Linear)(ctx, x, weightKey, biasKey);
