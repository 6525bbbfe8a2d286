// The encoder cache: one encoder (and so one set of ONNX Runtime sessions) per model and session
// options for the life of the process, so a query, an index run and class scoring share sessions.
import { Encoder } from '../../native-models/runtime/encoder.ts';
import type { EncoderOptions } from '../../native-models/runtime/encoder.ts';
import type { InstalledModel } from '../models/store.ts';

const encoders = new Map<string, Encoder>();

export function encoderFor(model: InstalledModel, options: EncoderOptions = {}): Encoder {
  const key = `${model.dir}|${options.provider ?? 'auto'}|${options.threads ?? ''}|${options.thread === true ? 'thread' : ''}|${options.background === true ? 'background' : ''}`;
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
