// The one tensor type the converter passes around: float32, row-major, contiguous.
// Checkpoint readers convert whatever the file stores (fp16, bf16, strided views) into this on read,
// so everything downstream can assume one layout.
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Name → tensor, in file order. Keys are already stripped of a `module.` prefix by the readers' caller. */
export type StateDict = Map<string, Tensor>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Arrays side by side in one Float32Array (a batch of inputs; a frame-level row of vectors). */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
