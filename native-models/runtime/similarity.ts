// Blocks of a cosine-similarity matrix on ONNX Runtime: one Gemm (queries × galleryᵀ). Retrieval
// evaluation (core/evaluation) needs n² dot products of 768 numbers; plain JS loops do about 0.8·10⁹
// multiply-adds a second (5,000 pairs: 22.5 s), MLAS's SIMD kernels are many times faster. The rows
// are normalised by the caller, so the dot products are the cosines.
import * as ort from 'onnxruntime-node';
import { DataType, GraphBuilder } from '../onnx/builder.ts';

export interface SimilarityBlocks {
  /** rows×n scores of queries (rows×d) against the whole gallery (n×d), row-major. */
  block(queries: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

function gemmGraph(): Uint8Array {
  const g = new GraphBuilder('foley-similarity');
  const q = g.input('queries', ['rows', 'd'], DataType.FLOAT);
  const gallery = g.input('gallery', ['n', 'd'], DataType.FLOAT);
  g.output(g.named(g.op('Gemm', [q, gallery], { transB: 1 }), 'scores'), ['rows', 'n'], DataType.FLOAT);
  return g.build().bytes;
}

/** A CPU session for one gallery (n×d, kept for every block); threads as ORT chooses unless given. */
export async function similarityBlocks(gallery: Float32Array, n: number, d: number, threads?: number): Promise<SimilarityBlocks> {
  const session = await ort.InferenceSession.create(gemmGraph(), {
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
  });
  const g = new ort.Tensor('float32', gallery, [n, d]);
  return {
    async block(queries, rows) {
      const out = await session.run({ queries: new ort.Tensor('float32', queries.subarray(0, rows * d), [rows, d]), gallery: g });
      return out.scores!.data as Float32Array;
    },
    release: () => session.release(),
  };
}
