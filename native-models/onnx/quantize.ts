// Dynamic int8 quantisation of the Linear layers, done at graph-build time (there is no JS port of
// ORT's Python quantiser). Same recipe as onnxruntime.quantization.quantize_dynamic for MatMul:
// per-output-channel symmetric int8 weights, activations quantised per call by DynamicQuantizeLinear,
// MatMulInteger, then rescale. Cuts CPU time ~2.4× and file size 4× at a small accuracy cost
// (measured in bench/), so it is an option, never the default for parity-sensitive work.
import { DataType } from './builder.ts';
import type { LinearImpl } from './layers.ts';
import { tensor } from './layers.ts';

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
