// A full-size CAV-MAE state dict with seeded random weights, built in memory: timing does not depend
// on the values, and this keeps `npm run bench` free of Python and of a 764 MB download.
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
