// The two ONNX graphs behind the int8 scan (worker.ts), built here rather than shipped: they depend
// only on the projection (d × dim basis) and its per-dimension scales.
//   encode: rows [n, dim] float32 (unit length) → MatMul by the basis → QuantizeLinear per dimension
//           (zero point 128) → codes [n, d] uint8. One call projects and quantises a batch.
//   scan:   codes [n, d] uint8, query [d, 1] int8 → MatMulInteger (a_zero_point 128, so the codes count as
//           code − 128) → the k best rows by TopK. MLAS runs this as an int8 GEMM (VNNI where the CPU has it);
//           at 1M × 128 it reads 128 MB per query, which bounds it (bench/search-scale.bench.ts).
import { DataType, GraphBuilder } from '../onnx/builder.ts';

/** The code that stands for 0: uint8 codes hold value + 128, so a symmetric int8 range fits. */
export const CODE_ZERO = 128;

/** Projects and quantises rows: `basis` is d rows of dim numbers; `scales[j]` is dimension j's step. */
export function encodeGraph(basis: Float32Array, dim: number, d: number, scales: Float32Array): Uint8Array {
  const g = new GraphBuilder('foley_scan_encode');
  const x = g.input('rows', ['n', dim]);
  // MatMul wants [dim, d]: the transpose of the stored basis.
  const t = new Float32Array(dim * d);
  for (let k = 0; k < d; k++) for (let j = 0; j < dim; j++) t[j * d + k] = basis[k * dim + j]!;
  const p = g.op('MatMul', [x, g.floatTensor('basis_t', [dim, d], t)]);
  const zero = g.typedTensor('zero', [d], DataType.UINT8, new Uint8Array(d).fill(CODE_ZERO));
  const codes = g.op('QuantizeLinear', [p, g.floatTensor('scales', [d], scales), zero], { axis: 1 });
  g.output(g.named(codes, 'codes'), ['n', d], DataType.UINT8);
  return g.build().bytes;
}

/** Scores every row against an int8 query and keeps the best k (k an input, ≤ n). */
export function scanGraph(d: number): Uint8Array {
  const g = new GraphBuilder('foley_scan');
  const codes = g.input('codes', ['n', d], DataType.UINT8);
  const q = g.input('query', [d, 1], DataType.INT8);
  const k = g.input('k', [1], DataType.INT64);
  const zero = g.typedTensor('zero', [], DataType.UINT8, Uint8Array.of(CODE_ZERO));
  const dots = g.op('MatMulInteger', [codes, q, zero]);
  // TopK has no int32 kernel in ONNX Runtime's CPU provider; float32 holds these sums exactly (|sum| < 2^24).
  const scores = g.op('Cast', [dots], { to: DataType.FLOAT });
  const [values, rows] = g.opN('TopK', [scores, k], 2, { axis: 0 });
  g.output(g.named(values!, 'scores'), ['k', 1]);
  g.output(g.named(rows!, 'rows'), ['k', 1], DataType.INT64);
  return g.build().bytes;
}
