// Shared by the checkpoint tests: fixture paths, exact comparison against the generator's expected bits,
// a tiny STORED zip writer for hand-made archives, and the "safe failure" contract every malformed file must meet.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CheckpointError } from '../../base/errors.ts';
import { numel, type StateDict } from '../../native-models/tensor.ts';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'checkpoints');
export const fixture = (name: string): string => join(FIXTURES, name);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'foley-ckpt-'));
}

interface Expected {
  tensors: Array<{ name: string; shape: number[]; bits: number[] }>;
}

export function assertMatchesExpected(sd: StateDict, expectedName: string): void {
  const expected = JSON.parse(readFileSync(fixture(`${expectedName}.expected.json`), 'utf8')) as Expected;
  assert.deepEqual([...sd.keys()], expected.tensors.map((t) => t.name));
  for (const t of expected.tensors) {
    const got = sd.get(t.name)!;
    assert.deepEqual(got.shape, t.shape, `shape of ${t.name}`);
    assert.deepEqual([...new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length)], t.bits, `bits of ${t.name}`);
  }
}

/** The contract for hostile or broken input: a well-formed state dict, or a CheckpointError about this file. */
export async function assertSafeOutcome(read: Promise<StateDict>, file: string): Promise<'ok' | 'refused'> {
  try {
    const sd = await read;
    assert.ok(sd.size > 0);
    for (const t of sd.values()) assert.equal(t.data.length, numel(t.shape));
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.doesNotMatch(err.message, /internal error/);
    return 'refused';
  }
}

export async function assertRefused(read: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(read, (err: unknown) => {
    assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

/** A STORED zip with the given entries, laid out like torch.save's (no alignment padding, which readers ignore). */
export function storedZip(entries: ReadonlyArray<readonly [string, Uint8Array]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A torch-layout archive around a hand-written data.pkl (and optional storages). */
export function torchZip(pickle: Uint8Array, storages: ReadonlyArray<readonly [string, Uint8Array]> = []): Buffer {
  return storedZip([
    ['archive/data.pkl', pickle],
    ...storages.map(([key, bytes]) => [`archive/data/${key}`, bytes] as const),
    ['archive/version', Buffer.from('3\n')],
  ]);
}

export interface EntryLocation {
  dataStart: number;
  size: number;
  localHeader: number;
  centralHeader: number;
}

/** Finds an entry in a zip without the code under test, so fuzzers can aim at it. */
export function locateEntry(zip: Buffer, name: string): EntryLocation {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    const n = zip.readUInt16LE(p + 28);
    const entryName = zip.toString('utf8', p + 46, p + 46 + n);
    if (entryName === name) {
      const local = zip.readUInt32LE(p + 42);
      const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      return { dataStart, size: zip.readUInt32LE(p + 24), localHeader: local, centralHeader: p };
    }
    p += 46 + n + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  throw new Error(`no entry ${name}`);
}

/** Rewrites an entry's CRC in both headers, so a mutated entry reaches the parser instead of the CRC check. */
export function fixCrc(zip: Buffer, at: EntryLocation): void {
  const crc = crc32(zip.subarray(at.dataStart, at.dataStart + at.size));
  zip.writeUInt32LE(crc, at.localHeader + 14);
  zip.writeUInt32LE(crc, at.centralHeader + 16);
}

/** Deterministic PRNG (mulberry32, the one training uses), so every fuzz failure can be replayed. */
export { rng } from '../../core/learning/training/math.ts';
