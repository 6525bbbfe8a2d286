// Pictures of the maps, for `foley localize --png` and the app's spectrogram route: the frame with
// the visual map over the centre square the model sees (the rest dimmed), and the window's
// spectrogram (time across, lowest mel bin at the bottom) with the audio map over it. Maps are
// min-max scaled and coloured with Turbo for display only; the numbers stay raw everywhere else.
import { extent, sampleGrid, turbo } from '../../base/colormap.ts';
import type { RgbFrame } from '../../media/image.ts';
import { resizeRgb } from '../../native-models/preprocess/resample.ts';
import type { MapJson } from './types.ts';

/** Share of the heatmap colour in a blended pixel. */
const OPACITY = 0.55;
/** Spectrogram columns per model-input frame (1024 frames → 512 px). */
export const SPECTROGRAM_FRAMES_PER_PIXEL = 2;

function blend(out: Uint8Array, i: number, rgb: readonly [number, number, number], alpha: number): void {
  out[i] = Math.round(out[i]! * (1 - alpha) + rgb[0] * alpha);
  out[i + 1] = Math.round(out[i + 1]! * (1 - alpha) + rgb[1] * alpha);
  out[i + 2] = Math.round(out[i + 2]! * (1 - alpha) + rgb[2] * alpha);
}

function scaler(map: MapJson): (v: number) => number {
  const { min, max } = extent(map.data);
  return max > min ? (v) => (v - min) / (max - min) : () => 0.5;
}

/** The map drawn over the rectangle (x0, y0, w, h) of `img`, in place. */
function overlay(img: RgbFrame, map: MapJson, x0: number, y0: number, w: number, h: number): void {
  const [rows, cols] = map.shape;
  const scale = scaler(map);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = sampleGrid(map.data, rows, cols, (x + 0.5) / w, (y + 0.5) / h);
      blend(img.data, ((y0 + y) * img.width + x0 + x) * 3, turbo(scale(v)), OPACITY);
    }
  }
}

/** The frame (shrunk to at most `width` px wide) with the visual map over its centre square; outside it dimmed. */
export function pictureWithMap(frame: RgbFrame, map: MapJson, width = 512): RgbFrame {
  const w = Math.min(width, frame.width);
  const h = Math.max(1, Math.round((frame.height * w) / frame.width));
  const img = w === frame.width ? { width: w, height: h, data: Uint8Array.from(frame.data) } : resizeRgb(frame, w, h, 'bilinear');
  const side = Math.min(w, h);
  const x0 = Math.floor((w - side) / 2);
  const y0 = Math.floor((h - side) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x >= x0 && x < x0 + side && y >= y0 && y < y0 + side) continue;
      blend(img.data, (y * w + x) * 3, [0, 0, 0], 0.6);
    }
  }
  overlay(img, map, x0, y0, side, side);
  return img;
}

/**
 * A model input ([frames, bins], time-major, bin 0 lowest) as a grey spectrogram: time across at
 * SPECTROGRAM_FRAMES_PER_PIXEL frames a column, one row per bin with the lowest at the bottom,
 * scaled between the 2nd and 99th percentile of the real frames. Frames past `realFrames` are
 * padding the model sees but that is not sound: drawn dark and hatched.
 */
export function spectrogramImage(input: Float32Array, frames: number, bins: number, realFrames: number): RgbFrame {
  const width = Math.ceil(frames / SPECTROGRAM_FRAMES_PER_PIXEL);
  const data = new Uint8Array(width * bins * 3);
  const real = Math.max(0, Math.min(frames, realFrames));
  const sorted = Float32Array.from(input.subarray(0, real * bins)).sort();
  const lo = sorted.length > 0 ? sorted[Math.floor(0.02 * (sorted.length - 1))]! : 0;
  const hi = sorted.length > 0 ? sorted[Math.floor(0.99 * (sorted.length - 1))]! : 1;
  for (let x = 0; x < width; x++) {
    const f0 = x * SPECTROGRAM_FRAMES_PER_PIXEL;
    const f1 = Math.min(frames, f0 + SPECTROGRAM_FRAMES_PER_PIXEL);
    for (let b = 0; b < bins; b++) {
      const i = ((bins - 1 - b) * width + x) * 3;
      if (f0 >= real) {
        const g = (x + b) % 8 < 2 ? 48 : 24;
        data.fill(g, i, i + 3);
        continue;
      }
      let sum = 0;
      for (let f = f0; f < f1; f++) sum += input[f * bins + b]!;
      const t = hi > lo ? (sum / (f1 - f0) - lo) / (hi - lo) : 0.5;
      data.fill(Math.round(255 * Math.min(1, Math.max(0, t))), i, i + 3);
    }
  }
  return { width, height: bins, data };
}

/** The spectrogram with the audio map over all of it (the map's columns span the whole model input). */
export function spectrogramWithMap(spectrogram: RgbFrame, map: MapJson): RgbFrame {
  const img = { width: spectrogram.width, height: spectrogram.height, data: Uint8Array.from(spectrogram.data) };
  // Row 0 of the map is the lowest band, drawn at the bottom: flip the map's rows.
  const [rows, cols] = map.shape;
  const flipped: number[] = [];
  for (let r = rows - 1; r >= 0; r--) for (let c = 0; c < cols; c++) flipped.push(map.data[r * cols + c]!);
  overlay(img, { shape: map.shape, data: flipped }, 0, 0, img.width, img.height);
  return img;
}

/** A colour bar, low on the left, for the legend under each panel. */
export function legendBar(width: number, height = 10): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    const rgb = turbo(width > 1 ? x / (width - 1) : 0.5);
    for (let y = 0; y < height; y++) data.set(rgb, (y * width + x) * 3);
  }
  return { width, height, data };
}

/** Panels one under another, left-aligned on a dark background, `gap` px apart. */
export function stack(panels: readonly RgbFrame[], gap = 8): RgbFrame {
  const width = Math.max(...panels.map((p) => p.width)) + 2 * gap;
  const height = panels.reduce((s, p) => s + p.height + gap, gap);
  const data = new Uint8Array(width * height * 3).fill(17);
  let y0 = gap;
  for (const p of panels) {
    for (let y = 0; y < p.height; y++) data.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), ((y0 + y) * width + gap) * 3);
    y0 += p.height + gap;
  }
  return { width, height, data };
}
