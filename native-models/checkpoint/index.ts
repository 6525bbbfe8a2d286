// Reads a checkpoint into float32 tensors without trusting it: torch.save zip archives through a restricted
// unpickler, safetensors through its JSON header. The format is taken from the file's first bytes.
import { CheckpointError } from '../../base/errors.ts';
import type { StateDict } from '../tensor.ts';
import { openRandomAccess, type RandomAccessFile } from './file.ts';
import { describeForeignFormat, sniffFormat, SNIFF_BYTES } from './sniff.ts';
import { readSafetensorsIndex } from './safetensors.ts';
import { finalNames, selectTensors } from './state-dict.ts';
import type { TensorSource } from './tensor-source.ts';
import { openTorchZip } from './torch-zip.ts';

export type { TensorSource } from './tensor-source.ts';
export type { FloatDType } from './tensor-data.ts';

export interface Checkpoint {
  readonly file: string;
  readonly format: 'torch-zip' | 'safetensors';
  /** In file order, `module.` already stripped; nothing is read until `read()`. */
  readonly tensors: readonly TensorSource[];
  /** Sum of the tensors' `byteLength`. */
  readonly totalBytes: number;
  close(): Promise<void>;
}

export interface ReadOptions {
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Opens and validates a checkpoint's structure; tensors are then read one at a time, so a caller that needs
 * only some of them (the encoder, not the decoder) never holds the rest. Close it when done.
 */
export async function openCheckpoint(file: string): Promise<Checkpoint> {
  const source = await openRandomAccess(file);
  try {
    return await guard(file, () => openOpened(source));
  } catch (err) {
    await source.close();
    throw err;
  }
}

/** Every tensor of a checkpoint, in file order, keys without `module.`. */
export async function readStateDict(file: string, options: ReadOptions = {}): Promise<StateDict> {
  const checkpoint = await openCheckpoint(file);
  try {
    return await guard(file, async () => {
      const out: StateDict = new Map();
      let done = 0;
      options.onProgress?.(0, checkpoint.totalBytes);
      for (const t of checkpoint.tensors) {
        out.set(t.name, await t.read());
        done += t.byteLength;
        options.onProgress?.(done, checkpoint.totalBytes);
      }
      return out;
    });
  } finally {
    await checkpoint.close();
  }
}

async function openOpened(source: RandomAccessFile): Promise<Checkpoint> {
  const fail = (message: string): CheckpointError => new CheckpointError(source.path, message);
  if (source.size === 0) throw fail('file is empty');
  const format = sniffFormat(await source.read(0, Math.min(SNIFF_BYTES, source.size), 'file header'));
  let tensors: TensorSource[];
  let closeFormat = (): void => undefined;
  if (format === 'torch-zip') {
    const archive = await openTorchZip(source);
    closeFormat = () => archive.close();
    try {
      tensors = finalNames(selectTensors(archive.root, fail), fail).map(([name, ref]) => archive.source(name, ref));
    } catch (err) {
      archive.close();
      throw err;
    }
  } else if (format === 'safetensors') {
    tensors = finalNames((await readSafetensorsIndex(source)).map((t) => [t.name, t] as const), fail)
      .map(([name, t]) => (name === t.name ? t : { ...t, name, read: () => t.read() }));
  } else {
    throw fail(describeForeignFormat(format));
  }
  return {
    file: source.path,
    format,
    tensors,
    totalBytes: tensors.reduce((n, t) => n + t.byteLength, 0),
    async close() {
      closeFormat();
      await source.close();
    },
  };
}

// Every refusal is a CheckpointError naming the file. Anything else escaping is a bug here, but the user
// should still get one line about their file, not a crash; the wording lets tests tell the two apart.
async function guard<T>(file: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new CheckpointError(file, `internal error while reading the checkpoint (${detail})`, err);
  }
}
