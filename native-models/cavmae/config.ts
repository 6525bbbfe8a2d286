// What a CAV-MAE state dict says about the network that wrote it. Nothing here is assumed from the
// paper's defaults: width, depths, patch size, grids and class count are all read off tensor shapes,
// so small test checkpoints and the 768-wide release go through the same code.
import { CheckpointError } from '../../base/errors.ts';
import type { FamilyConfig, InferOptions } from '../family.ts';
import type { StateDict, Tensor } from '../tensor.ts';
import { shapeToString } from '../tensor.ts';
import { expectedShapes, isDecoderKey } from './keys.ts';
import { MEL_BINS } from './preprocess.ts';

// Never sets `family`: a config without one is CAV-MAE's (so are all manifests written before
// families existed), and the config is part of the graphs' bytes (metadata), which must not change.
export interface CavMaeConfig extends FamilyConfig {
  /** Token width D (768 in every released checkpoint). */
  readonly embedDim: number;
  readonly numHeads: number;
  readonly mlpHidden: number;
  readonly patchSize: number;
  readonly audioDepth: number;
  readonly visualDepth: number;
  readonly jointDepth: number;
  /** Mel bins fed to the audio patch embedding (128). */
  readonly melBins: number;
  /** Spectrogram frames the audio graph takes (1024 for released checkpoints). */
  readonly audioFrames: number;
  /** Audio token grid: rows = frequency bands, cols = time steps. */
  readonly audioGrid: readonly [rows: number, cols: number];
  readonly imageSize: number;
  readonly visualGrid: readonly [rows: number, cols: number];
  /** Classifier classes for fine-tuned (CAVMAEFT) checkpoints, null for pretrained (CAVMAE) ones. */
  readonly numClasses: number | null;
  readonly kind: 'pretrained' | 'finetuned';
  /** LayerNorm epsilon: torch.nn.LayerNorm's default, which CAV-MAE uses everywhere (spec §7.1). */
  readonly layerNormEps: number;
}

function countBlocks(keys: Iterable<string>, stack: string): number {
  const indices = new Set<number>();
  const re = new RegExp(`^${stack}\\.(\\d+)\\.`);
  for (const k of keys) {
    const m = re.exec(k);
    if (m) indices.add(Number(m[1]));
  }
  // Blocks must be numbered 0..n-1 with no gaps, or the stack is not what nn.ModuleList writes.
  for (let i = 0; i < indices.size; i++) if (!indices.has(i)) return -1;
  return indices.size;
}

/** torch.nn.LayerNorm's default, which CAV-MAE uses everywhere (spec §7.1). */
const LAYER_NORM_EPS = 1e-5;

/**
 * Reads the configuration off the state dict and checks every tensor against it. Heads default to
 * width / 64, as in every released checkpoint.
 * Decoder tensors must already be removed (see {@link encoderStateDict}).
 */
export function inferConfig(file: string, sd: StateDict, options: InferOptions = {}): CavMaeConfig {
  const config = inferEncoderConfig(file, sd, options, 'CAV-MAE');
  checkShapes(file, sd, expectedShapes(config), 'CAV-MAE');
  return config;
}

/**
 * The encoder layout every CAV-MAE-derived family shares (patch embeddings, position tables, the three
 * block stacks, the head if any), read off the tensors; `title` names the family in messages. Checks
 * only the tensors it reads: the caller checks the full set (checkShapes).
 */
