// PIL-compatible antialiased resampling of 8-bit RGB (Pillow 9.4 libImaging/Resample.c), which is what
// torchvision's Resize does to a PIL image. Reproduced in detail so the model sees the pixels it was
// trained on: filter support widened by the downscale factor, coefficients normalised to sum 1 and then
// converted to 22-bit fixed point, a horizontal pass then a vertical pass, each rounding to uint8.

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** RGB24, row-major, width * height * 3 bytes. */
  readonly data: Uint8Array;
}

export type ResampleFilter = 'bilinear' | 'bicubic';

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_HIGH = 2 ** (PRECISION_BITS + 8);

interface Filter {
  readonly support: number;
  readonly fn: (x: number) => number;
}

const FILTERS: Record<ResampleFilter, Filter> = {
  bilinear: {
    support: 1,
    fn: (x) => {
      const a = x < 0 ? -x : x;
      return a < 1 ? 1 - a : 0;
    },
  },
  bicubic: {
    support: 2,
    fn: (x) => {
      // PIL's bicubic uses a = -0.5.
      const a = -0.5;
      const t = x < 0 ? -x : x;
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

/** Fixed-point filter taps for one axis: output i reads input [xmin[i], xmin[i] + count[i]). */
interface Coeffs {
  readonly ksize: number;
  readonly xmin: Int32Array;
  readonly count: Int32Array;
  readonly k: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the output indices [from, to). */
function coeffs(inSize: number, outSize: number, filter: Filter, from: number, to: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const n = to - from;
  const xmin = new Int32Array(n);
  const count = new Int32Array(n);
  const k = new Int32Array(n * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let o = 0; o < n; o++) {
    const center = (o + from + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let lo = Math.trunc(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.trunc(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    const cnt = hi - lo;
    let sum = 0;
    for (let x = 0; x < cnt; x++) {
      const v = filter.fn((x + lo - center + 0.5) * ss);
      w[x] = v;
      sum += v;
    }
    for (let x = 0; x < cnt; x++) {
      const v = sum !== 0 ? w[x]! / sum : w[x]!;
      k[o * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    xmin[o] = lo;
    count[o] = cnt;
  }
  return { ksize, xmin, count, k };
}

function clip8(ss: number): number {
  if (ss >= CLIP_HIGH) return 255;
  if (ss <= 0) return 0;
  return ss >> PRECISION_BITS;
}

export interface CropRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Resize `src` to outWidth × outHeight as PIL's Image.resize(size, filter) does, returning only the
 * `crop` rectangle of the result (each output pixel depends only on its own taps, so pixels the crop
 * discards are never computed).
 */
export function resizeRgb(
  src: RgbImage,
  outWidth: number,
  outHeight: number,
  filterName: ResampleFilter = 'bilinear',
  crop: CropRect = { left: 0, top: 0, width: outWidth, height: outHeight },
): RgbImage {
  const filter = FILTERS[filterName];
  const { width: inW, height: inH, data } = src;
  const needH = outWidth !== inW;
  const needV = outHeight !== inH;

  // Vertical taps decide which source rows the horizontal pass must produce.
  const vc = needV ? coeffs(inH, outHeight, filter, crop.top, crop.top + crop.height) : undefined;
  let rowFirst = crop.top;
  let rowLast = crop.top + crop.height;
  if (vc) {
    rowFirst = vc.xmin[0]!;
    rowLast = vc.xmin[crop.height - 1]! + vc.count[crop.height - 1]!;
  }
  const tmpRows = rowLast - rowFirst;

  // Horizontal pass: source rows [rowFirst, rowLast) → crop.width columns, rounded to uint8 as PIL does.
  let tmp: Uint8Array;
  if (needH) {
    const hc = coeffs(inW, outWidth, filter, crop.left, crop.left + crop.width);
    tmp = new Uint8Array(tmpRows * crop.width * 3);
    for (let y = 0; y < tmpRows; y++) {
      const srcRow = (y + rowFirst) * inW * 3;
      const dstRow = y * crop.width * 3;
      for (let x = 0; x < crop.width; x++) {
        const kOff = x * hc.ksize;
        const cnt = hc.count[x]!;
        let p = srcRow + hc.xmin[x]! * 3;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let t = 0; t < cnt; t++, p += 3) {
          const kv = hc.k[kOff + t]!;
          s0 += data[p]! * kv;
          s1 += data[p + 1]! * kv;
          s2 += data[p + 2]! * kv;
        }
        const d = dstRow + x * 3;
        tmp[d] = clip8(s0);
        tmp[d + 1] = clip8(s1);
        tmp[d + 2] = clip8(s2);
      }
    }
  } else {
    // No horizontal change: just cut the needed rows and columns out of the source.
    tmp = new Uint8Array(tmpRows * crop.width * 3);
    for (let y = 0; y < tmpRows; y++) {
      const s = ((y + rowFirst) * inW + crop.left) * 3;
      tmp.set(data.subarray(s, s + crop.width * 3), y * crop.width * 3);
    }
  }
  if (!vc) return { width: crop.width, height: crop.height, data: tmp };

  // Vertical pass over the intermediate rows.
  const out = new Uint8Array(crop.width * crop.height * 3);
  const stride = crop.width * 3;
  for (let y = 0; y < crop.height; y++) {
    const kOff = y * vc.ksize;
    const cnt = vc.count[y]!;
    const first = vc.xmin[y]! - rowFirst;
    const dstRow = y * stride;
    for (let c = 0; c < stride; c++) {
      let s = HALF;
      for (let t = 0, p = first * stride + c; t < cnt; t++, p += stride) s += tmp[p]! * vc.k[kOff + t]!;
      out[dstRow + c] = clip8(s);
    }
  }
  return { width: crop.width, height: crop.height, data: out };
}
