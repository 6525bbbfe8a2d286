// Runs a converted model of any family: samples and pictures become the family's inputs, audio and
// visual batches become L2-normalised embeddings. Sessions are created lazily (only the streams a
// caller uses) and then kept for the process.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Modality, ProviderName } from '../../base/types.ts';
import type { EncoderExtra, FrameLevel, ModelFamily } from '../family.ts';
import type { RgbImage } from '../preprocess/resample.ts';
import { familyOfConfig } from '../registry.ts';
import type { ModelConfig } from '../registry.ts';
import { createSession } from './session.ts';
import type { LoadedSession, SessionOptions } from './session.ts';
import { WorkerSessions } from './worker-sessions.ts';
import { interactiveCounter } from '../../base/interactive.ts';

export interface EncoderOptions extends SessionOptions {
  /**
   * Run encode() on an inference thread (worker-sessions.ts) so the caller's thread keeps working
   * meanwhile — indexing decodes the next windows there. session() stays on the caller's thread.
   */
  readonly thread?: boolean;
  /**
   * With `thread`: background work that lets interactive work go first — each call waits on the
   * thread while base/interactive.ts counts interactive work running.
   */
  readonly background?: boolean;
  /**
   * With `thread`: this many inference threads, each with its own sessions (and `threads` intra-op
   * threads), each call going to the one with the fewest calls queued. Why: on a busy machine an intra-op
   * pool's caller spins while it waits for a preempted pool thread, so with ffmpeg and the fbank on the
   * same 2 cores two single-threaded lanes did the work of one two-threaded session in ≈0.75× the CPU
   * (370 against 480–500 ms per pair, full-size int8 beside one busy core: 1.3–1.4× the pairs/s). The
   * cost: each lane holds its own weights and activations (core/embedding/tune.ts chooses by measurement).
   */
  readonly lanes?: number;
}

export interface EncoderOutput {
  /** [count, D] L2-normalised embeddings, row-major. */
  readonly embeddings: Float32Array;
  /** [count, N, D] final tokens (after norm_a / norm_v), when asked for. */
  readonly tokens?: Float32Array;
  /** [count, D] mean of the tokens before normalisation (the classifier head's input). */
  readonly pooled?: Float32Array;
  /** [count, N, D] tokens before the joint block (input to the fused classifier path). */
  readonly hidden?: Float32Array;
  /** Milliseconds ONNX Runtime spent on this call (queueing on the inference thread excluded). */
  readonly runMs: number;
}

export class Encoder {
  readonly config: ModelConfig;
  /** Named by the config; a config without a family (every manifest so far) is CAV-MAE. */
  readonly family: ModelFamily<ModelConfig>;
  private readonly dir: string;
  private readonly options: SessionOptions;
  private readonly sessions = new Map<string, Promise<LoadedSession>>();
  /** The inference threads (none without `thread`). */
  private threads: WorkerSessions[] = [];

  constructor(dir: string, config: ModelConfig, options: EncoderOptions = {}) {
    this.dir = dir;
    this.config = config;
    this.family = familyOfConfig(config);
    const { thread, background, lanes, ...session } = options;
    this.options = session;
    if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1)) throw new RangeError(`lanes must be a positive integer, not ${lanes}`);
    if (thread === true) {
      const yieldTo = background === true ? interactiveCounter() : undefined;
      this.threads = Array.from({ length: lanes ?? 1 }, () => new WorkerSessions(session, yieldTo));
    }
  }

  /** Inference threads that run calls side by side (1 on the caller's thread). */
  get lanes(): number {
    return Math.max(1, this.threads.length);
  }

  /** The inference thread with the fewest calls queued or running (the first of equals). */
  private lane(): WorkerSessions | undefined {
    return this.threads.reduce<WorkerSessions | undefined>((best, t) => (best === undefined || t.pending < best.pending ? t : best), undefined);
  }

  private graphFile(graph: string): string {
    return path.join(this.dir, `${graph}.onnx`);
  }

  /** Session for a graph file in the model folder (audio, visual, joint, head). */
  session(graph: string): Promise<LoadedSession> {
    let s = this.sessions.get(graph);
    if (s === undefined) {
      s = createSession(this.graphFile(graph), this.options);
      // A failed creation must not stay cached, or one bad call poisons the process.
      s.catch(() => this.sessions.delete(graph));
      this.sessions.set(graph, s);
    }
    return s;
  }

  async provider(stream: Modality): Promise<ProviderName> {
    // Every lane opens its session (in parallel, on its own thread); they run on the same provider.
    if (this.threads.length > 0) return (await Promise.all(this.threads.map((t) => t.open(this.graphFile(stream)))))[0]!;
    return (await this.session(stream)).provider;
  }

  /** 16 kHz mono samples → one item of the audio input, as this model's family prepares it. */
  audioInput(samples: Float32Array): Float32Array {
    return this.family.audioInput(samples, this.config);
  }

  /** How a frame-level model (Sync) divides a clip into frames; undefined for one pair per window. */
  frameLevel(): FrameLevel | undefined {
    return this.family.frameLevel?.(this.config);
  }

  /** A frame-level model's audio inputs for the given frames of one clip's samples (one fbank). */
  frameAudioInputs(samples: Float32Array, frames: readonly number[]): Float32Array[] {
    const inputs = this.family.frameAudioInputs?.(samples, this.config, frames);
    if (inputs === undefined) throw new Error(`${this.family.title} embeds whole windows, not frames`);
    return inputs;
  }

  /** RGB picture of any size → one item of the visual input, as this model's family prepares it. */
  imageInput(rgb: RgbImage): Float32Array {
    return this.family.imageInput(rgb, this.config);
  }

  /** Per-item input size (CAV-MAE: audio [T, 128], visual [3, S, S]). */
  inputSize(stream: Modality): number {
    return this.family.inputShape(stream, this.config).reduce((a, b) => a * b, 1);
  }

  async encode(stream: Modality, batch: Float32Array, extras: readonly EncoderExtra[] = []): Promise<EncoderOutput> {
    const size = this.inputSize(stream);
    if (batch.length === 0 || batch.length % size !== 0) {
      throw new Error(`${stream} batch has ${batch.length} values, not a multiple of ${size}`);
    }
    const count = batch.length / size;
    const io = this.family.encoderIO;
    const outputName = (extra: EncoderExtra): string => {
      const name = io.extras[extra];
      if (name === undefined) throw new Error(`${this.family.title} encoders have no ${extra} output`);
      return name;
    };
    const fetches = [io.embedding, ...extras.map(outputName)];
    const dims = [count, ...this.family.inputShape(stream, this.config)];
    let get: (name: string) => Float32Array;
    let runMs: number;
    const lane = this.lane();
    if (lane !== undefined) {
      // A copy travels (transferred), so the caller's array stays usable.
      const ran = await lane.run(this.graphFile(stream), { [io.input[stream]]: { data: batch.slice(), dims } }, fetches);
      get = (name) => ran.outputs[name]!.data;
      runMs = ran.runMs;
    } else {
      const { session } = await this.session(stream);
      const started = performance.now();
      const out = await session.run({ [io.input[stream]]: new ort.Tensor('float32', batch, dims) }, fetches);
      runMs = performance.now() - started;
      get = (name) => out[name]!.data as Float32Array;
    }
    const result: { -readonly [K in keyof EncoderOutput]: EncoderOutput[K] } = { embeddings: get(io.embedding), runMs };
    for (const extra of extras) result[extra] = get(outputName(extra));
    return result;
  }

  async release(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((t) => t.close()));
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).session.release();
  }
}
