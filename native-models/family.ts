// What a model family (CAV-MAE, and next CAV-MAE Sync) provides, so the converter and the runtime
// need no knowledge of any one family: how to recognise its checkpoints, read its configuration off
// the tensors, build its graphs, and turn samples and pictures into its inputs. Each family lives in
// its own folder and configures the shared graph layers (onnx/) and the shared DSP (preprocess/).
import type { Modality } from '../base/types.ts';
import type { TensorSource } from './checkpoint/index.ts';
import type { BuiltModel } from './onnx/builder.ts';
import type { GraphOptions } from './onnx/layers.ts';
import type { RgbImage } from './preprocess/resample.ts';
import type { StateDict } from './tensor.ts';

/** The graph files a converted model may hold (a family builds a subset). */
export type GraphName = 'audio' | 'visual' | 'joint' | 'head';

/** What every family's configuration says; the rest is the family's own. */
export interface FamilyConfig {
  /** The family's name. Absent for CAV-MAE, whose manifests predate families (and whose bytes must not change). */
  readonly family?: string;
  /** Width of the embeddings and tokens. */
  readonly embedDim: number;
  /** Classifier classes of a fine-tuned checkpoint, null for a pretrained one. */
  readonly numClasses: number | null;
  readonly kind: 'pretrained' | 'finetuned';
}

/** Optional encoder outputs beyond the embedding. */
export type EncoderExtra = 'tokens' | 'pooled' | 'hidden';

/** Names the audio and visual graphs are fed and fetched by. */
export interface EncoderGraphIO {
  readonly input: Readonly<Record<Modality, string>>;
  /** The L2-normalised embedding. */
  readonly embedding: string;
  /** The extras this family's encoders produce. */
  readonly extras: Readonly<Partial<Record<EncoderExtra, string>>>;
}

/** A tensor as seen before it is read: enough to recognise a family without loading weights. */
export type TensorInfo = Pick<TensorSource, 'name' | 'shape'>;

/**
 * Families whose embeddings are per video frame (CAV-MAE Sync): a clip of `clipSeconds` is seen as
 * `framesPerClip` frames, frame k's picture at k·clipSeconds/framesPerClip from the clip start, each
 * paired with its own stretch of sound. Such a family embeds one (sound, picture) pair per frame.
 */
export interface FrameLevel {
  readonly framesPerClip: number;
  /** The span the frames divide: 10.24 s for Sync (1,024 fbank rows of 10 ms). */
  readonly clipSeconds: number;
  /** The frame a lone sound is embedded as when no frame is named (`foley embed --frame`). */
  readonly defaultFrame: number;
  /** Seconds of sound frame k's audio input covers, from the clip start: [start, end). */
  soundSpan(frame: number): readonly [start: number, end: number];
}

export interface InferOptions {
  /** Attention heads, when the width alone does not say (small test checkpoints). */
  readonly heads?: number;
}

// Methods (not function-valued properties) so that a ModelFamily<CavMaeConfig> is usable where the
// registry holds ModelFamily<FamilyConfig>: the registry only pairs a family with its own configs.
export interface ModelFamily<C extends FamilyConfig = FamilyConfig> {
  /** Stored as `config.family` (except for CAV-MAE, the default). */
  readonly name: string;
  /** For messages: 'CAV-MAE'. */
  readonly title: string;
  readonly encoderIO: EncoderGraphIO;
  /**
   * Why a checkpoint's tensors are not this family's (a sentence naming the first offending tensor),
   * or undefined when they are. Families' tensor vocabularies are disjoint, so at most one says yes.
   */
  mismatch(tensors: readonly TensorInfo[]): string | undefined;
  /** Tensors inference never reads (a pretraining decoder): skipped without being read. */
  isUnused(name: string): boolean;
  /** Reads the configuration off the (used) tensors and checks every tensor against it. */
  inferConfig(file: string, sd: StateDict, options: InferOptions): C;
  /** The graphs a conversion writes for this configuration, in order. */
  graphNames(config: C): readonly GraphName[];
  buildGraph(name: GraphName, sd: StateDict, config: C, options: GraphOptions): BuiltModel;
  /** Per-item input dimensions of the audio or visual graph (without the batch axis). */
  inputShape(stream: Modality, config: C): readonly number[];
  /**
   * The grid of the encoder's `tokens` output for a stream, [rows, cols] row-major (token index
   * row·cols + col). Audio rows are frequency bands (row 0 the lowest mel bins), cols time steps;
   * visual rows run top to bottom. Localisation maps take this shape.
   */
  tokenGrid(stream: Modality, config: C): readonly [rows: number, cols: number];
  /** 16 kHz mono samples → one item of the audio graph's input (a frame-level family's default frame). */
  audioInput(samples: Float32Array, config: C): Float32Array;
  /** Frame-level families only: how a clip is divided into frames. */
  frameLevel?(config: C): FrameLevel;
  /** Frame-level families only: one clip's samples → the audio inputs of the given frames (one fbank). */
  frameAudioInputs?(samples: Float32Array, config: C, frames: readonly number[]): Float32Array[];
  /** RGB picture of any size → one item of the visual graph's input. */
  imageInput(rgb: RgbImage, config: C): Float32Array;
}
