// The calibration set `--precision auto` compares precisions on: 32 sounds and 32 pictures. Twelve
// of each are real (native-models/calibration/, Debian's freedesktop sound theme and Adwaita icons,
// see the README there), the other twenty are generated here, deterministically (a seeded LCG, no
// Math.random), so every import measures on the same inputs. Generated ones cover what the real
// ones lack: pure and swept tones, noise, clicks; gradients, stripes, textures, saturated colours.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RgbImage } from '../preprocess/resample.ts';

export const CALIBRATION_DIR = path.join(import.meta.dirname, '..', 'calibration');
const RATE = 16000;
const GENERATED = 20;

export interface CalibrationSet {
  readonly sounds: ReadonlyArray<{ readonly name: string; readonly samples: Float32Array }>;
  readonly pictures: ReadonlyArray<{ readonly name: string; readonly rgb: RgbImage }>;
}

/** 16-bit PCM mono WAV → samples in [-1, 1) (the files are written so by ffmpeg; see the README). */
export function readWav(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file');
  let at = 12;
  while (at + 8 <= bytes.length) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ' && (view.getUint16(at + 8, true) !== 1 || view.getUint16(at + 10, true) !== 1 || view.getUint32(at + 12, true) !== RATE)) {
      throw new Error('calibration WAVs must be 16 kHz mono PCM');
    }
    if (tag(at) === 'data') {
      const n = Math.floor(size / 2);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(at + 8 + 2 * i, true) / 32768;
      return out;
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('WAV file has no data chunk');
}

/** Binary PPM (P6, maxval 255) → RGB. */
export function readPpm(bytes: Uint8Array): RgbImage {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < 4) {
    while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]!))) at++;
    if (bytes[at] === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
      continue;
    }
    let word = '';
    while (at < bytes.length && !/\s/.test(String.fromCharCode(bytes[at]!))) word += String.fromCharCode(bytes[at++]!);
    fields.push(word);
  }
  const [magic, w, h, max] = fields as [string, string, string, string];
  if (magic !== 'P6' || max !== '255') throw new Error('calibration pictures must be binary PPM (P6, maxval 255)');
  const width = Number(w);
  const height = Number(h);
  const data = bytes.slice(at + 1, at + 1 + width * height * 3);
  if (data.length !== width * height * 3) throw new Error('PPM file is truncated');
  return { width, height, data };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Generated sound i (0 ≤ i < 20): tones, sweeps, noise, clicks and mixes, 1–3 s. */
export function generatedSound(i: number): Float32Array {
  const rand = lcg(1000 + i);
  const seconds = 1 + (i % 5) * 0.5;
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(n);
  const kind = i % 5;
  const f0 = 110 * 2 ** (i / 4);
  for (let t = 0; t < n; t++) {
    const s = t / RATE;
    let v: number;
    if (kind === 0) v = Math.sin(2 * Math.PI * f0 * s);
    else if (kind === 1) v = Math.sin(2 * Math.PI * (f0 * s + ((8 * f0 - f0) * s * s) / (2 * seconds)));
    else if (kind === 2) v = (rand() * 2 - 1) * Math.exp(-3 * s);
    else if (kind === 3) v = t % Math.round(RATE / (4 + i)) < 40 ? rand() * 2 - 1 : 0;
    else v = 0.5 * Math.sin(2 * Math.PI * f0 * s) * (1 + Math.sin(2 * Math.PI * 3 * s)) + 0.1 * (rand() * 2 - 1);
    out[t] = 0.5 * v;
  }
  return out;
}

/** Generated picture i (0 ≤ i < 20), 96 × 96: gradients, checkerboards, stripes, discs, noise. */
export function generatedPicture(i: number): RgbImage {
  const size = 96;
  const rand = lcg(2000 + i);
  const data = new Uint8Array(size * size * 3);
  const colour = [rand() * 255, rand() * 255, rand() * 255];
  const other = [rand() * 255, rand() * 255, rand() * 255];
  const kind = i % 5;
  const period = 4 + 3 * i;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let mix: number;
      if (kind === 0) mix = (x + y) / (2 * size);
      else if (kind === 1) mix = (Math.floor(x / period) + Math.floor(y / period)) % 2;
      else if (kind === 2) mix = 0.5 + 0.5 * Math.sin((2 * Math.PI * (x * Math.cos(i) + y * Math.sin(i))) / period);
      else if (kind === 3) mix = (x - 48) ** 2 + (y - 48) ** 2 < (10 + i * 1.5) ** 2 ? 1 : 0;
      else mix = rand();
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.round(colour[c]! * (1 - mix) + other[c]! * mix);
    }
  }
  return { width: size, height: size, data };
}

/** The real files (sorted by name) followed by the generated items. */
export function loadCalibrationSet(dir: string = CALIBRATION_DIR): CalibrationSet {
  const files = readdirSync(dir).sort();
  const sounds = files.filter((f) => f.endsWith('.wav')).map((f) => ({ name: f, samples: readWav(readFileSync(path.join(dir, f))) }));
  const pictures = files.filter((f) => f.endsWith('.ppm')).map((f) => ({ name: f, rgb: readPpm(readFileSync(path.join(dir, f))) }));
  for (let i = 0; i < GENERATED; i++) {
    sounds.push({ name: `generated-sound-${i}`, samples: generatedSound(i) });
    pictures.push({ name: `generated-picture-${i}`, rgb: generatedPicture(i) });
  }
  return { sounds, pictures };
}
