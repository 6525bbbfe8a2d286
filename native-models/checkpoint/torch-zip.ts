// torch.save's zip layout: `<archive>/data.pkl` (the pickled state dict), `<archive>/data/<key>` (one raw storage
// per key), `<archive>/version`, and since torch 2.x `<archive>/byteorder`. The archive folder is named after the
// file torch.save was given, so it is found, not assumed.
import { CheckpointError } from '../../base/errors.ts';
import type { RandomAccessFile } from './file.ts';
import { unpickle } from './pickle.ts';
import type { PickleValue, StorageRef, TensorRef } from './pickle-values.ts';
import { gather, isFloatDType, ITEM_SIZE, readFloats, viewSpan } from './tensor-data.ts';
import type { TensorSource } from './tensor-source.ts';
import { openZip, type ZipArchive } from './zip.ts';

// A 650-tensor CAV-MAE data.pkl is ~80 KB.
const MAX_PICKLE_BYTES = 16 * 1024 * 1024;
// Views with stride 0 (expand) may show more elements than their storage holds; allow that only while small.
const MAX_BROADCAST_NUMEL = 1 << 24;

export interface TorchZip {
  /** The unpickled top-level object. */
  readonly root: PickleValue;
  /** Validates a tensor reference against the archive; its `read()` materialises it. */
  source(name: string, ref: TensorRef): TensorSource;
  close(): void;
}

export async function openTorchZip(file: RandomAccessFile): Promise<TorchZip> {
  const fail = (message: string): CheckpointError => new CheckpointError(file.path, message);
  const zip = await openZip(file);
  try {
    const prefix = findArchivePrefix(zip, fail);
    const byteorder = zip.members.get(`${prefix}byteorder`);
    if (byteorder !== undefined) {
      const order = (await zip.readWhole(byteorder.name, 16)).toString('latin1').trim();
      if (order !== 'little') throw fail(`tensors are stored ${order.replace(/[^a-z]/g, '?')}-endian; only little-endian is supported`);
    }
    const pickle = await zip.readWhole(`${prefix}data.pkl`, MAX_PICKLE_BYTES);
    const root = unpickle(pickle, (message) => fail(`${prefix}data.pkl: ${message}`));
    return { root, source: tensorSources(zip, prefix, fail), close: () => zip.close() };
  } catch (err) {
    zip.close();
    throw err;
  }
}

function findArchivePrefix(zip: ZipArchive, fail: (m: string) => CheckpointError): string {
  const pickles = [...zip.members.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length > 1) throw fail(`the archive holds ${pickles.length} data.pkl files`);
  const found = pickles[0];
  if (found === undefined) {
    const torchScript = [...zip.members.keys()].some((n) => /^[^/]+\/constants\.pkl$/.test(n));
    throw fail(torchScript
      ? 'this is a TorchScript archive (torch.jit.save), not a state dict saved with torch.save'
      : 'zip archive has no <archive>/data.pkl entry, so it is not a torch.save checkpoint');
  }
  return found.slice(0, -'data.pkl'.length);
}

function tensorSources(zip: ZipArchive, prefix: string, fail: (m: string) => CheckpointError) {
  // One storage may back several views; they must all agree on what it is.
  const storages = new Map<string, StorageRef>();
  return (name: string, ref: TensorRef): TensorSource => {
    const { storage } = ref;
    const what = `tensor ${name}`;
    if (!isFloatDType(storage.dtype)) {
      throw fail(`${what} has dtype ${storage.dtype}; only float32, float16, bfloat16 and float64 can be read`);
    }
    const seen = storages.get(storage.key);
    if (seen !== undefined && (seen.dtype !== storage.dtype || seen.numel !== storage.numel)) {
      throw fail(`storage ${storage.key} is described inconsistently by different tensors`);
    }
    storages.set(storage.key, storage);
    const entryName = `${prefix}data/${storage.key}`;
    const entry = zip.members.get(entryName);
    if (entry === undefined) throw fail(`${what}: storage entry ${entryName} is missing`);
    const itemSize = ITEM_SIZE[storage.dtype];
    if (entry.size !== storage.numel * itemSize) {
      throw fail(`${what}: ${entryName} is ${entry.size} bytes but should hold ${storage.numel} ${storage.dtype} values`);
    }
    const span = viewSpan(ref.shape, ref.stride, ref.storageOffset, storage.numel,
      Math.max(storage.numel, MAX_BROADCAST_NUMEL));
    if (typeof span === 'string') throw fail(`${what} ${span}`);
    const dtype = storage.dtype;
    return {
      name,
      shape: ref.shape,
      dtype,
      byteLength: span.count * itemSize,
      async read() {
        const raw = await readFloats(dtype, span.count, (target) =>
          zip.readRangeInto(entryName, span.first * itemSize, target));
        const data = span.contiguous ? raw : gather(raw, ref.shape, ref.stride, span.numel);
        return { shape: ref.shape, data };
      },
    };
  };
}
