// A full-size CAV-MAE state dict with seeded random weights, built in memory: timing does not depend
// on the values, and this keeps `npm run bench` free of Python and of a 764 MB download.
import { closeSync, openSync, writeSync } from 'node:fs';
import { expectedShapes } from '../native-models/cavmae/keys.ts';
import { expectedShapes as syncShapes } from '../native-models/cavmae-sync/keys.ts';
import type { SyncConfig } from '../native-models/cavmae-sync/config.ts';
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

/** The released CAV-MAE Sync layout (retrieval.py): 416-row segments, 8 registers, no contrastive heads. */
export const SYNC_FULL_SIZE: SyncConfig = {
  ...FULL_SIZE,
  family: 'cavmae-sync',
  audioFrames: 416,
  audioGrid: [8, 26],
  numClasses: null,
  kind: 'pretrained',
  registers: 8,
  contrastiveDepth: 0,
  clipFrames: 1024,
  framesPerClip: 16,
};

export function randomStateDict(config: CavMaeConfig = FULL_SIZE, seed = 1): StateDict {
  return randomTensors(expectedShapes(config), seed);
}

export function randomSyncStateDict(config: SyncConfig = SYNC_FULL_SIZE, seed = 1): StateDict {
  return randomTensors(syncShapes(config), seed);
}

function randomTensors(shapes: Array<[string, number[]]>, seed: number): StateDict {
  const next = random(seed);
  const sd: StateDict = new Map();
  for (const [key, shape] of shapes) {
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
