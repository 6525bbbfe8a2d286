// The tensors a CAV-MAE checkpoint holds (spec §4.2): the encoder and head tensors a configuration
// implies, the pretraining decoder that inference skips, and the name vocabulary that tells a CAV-MAE
// state dict from any other family's before a single weight is read.
import type { TensorInfo } from '../family.ts';
import type { CavMaeConfig } from './config.ts';

/** Keys of the pretraining decoder: present in pretrained files, never used for inference. */
export function isDecoderKey(key: string): boolean {
  return key.startsWith('decoder_') || key === 'mask_token';
}

const BLOCK_NORMS = ['norm1', 'norm1_a', 'norm1_v', 'norm2', 'norm2_a', 'norm2_v'] as const;

/** The 20 tensors every block owns, with their shapes for width d and MLP width h. */
export function blockTensorShapes(prefix: string, d: number, h: number): Array<[string, number[]]> {
  const shapes: Array<[string, number[]]> = [];
  for (const n of BLOCK_NORMS) shapes.push([`${prefix}.${n}.weight`, [d]], [`${prefix}.${n}.bias`, [d]]);
  shapes.push(
    [`${prefix}.attn.qkv.weight`, [3 * d, d]],
    [`${prefix}.attn.qkv.bias`, [3 * d]],
    [`${prefix}.attn.proj.weight`, [d, d]],
    [`${prefix}.attn.proj.bias`, [d]],
    [`${prefix}.mlp.fc1.weight`, [h, d]],
    [`${prefix}.mlp.fc1.bias`, [h]],
    [`${prefix}.mlp.fc2.weight`, [d, h]],
    [`${prefix}.mlp.fc2.bias`, [d]],
  );
  return shapes;
}

/** Every encoder (and head) tensor a checkpoint with this config must hold, in a stable order. */
export function expectedShapes(c: CavMaeConfig): Array<[string, number[]]> {
  const d = c.embedDim;
  const p = c.patchSize;
  const shapes: Array<[string, number[]]> = [
    ['modality_a', [1, 1, d]],
    ['modality_v', [1, 1, d]],
    ['pos_embed_a', [1, c.audioGrid[0] * c.audioGrid[1], d]],
    ['pos_embed_v', [1, c.visualGrid[0] * c.visualGrid[1], d]],
    ['patch_embed_a.proj.weight', [d, 1, p, p]],
    ['patch_embed_a.proj.bias', [d]],
    ['patch_embed_v.proj.weight', [d, 3, p, p]],
    ['patch_embed_v.proj.bias', [d]],
  ];
  for (let i = 0; i < c.audioDepth; i++) shapes.push(...blockTensorShapes(`blocks_a.${i}`, d, c.mlpHidden));
  for (let i = 0; i < c.visualDepth; i++) shapes.push(...blockTensorShapes(`blocks_v.${i}`, d, c.mlpHidden));
  for (let i = 0; i < c.jointDepth; i++) shapes.push(...blockTensorShapes(`blocks_u.${i}`, d, c.mlpHidden));
  for (const n of ['norm_a', 'norm_v', 'norm']) shapes.push([`${n}.weight`, [d]], [`${n}.bias`, [d]]);
  if (c.numClasses !== null) {
    shapes.push(
      ['mlp_head.0.weight', [d]],
      ['mlp_head.0.bias', [d]],
      ['mlp_head.1.weight', [c.numClasses, d]],
      ['mlp_head.1.bias', [c.numClasses]],
    );
  }
  return shapes;
}

// Every name CAV-MAE writes outside the decoder: the two embeddings and tables per modality, the three
// block stacks, the three final norms, and the fine-tuned head. Shapes are checked later, by inferConfig.
const ENCODER_NAME = /^(?:modality_[av]|pos_embed_[av]|patch_embed_[av]\.proj\.(?:weight|bias)|blocks_[avu]\.\d+\.[\w.]+|norm(?:_[av])?\.(?:weight|bias)|mlp_head\.[01]\.(?:weight|bias))$/;

/** A name CAV-MAE's encoder or head writes (shapes unchecked); derived families add their own. */
export function isCavMaeEncoderName(name: string): boolean {
  return ENCODER_NAME.test(name);
}

/** Why these tensors are not a CAV-MAE state dict, or undefined when they are. */
export function cavMaeMismatch(tensors: readonly TensorInfo[]): string | undefined {
  if (!tensors.some((t) => t.name === 'patch_embed_a.proj.weight')) return 'not a CAV-MAE checkpoint: missing tensor patch_embed_a.proj.weight';
  const foreign = tensors.find((t) => !isDecoderKey(t.name) && !ENCODER_NAME.test(t.name));
  return foreign === undefined ? undefined : `not a CAV-MAE checkpoint: unexpected tensor ${foreign.name}`;
}
