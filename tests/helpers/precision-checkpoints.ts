// Small random CAV-MAE checkpoints for the precision tests: one whose int8 graphs agree with fp32,
// and ones with the outlier channels real checkpoints have (a LayerNorm gain 100× on one channel
// before every Linear it feeds), which per-tensor dynamic activation quantisation rounds badly.
import path from 'node:path';
import type { CavMaeConfig } from '../../native-models/cavmae/config.ts';
import type { StateDict } from '../../native-models/tensor.ts';
import { FULL_SIZE, randomStateDict, writeSafetensors } from '../../bench/random-checkpoint.ts';

/** D 64, 2 + 2 modality blocks and 1 joint block, 1 head, 128 audio frames: imports in well under a second. */
export const SMALL: CavMaeConfig = {
  ...FULL_SIZE,
  embedDim: 64,
  numHeads: 1,
  mlpHidden: 256,
  audioDepth: 2,
  visualDepth: 2,
  jointDepth: 1,
};

/**
 * Multiplies channel `channel` of the norm1/norm2 gains of the blocks whose key starts with one of
 * `prefixes` by `factor`: the activations entering those blocks' Linears get one outlier channel.
 */
export function withOutlierChannels(sd: StateDict, prefixes: readonly string[], factor = 100, channel = 3): StateDict {
  const out: StateDict = new Map();
  for (const [key, t] of sd) {
    if (prefixes.some((p) => key.startsWith(p)) && /\.norm[12](_[av])?\.weight$/.test(key)) {
      const data = t.data.slice();
      data[channel] = data[channel]! * factor;
      out.set(key, { shape: t.shape, data });
    } else {
      out.set(key, t);
    }
  }
  return out;
}

export type SmallCheckpoint = 'plain' | 'outliers-everywhere' | 'outliers-joint';

/** Writes one of the small checkpoints into `dir` and returns its path. */
export function writeSmallCheckpoint(dir: string, kind: SmallCheckpoint, seed = 7): string {
  const sd = randomStateDict(SMALL, seed);
  const file = path.join(dir, `${kind}.safetensors`);
  const prefixes = kind === 'outliers-everywhere' ? ['blocks_'] : kind === 'outliers-joint' ? ['blocks_u.'] : [];
  writeSafetensors(file, prefixes.length > 0 ? withOutlierChannels(sd, prefixes) : sd);
  return file;
}
