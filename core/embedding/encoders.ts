// The encoder cache: one encoder (and so one set of ONNX Runtime sessions) per model and session
// options for the life of the process, so a query, an index run and class scoring share sessions.
import { Encoder } from '../../native-models/runtime/encoder.ts';
import type { EncoderOptions } from '../../native-models/runtime/encoder.ts';
import type { InstalledModel } from '../models/store.ts';

const encoders = new Map<string, Encoder>();

export function encoderFor(model: InstalledModel, options: EncoderOptions = {}): Encoder {
  const key = `${model.dir}|${options.provider ?? 'auto'}|${options.threads ?? ''}|${options.thread === true ? 'thread' : ''}|${options.background === true ? 'background' : ''}|${options.spinning === false ? 'nospin' : ''}|${options.lanes ?? 1}`;
  let e = encoders.get(key);
  if (e === undefined) {
    e = new Encoder(model.dir, model.manifest.config, options);
    encoders.set(key, e);
  }
  return e;
}

export async function releaseEncoders(): Promise<void> {
  const all = [...encoders.values()];
  encoders.clear();
  for (const e of all) await e.release();
}

/**
 * Releases one encoder and drops it from the cache (a later encoderFor creates it afresh). For work
 * that uses its own encoder for a while and then not again soon: an index run in a long-lived server,
 * whose inference thread and sessions would otherwise stay resident for the life of the process.
 */
export async function releaseEncoder(encoder: Encoder): Promise<void> {
  for (const [key, e] of encoders) if (e === encoder) encoders.delete(key);
  await encoder.release();
}

/** Encoders held in the cache now (tests: what a finished job leaves resident). */
export function cachedEncoderCount(): number {
  return encoders.size;
}
