// Content fingerprint that survives renames and moves (rclip's idea): SHA-256 of the size, the first
// MiB and the last KiB. Reading 1 MiB instead of a whole multi-GB video keeps rescans fast, and video
// containers put enough unique data (headers, first GOP) in that first MiB to tell files apart.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const HEAD = 1 << 20;
const TAIL = 1 << 10;

export async function fingerprintFile(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const hash = createHash('sha256');
    hash.update(`${size}:`);
    const head = Buffer.alloc(Math.min(HEAD, size));
    await fh.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > HEAD) {
      const tail = Buffer.alloc(Math.min(TAIL, size - HEAD));
      await fh.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}
