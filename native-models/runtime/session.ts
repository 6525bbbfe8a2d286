// One ONNX Runtime session per graph file, created once and reused (creation of a full-size graph
// takes seconds: it parses ~340 MB and optimises the graph).
import * as ort from 'onnxruntime-node';
import { chooseProvider } from './providers.ts';
import type { ProviderChoice } from './providers.ts';
import type { ProviderName } from '../../base/types.ts';

export interface SessionOptions {
  readonly provider?: ProviderName | 'auto';
  /** Intra-op threads; undefined lets ORT use one per physical core. */
  readonly threads?: number;
  /**
   * false: idle intra-op threads sleep instead of spinning between parallel sections (ORT's
   * session.intra_op.allow_spinning), leaving the core to work beside them (ffmpeg, fbank).
   */
  readonly spinning?: boolean;
}

export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ProviderName;
  readonly choice: ProviderChoice;
  /** Wall-clock milliseconds spent creating the session (parse + optimise). */
  readonly createMs: number;
}

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<LoadedSession> {
  const choice = await chooseProvider(options.provider ?? 'auto');
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [choice.provider],
    graphOptimizationLevel: 'all',
    // Inter-op parallelism helps only graphs with independent branches; ours is a single chain.
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  };
  if (options.threads !== undefined) sessionOptions.intraOpNumThreads = options.threads;
  if (options.spinning === false) sessionOptions.extra = { session: { intra_op: { allow_spinning: '0' } } };
  const start = performance.now();
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions)
      : await ort.InferenceSession.create(model, sessionOptions);
  return { session, provider: choice.provider, choice, createMs: performance.now() - start };
}
