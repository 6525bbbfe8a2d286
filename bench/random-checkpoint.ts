// A full-size CAV-MAE state dict with seeded random weights, built in memory: timing does not depend
// on the values, and this keeps `npm run bench` free of Python and of a 764 MB download.
import { closeSync, openSync, writeSync } from 'node:fs';
import { expectedShapes } from '../native-models/cavmae/keys.ts';
import type { CavMaeConfig } from '../native-models/cavmae/config.ts';
import type { StateDict } from '../native-models/tensor.ts';
import { numel } from '../native-models/tensor.ts';

export const FULL_SIZE: CavMaeConfig = {
  embedDim: 768,
  numHeads: 12,
  mlpHidden: 3072,
  patchSize: 16,
  audioDepth: 11,
  visualDepth: 11,
  jointDepth: 1,
  melBins: 128,
  audioFrames: 1024,
  audioGrid: [8, 64],
  imageSize: 224,
  visualGrid: [14, 14],
  numClasses: null,
  kind: 'pretrained',
  layerNormEps: 1e-5,
};

/** xorshift32: fast, seeded, good enough for weights whose values don't matter. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296 - 0.5;
  };
}

export function randomStateDict(config: CavMaeConfig = FULL_SIZE, seed = 1): StateDict {
  const next = random(seed);
  const sd: StateDict = new Map();
  for (const [key, shape] of expectedShapes(config)) {
    const data = new Float32Array(numel(shape));
    const isNormWeight = /norm[^.]*\.weight$|mlp_head\.0\.weight$/.test(key);
    const scale = shape.length === 2 ? 1 / Math.sqrt(shape[1]!) : 0.05;
    for (let i = 0; i < data.length; i++) data[i] = isNormWeight ? 1 + 0.1 * next() : scale * next();
    sd.set(key, { shape, data });
  }
  return sd;
}

/** safetensors, written by hand: 8-byte header length, JSON header, raw little-endian float32. */
export function writeSafetensors(file: string, sd: StateDict): void {
  const header: Record<string, { dtype: string; shape: readonly number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [k, t] of sd) {
    header[k] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, json);
    for (const t of sd.values()) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } finally {
    closeSync(fd);
  }
}
