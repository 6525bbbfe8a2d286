// Positioned reads, so a 700 MB checkpoint is never held in one buffer: tensors are read one at a time.
import { open, type FileHandle } from 'node:fs/promises';
import { CheckpointError } from '../../base/errors.ts';

export interface RandomAccessFile {
  readonly path: string;
  readonly size: number;
  /** Exactly `length` bytes at `position`; a range past the end is a truncated file. */
  read(position: number, length: number, what: string): Promise<Buffer>;
  /** Fills `target` from `position`. */
  readInto(target: Uint8Array, position: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function openRandomAccess(path: string): Promise<RandomAccessFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CheckpointError(path, `cannot open: ${errorText(err)}`, err);
  }
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CheckpointError(path, 'not a regular file');
    size = stat.size;
  } catch (err) {
    await handle.close().catch(() => undefined);
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(path, `cannot stat: ${errorText(err)}`, err);
  }

  const readInto = async (target: Uint8Array, position: number, what: string): Promise<void> => {
    if (!Number.isSafeInteger(position) || position < 0 || position + target.length > size) {
      throw new CheckpointError(path, `${what} lies outside the file (bytes ${position}..${position + target.length} ` +
        `of ${size}); the file is truncated or corrupt`);
    }
    let done = 0;
    while (done < target.length) {
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(target, done, target.length - done, position + done));
      } catch (err) {
        throw new CheckpointError(path, `cannot read ${what}: ${errorText(err)}`, err);
      }
      if (n === 0) throw new CheckpointError(path, `unexpected end of file while reading ${what}`);
      done += n;
    }
  };

  return {
    path,
    size,
    readInto,
    async read(position, length, what) {
      if (!Number.isSafeInteger(length) || length < 0 || length > size) {
        throw new CheckpointError(path, `${what} claims ${length} bytes but the file has ${size}`);
      }
      const buf = Buffer.allocUnsafe(length);
      await readInto(buf, position, what);
      return buf;
    },
    async close() {
      await handle.close().catch(() => undefined);
    },
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
