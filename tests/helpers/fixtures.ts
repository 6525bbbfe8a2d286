import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readNpy } from './npy.ts';
import type { NpyArray } from './npy.ts';

export const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

export interface CavMaeGolden {
  readonly variant: string;
  readonly kind: 'pretrained' | 'finetuned';
  readonly embed_dim: number;
  readonly num_heads: number;
  readonly modality_specific_depth: number;
  readonly joint_depth: number;
  readonly label_dim: number | null;
  readonly dtype: string;
  readonly files: Record<string, { path: string }>;
}

export const CAVMAE_VARIANTS = ['pre-d32-11x1', 'pre-d32-h2-10x2', 'ft-d32-c10', 'ft-d48-h3-c7-fp16', 'pre-d32-strided', 'ft-d32-c527', 'ft-d32-c309'] as const;

export function cavmaeDir(variant: string): string {
  return path.join(FIXTURES, 'cavmae', variant);
}

export function readGolden(variant: string): CavMaeGolden {
  return JSON.parse(readFileSync(path.join(cavmaeDir(variant), 'golden.json'), 'utf8')) as CavMaeGolden;
}

export function goldenArray(variant: string, name: string): NpyArray {
  return readNpy(path.join(cavmaeDir(variant), `${name}.npy`));
}

export function cavmaeInputs(): { audio: NpyArray; visual: NpyArray } {
  return {
    audio: readNpy(path.join(FIXTURES, 'cavmae', 'inputs', 'audio.npy')),
    visual: readNpy(path.join(FIXTURES, 'cavmae', 'inputs', 'visual.npy')),
  };
}
