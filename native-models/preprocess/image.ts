// The torchvision image pipeline most vision encoders are trained with: shorter side → size with PIL's
// antialiased bilinear (torchvision Resize on a PIL image), centre crop size × size, ToTensor (/255),
// Normalize(mean, std), RGB channel-first. A model family passes its own size and statistics.
import { resizeRgb } from './resample.ts';
import type { RgbImage } from './resample.ts';

export interface ImageNormalisation {
  /** Side of the square the model sees. */
  readonly size: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

// torchvision works in float32: x.float().div(255), then .sub(mean).div(std) with float32 mean/std.
// One 256-entry table per channel reproduces that bit for bit; tables are kept per statistics.
const luts = new Map<string, readonly Float32Array[]>();

function channelTables(mean: readonly number[], std: readonly number[]): readonly Float32Array[] {
  const key = JSON.stringify([mean, std]);
  let tables = luts.get(key);
  if (tables === undefined) {
    tables = mean.map((m, c) => {
      const t = new Float32Array(256);
      const mf = Math.fround(m);
      const sf = Math.fround(std[c]!);
      for (let v = 0; v < 256; v++) t[v] = Math.fround(Math.fround(Math.fround(v / 255) - mf) / sf);
      return t;
    });
    luts.set(key, tables);
  }
  return tables;
}

/** Python's round() (half to even) for the non-negative halves centre-crop offsets produce. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Output size of torchvision Resize(size) for a PIL image: short side → size, long side truncated. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** Resize (short side `size`, bilinear) + centre crop `size` as uint8 RGB: the pixels the model sees. */
export function resizeAndCrop(rgb: RgbImage, size: number): RgbImage {
  const { width, height, data } = rgb;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`RGB data holds ${data.length} bytes, expected ${width}*${height}*3 = ${width * height * 3}`);
  }
  const r = resizedSize(width, height, size);
  // Long sides below `size` cannot happen (long ≥ short → ≥ size after scaling), so no crop padding.
  const crop = {
    left: roundHalfEven((r.width - size) / 2),
    top: roundHalfEven((r.height - size) / 2),
    width: size,
    height: size,
  };
  return resizeRgb(rgb, r.width, r.height, 'bilinear', crop);
}

/** RGB image of any size → [3, size, size] float32, resized, cropped and normalised per channel. */
export function normalisedImage(rgb: RgbImage, n: ImageNormalisation): Float32Array {
  const size = n.size;
  const img = resizeAndCrop(rgb, size);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  const src = img.data;
  const [l0, l1, l2] = channelTables(n.mean, n.std) as [Float32Array, Float32Array, Float32Array];
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[i] = l0[src[p]!]!;
    out[plane + i] = l1[src[p + 1]!]!;
    out[2 * plane + i] = l2[src[p + 2]!]!;
  }
  return out;
}
