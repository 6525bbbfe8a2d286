// The tensors a CAV-MAE Sync checkpoint holds (spec §6): CAV-MAE's encoder plus the CLS tokens, the
// register tokens and, in some training runs, two contrastive-head blocks per modality. The CLS tokens
// are what tell a Sync state dict from a CAV-MAE one before any weight is read.
import type { TensorInfo } from '../family.ts';
import { blockTensorShapes, expectedShapes as cavMaeShapes, isCavMaeEncoderName, isDecoderKey } from '../cavmae/keys.ts';
import type { SyncConfig } from './config.ts';

/** The official module names: "constrative" is spelled so in cav_mae_sync.py. */
export const CONTRASTIVE_HEADS = { audio: 'constrative_head_audio', visual: 'constrative_head_visual' } as const;

const SYNC_NAME = /^(?:cls_token_[av]|register_tokens|constrative_head_(?:audio|visual)\.\d+\.[\w.]+)$/;

/** Why these tensors are not a CAV-MAE Sync state dict, or undefined when they are. */
export function syncMismatch(tensors: readonly TensorInfo[]): string | undefined {
  if (!tensors.some((t) => t.name === 'cls_token_a')) return 'not a CAV-MAE Sync checkpoint: missing tensor cls_token_a';
  const head = tensors.find((t) => t.name.startsWith('mlp_head.'));
  if (head !== undefined) return `a fine-tuned CAV-MAE Sync classifier (tensor ${head.name}): Foley runs Sync's retrieval model only`;
  const foreign = tensors.find((t) => !isDecoderKey(t.name) && !isCavMaeEncoderName(t.name) && !SYNC_NAME.test(t.name));
  return foreign === undefined ? undefined : `not a CAV-MAE Sync checkpoint: unexpected tensor ${foreign.name}`;
}

/** Every tensor a Sync checkpoint with this config must hold. */
export function expectedShapes(c: SyncConfig): Array<[string, number[]]> {
  const d = c.embedDim;
  const shapes = cavMaeShapes(c);
  shapes.push(['cls_token_a', [1, 1, d]], ['cls_token_v', [1, 1, d]]);
  if (c.registers > 0) shapes.push(['register_tokens', [2 * c.registers, d]]);
  for (const stack of Object.values(CONTRASTIVE_HEADS)) {
    for (let i = 0; i < c.contrastiveDepth; i++) shapes.push(...blockTensorShapes(`${stack}.${i}`, d, c.mlpHidden));
  }
  return shapes;
}
