// The colour map heatmaps are drawn with, shared by the PNGs the CLI writes and the app's canvases:
// Google's Turbo (Mikhailov 2019), as its published polynomial approximation. Perceptually ordered
// from dark blue (low) through green to dark red (high), readable over photos and spectrograms.

/** t in [0, 1] (clamped) → [r, g, b] bytes. */
export function turbo(t: number): [number, number, number] {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x3 * x;
  const x5 = x4 * x;
  const r = 0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5;
  const g = 0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5;
  const b = 0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5;
  const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [byte(r), byte(g), byte(b)];
}

/** Min and max of a map's values (for min-max display scaling and the legend). */
export function extent(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/**
 * Bilinear sample of a rows × cols grid at continuous coordinates (u, v) in [0, 1]² over the grid's
 * extent (cell centres at (c + 0.5)/cols): what a canvas does when it scales a small image up.
 */
export function sampleGrid(data: ArrayLike<number>, rows: number, cols: number, u: number, v: number): number {
  const x = Math.min(cols - 1, Math.max(0, u * cols - 0.5));
  const y = Math.min(rows - 1, Math.max(0, v * rows - 0.5));
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(cols - 1, x0 + 1);
  const y1 = Math.min(rows - 1, y0 + 1);
  const fx = x - x0;
  const fy = y - y0;
  const at = (r: number, c: number): number => data[r * cols + c]!;
  return (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy;
}
