// What "the hardware's limit" means for the model bench: a graph of chained large MatMuls
// (x[512,768] → ·W1[768,3072] → ·W2[3072,768], repeated), the shape of the encoders' MLP GEMMs, so its
// GFLOP/s is MLAS's GEMM peak on this CPU. The int8 variant goes through the same int8Linear as the
// int8 encoders (DynamicQuantizeLinear → MatMulInteger, which ORT fuses to DynamicQuantizeMatMul).
// Also the analytic FLOP count of an encoder, so the bench can state achieved GFLOP/s and % of peak.
import { GraphBuilder } from '../native-models/onnx/builder.ts';
import type { BuiltModel } from '../native-models/onnx/builder.ts';
import { int8Linear } from '../native-models/onnx/quantize.ts';
import type { LayerContext } from '../native-models/onnx/layers.ts';
import type { StateDict } from '../native-models/tensor.ts';

export const CALIBRATION = { rows: 512, dim: 768, hidden: 3072, pairs: 6 } as const;

/** FLOPs of one calibration forward: 2·m·k·n per MatMul, two MatMuls per pair. */
export function calibrationFlops(): number {
  const { rows, dim, hidden, pairs } = CALIBRATION;
  return pairs * 2 * (2 * rows * dim * hidden);
}

export function buildCalibrationGraph(precision: 'fp32' | 'int8'): BuiltModel {
  const { rows, dim, hidden, pairs } = CALIBRATION;
  const g = new GraphBuilder('gemm_calibration');
  const sd: StateDict = new Map();
  let seed = 1;
  const rand = (n: number): Float32Array => {
    const a = new Float32Array(n);
    // Small weights keep activations bounded through 12 chained products.
    for (let i = 0; i < n; i++) a[i] = (((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5) * 0.05;
    return a;
  };
  const ctx: LayerContext = { g, sd, eps: 1e-5, numHeads: 1, embedDim: dim };
  let x = g.input('x', [rows, dim]);
  for (let p = 0; p < pairs; p++) {
    for (const [name, inp, out] of [[`w${p}a`, dim, hidden], [`w${p}b`, hidden, dim]] as const) {
      if (precision === 'int8') {
        sd.set(`${name}.weight`, { shape: [out, inp], data: rand(out * inp) });
        x = int8Linear(ctx, x, `${name}.weight`, null);
      } else {
        x = g.op('MatMul', [x, g.floatTensor(name, [inp, out], rand(inp * out))]);
      }
    }
  }
  g.output(g.named(x, 'y'), [rows, dim]);
  return g.build();
}

export interface EncoderShape {
  readonly tokens: number;
  readonly embedDim: number;
  readonly mlpHidden: number;
  readonly blocks: number;
  /** Conv input channels × patch area (patch embedding as a GEMM). */
  readonly patchInputs: number;
}

/**
 * FLOPs of one encoder forward, matmuls and attention only (LayerNorm, GELU, softmax, adds are O(N·D)):
 *   blocks · [2N(3D² + D² + 2·D·M) + 4N²D] + 2·N·D·(C·p²)
 * (qkv, proj, fc1, fc2 GEMMs; q·kᵀ and probs·v, 2N²D each; the patch-embedding convolution).
 */
export function encoderFlops(s: EncoderShape): number {
  const { tokens: n, embedDim: d, mlpHidden: m, blocks, patchInputs } = s;
  return blocks * (2 * n * (4 * d * d + 2 * d * m) + 4 * n * n * d) + 2 * n * d * patchInputs;
}
