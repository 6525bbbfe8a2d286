// Runs a converted CAV-MAE model: audio windows and image tensors in, L2-normalised embeddings out.
// Sessions are created lazily (only the streams a caller uses) and then kept for the process.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { CavMaeConfig } from '../cavmae/config.ts';
import type { Stream } from '../onnx/cavmae-graphs.ts';
import { createSession } from './session.ts';
import type { LoadedSession, SessionOptions } from './session.ts';
import type { ProviderName } from '../../base/types.ts';

export interface EncoderOutput {
  /** [count, D] L2-normalised embeddings, row-major. */
  readonly embeddings: Float32Array;
  /** [count, N, D] final tokens (after norm_a / norm_v), when asked for. */
  readonly tokens?: Float32Array;
  /** [count, D] mean of the tokens before normalisation (the classifier head's input). */
  readonly pooled?: Float32Array;
  /** [count, N, D] tokens before the joint block (input to the fused classifier path). */
  readonly hidden?: Float32Array;
}

export type EncoderExtra = 'tokens' | 'pooled' | 'hidden';

export class CavMaeEncoder {
  readonly config: CavMaeConfig;
  private readonly dir: string;
  private readonly options: SessionOptions;
  private readonly sessions = new Map<string, Promise<LoadedSession>>();

  constructor(dir: string, config: CavMaeConfig, options: SessionOptions = {}) {
    this.dir = dir;
    this.config = config;
    this.options = options;
  }

  /** Session for a graph file in the model folder (audio, visual, joint, head). */
  session(graph: string): Promise<LoadedSession> {
    let s = this.sessions.get(graph);
    if (s === undefined) {
      s = createSession(path.join(this.dir, `${graph}.onnx`), this.options);
      // A failed creation must not stay cached, or one bad call poisons the process.
      s.catch(() => this.sessions.delete(graph));
      this.sessions.set(graph, s);
    }
    return s;
  }

  async provider(stream: Stream): Promise<ProviderName> {
    return (await this.session(stream)).provider;
  }

  /** Per-item input size: audio [T, 128], visual [3, S, S]. */
  inputSize(stream: Stream): number {
    const c = this.config;
    return stream === 'audio' ? c.audioFrames * c.melBins : 3 * c.imageSize * c.imageSize;
  }

  async encode(stream: Stream, batch: Float32Array, extras: readonly EncoderExtra[] = []): Promise<EncoderOutput> {
    const size = this.inputSize(stream);
    if (batch.length === 0 || batch.length % size !== 0) {
      throw new Error(`${stream} batch has ${batch.length} values, not a multiple of ${size}`);
    }
    const count = batch.length / size;
    const c = this.config;
    const dims = stream === 'audio' ? [count, c.audioFrames, c.melBins] : [count, 3, c.imageSize, c.imageSize];
    const { session } = await this.session(stream);
    const fetches = ['embedding', ...extras];
    const out = await session.run({ [stream]: new ort.Tensor('float32', batch, dims) }, fetches);
    const get = (name: string): Float32Array => out[name]!.data as Float32Array;
    return {
      embeddings: get('embedding'),
      ...(extras.includes('tokens') ? { tokens: get('tokens') } : {}),
      ...(extras.includes('pooled') ? { pooled: get('pooled') } : {}),
      ...(extras.includes('hidden') ? { hidden: get('hidden') } : {}),
    };
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).session.release();
  }
}
