// What a CAV-MAE Sync state dict says about its network (spec §6). The encoder layout is CAV-MAE's,
// read by the same code; on top come the CLS tokens, R register tokens per modality ([2R, D]: audio
// first), optional contrastive heads, and the 416-row audio segments (an 8 × 26 token grid) read off
// pos_embed_a. Like CAV-MAE, nothing is assumed from the release: small test checkpoints and the
// 768-wide model go through the same code.
import { CheckpointError } from '../../base/errors.ts';
import type { FrameLevel, InferOptions } from '../family.ts';
import type { StateDict } from '../tensor.ts';
import { shapeToString } from '../tensor.ts';
import type { CavMaeConfig } from '../cavmae/config.ts';
import { checkShapes, inferEncoderConfig } from '../cavmae/config.ts';
import { CONTRASTIVE_HEADS, expectedShapes } from './keys.ts';
import { CLIP_FRAMES, DEFAULT_FRAME, FRAMES_PER_CLIP, ROW_SECONDS, segmentRows } from './preprocess.ts';

export const SYNC_FAMILY = 'cavmae-sync';
const TITLE = 'CAV-MAE Sync';

export interface SyncConfig extends CavMaeConfig {
  readonly family: typeof SYNC_FAMILY;
  /** Register tokens per modality (8 in the release); appended for the modality-specific blocks only. */
  readonly registers: number;
  /** Blocks per modality in the optional contrastive heads (0: none, as in the release). */
  readonly contrastiveDepth: number;
  /** Fbank rows of the clip the frames divide (1,024). */
  readonly clipFrames: number;
  readonly framesPerClip: number;
  readonly numClasses: null;
  readonly kind: 'pretrained';
}

function countStack(sd: StateDict, stack: string): number {
  const re = new RegExp(`^${stack}\\.(\\d+)\\.`);
  const seen = new Set<number>();
  for (const k of sd.keys()) {
    const m = re.exec(k);
    if (m) seen.add(Number(m[1]));
  }
  return seen.size;
}

/** Reads the configuration off a Sync state dict (decoder already removed) and checks every tensor. */
export function inferSyncConfig(file: string, sd: StateDict, options: InferOptions = {}): SyncConfig {
  const base = inferEncoderConfig(file, sd, options, TITLE);
  if (base.numClasses !== null) throw new CheckpointError(file, 'a fine-tuned CAV-MAE Sync classifier: Foley runs Sync\'s retrieval model only');
  if (base.audioFrames > CLIP_FRAMES) {
    throw new CheckpointError(file, `pos_embed_a spans ${base.audioFrames} fbank rows, more than the ${CLIP_FRAMES}-row clip its frames are cut from`);
  }
  const registerTable = sd.get('register_tokens');
  const registers = registerTable === undefined ? 0 : (registerTable.shape[0] ?? 0) / 2;
  if (registerTable !== undefined && (registerTable.shape.length !== 2 || !Number.isInteger(registers) || registers < 1)) {
    throw new CheckpointError(file, `register_tokens has shape ${shapeToString(registerTable.shape)}, expected [2R, ${base.embedDim}] (R audio then R visual)`);
  }
  const audioHeads = countStack(sd, CONTRASTIVE_HEADS.audio);
  const visualHeads = countStack(sd, CONTRASTIVE_HEADS.visual);
  if (audioHeads !== visualHeads) {
    throw new CheckpointError(file, `contrastive heads differ: ${audioHeads} audio blocks, ${visualHeads} visual blocks`);
  }
  const config: SyncConfig = {
    ...base,
    family: SYNC_FAMILY,
    numClasses: null,
    kind: 'pretrained',
    registers,
    contrastiveDepth: audioHeads,
    clipFrames: CLIP_FRAMES,
    framesPerClip: FRAMES_PER_CLIP,
  };
  checkShapes(file, sd, expectedShapes(config), TITLE);
  return config;
}

/** How a Sync model divides a clip: 16 frames of 0.64 s, each heard through its 416-row segment. */
export function frameLevel(c: SyncConfig): FrameLevel {
  return {
    framesPerClip: c.framesPerClip,
    clipSeconds: c.clipFrames * ROW_SECONDS,
    defaultFrame: Math.min(DEFAULT_FRAME, c.framesPerClip - 1),
    soundSpan(frame) {
      const [start, end] = segmentRows(frame, c);
      return [start * ROW_SECONDS, end * ROW_SECONDS];
    },
  };
}