export function inferEncoderConfig(file: string, sd: StateDict, options: InferOptions, title: string): CavMaeConfig {
  const get = (key: string): Tensor => {
    const t = sd.get(key);
    if (t === undefined) {
      throw new CheckpointError(file, `not a ${title} checkpoint: missing tensor ${key}`);
    }
    return t;
  };

  const patchA = get('patch_embed_a.proj.weight');
  if (patchA.shape.length !== 4 || patchA.shape[1] !== 1 || patchA.shape[2] !== patchA.shape[3]) {
    throw new CheckpointError(file, `patch_embed_a.proj.weight has shape ${shapeToString(patchA.shape)}, expected [D, 1, P, P]`);
  }
  const embedDim = patchA.shape[0]!;
  const patchSize = patchA.shape[2]!;
  const numHeads = options.heads ?? Math.max(1, Math.round(embedDim / 64));
  if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
    throw new CheckpointError(file, `${numHeads} attention heads do not divide the width ${embedDim}; pass --heads`);
  }

  const fc1 = get('blocks_a.0.mlp.fc1.weight');
  const mlpHidden = fc1.shape[0]!;

  if (MEL_BINS % patchSize !== 0) {
    throw new CheckpointError(file, `patch size ${patchSize} does not divide the ${MEL_BINS} mel bins`);
  }
  const posA = get('pos_embed_a');
  const audioTokens = posA.shape[1] ?? 0;
  const audioRows = MEL_BINS / patchSize;
  if (posA.shape.length !== 3 || audioTokens % audioRows !== 0 || audioTokens === 0) {
    throw new CheckpointError(file, `pos_embed_a has shape ${shapeToString(posA.shape)}: not a grid of ${audioRows} frequency bands`);
  }
  const audioCols = audioTokens / audioRows;

  const posV = get('pos_embed_v');
  const visualTokens = posV.shape[1] ?? 0;
  const side = Math.round(Math.sqrt(visualTokens));
  if (posV.shape.length !== 3 || side * side !== visualTokens || side === 0) {
    throw new CheckpointError(file, `pos_embed_v has shape ${shapeToString(posV.shape)}: not a square grid of patches`);
  }

  const audioDepth = countBlocks(sd.keys(), 'blocks_a');
  const visualDepth = countBlocks(sd.keys(), 'blocks_v');
  const jointDepth = countBlocks(sd.keys(), 'blocks_u');
  if (audioDepth <= 0 || visualDepth <= 0 || jointDepth <= 0) {
    throw new CheckpointError(
      file,
      `not a ${title} checkpoint: needs audio, visual and joint blocks numbered from 0 (found ${audioDepth}, ${visualDepth}, ${jointDepth})`,
    );
  }

  const head = sd.get('mlp_head.1.weight');
  const numClasses = head === undefined ? null : (head.shape[0] ?? 0);

  return {
    embedDim,
    numHeads,
    mlpHidden,
    patchSize,
    audioDepth,
    visualDepth,
    jointDepth,
    melBins: MEL_BINS,
    audioFrames: audioCols * patchSize,
    audioGrid: [audioRows, audioCols],
    imageSize: side * patchSize,
    visualGrid: [side, side],
    numClasses,
    kind: numClasses === null ? 'pretrained' : 'finetuned',
    layerNormEps: LAYER_NORM_EPS,
  };
}

/** Every tensor of `sd` is one of `expected`, with that shape, and none is missing. */
export function checkShapes(file: string, sd: StateDict, expected: ReadonlyArray<readonly [string, readonly number[]]>, title: string): void {
  const names = new Set<string>();
  for (const [key, shape] of expected) {
    names.add(key);
    const t = sd.get(key);
    if (t === undefined) throw new CheckpointError(file, `not a ${title} checkpoint: missing tensor ${key}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(file, `tensor ${key} has shape ${shapeToString(t.shape)}, expected ${shapeToString(shape)}`);
    }
  }
  for (const key of sd.keys()) {
    if (!names.has(key)) throw new CheckpointError(file, `not a ${title} checkpoint: unexpected tensor ${key}`);
  }
}

/** The state dict without the pretraining decoder, which inference never touches. */
export function encoderStateDict(sd: StateDict): StateDict {
  const out: StateDict = new Map();
  for (const [k, v] of sd) if (!isDecoderKey(k)) out.set(k, v);
  return out;
}
