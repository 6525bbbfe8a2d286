// The PyTorch zip container: torch.save writes every entry STORED (uncompressed, 64-byte aligned), so a tensor's
// bytes can be read in place at a known file offset. yauzl parses the directories; the data itself is read with
// positioned reads, never through a stream of the whole archive.
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { CheckpointError } from '../../base/errors.ts';
import { errorText, type RandomAccessFile } from './file.ts';
import { describeForeignFormat, sniffFormat, SNIFF_BYTES } from './sniff.ts';

// A CAV-MAE checkpoint has ~650 entries; this only stops a hostile directory from claiming millions.
const MAX_ENTRIES = 200_000;

export interface ZipMember {
  readonly name: string;
  readonly size: number;
}

export interface ZipArchive {
  /** Entry names in central-directory order. */
  readonly members: ReadonlyMap<string, ZipMember>;
  /** The whole entry, CRC-checked: for the small metadata entries (data.pkl, byteorder). */
  readWhole(name: string, maxBytes: number): Promise<Buffer>;
  /** Fills `target` from `offset` inside an entry: for tensor data, where only the viewed span is needed. */
  readRangeInto(name: string, offset: number, target: Uint8Array): Promise<void>;
  close(): void;
}

// @types/yauzl (2.10) predates readLocalFileHeader; this is the slice of yauzl 3's API used here.
interface LocalFileHeader {
  fileDataStart: number;
  compressionMethod: number;
  generalPurposeBitFlag: number;
}
type ReadLocalFileHeader = (entry: Entry, options: null, cb: (err: Error | null, header: LocalFileHeader) => void) => void;

export async function openZip(file: RandomAccessFile): Promise<ZipArchive> {
  const fail = (message: string, cause?: unknown): CheckpointError => new CheckpointError(file.path, message, cause);
  if (file.size === 0) throw fail('file is empty');
  const head = await file.read(0, Math.min(SNIFF_BYTES, file.size), 'file header');
  const format = sniffFormat(head);
  if (format !== 'torch-zip') throw fail(describeForeignFormat(format));

  // yauzl gets a descriptor of its own: its close() always closes the fd it reads through (even with
  // autoClose: false), and closing ours behind our FileHandle's back would free a number the next open() reuses.
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    yauzl.open(file.path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zf) => {
      if (err !== null) reject(fail(`not a readable zip archive: ${err.message}`, err));
      else resolve(zf);
    });
  });
  // A late error with no listener would crash the process; nextEntry's own listener still sees every error.
  zip.on('error', () => undefined);
  const readHeader = (zip as unknown as { readLocalFileHeader?: unknown }).readLocalFileHeader;
  if (typeof readHeader !== 'function') {
    zip.close();
    throw fail('the installed yauzl lacks readLocalFileHeader (need yauzl >= 3)');
  }
  const readLocalFileHeader = (readHeader as ReadLocalFileHeader).bind(zip);

  const entries = new Map<string, Entry>();
  try {
    if (zip.entryCount > MAX_ENTRIES) throw fail(`zip directory claims ${zip.entryCount} entries (limit ${MAX_ENTRIES})`);
    for (;;) {
      const entry = await nextEntry(zip, fail);
      if (entry === null) break;
      if (entries.has(entry.fileName)) throw fail(`zip entry ${entry.fileName} appears twice`);
      if (entry.isEncrypted()) throw fail(`zip entry ${entry.fileName} is encrypted`);
      if (entry.compressionMethod !== 0) {
        throw fail(`zip entry ${entry.fileName} is compressed (method ${entry.compressionMethod}); torch.save writes ` +
          'entries uncompressed, so this archive was repacked by another tool: re-save it with torch.save');
      }
      entries.set(entry.fileName, entry);
    }
  } catch (err) {
    zip.close();
    throw err;
  }

  const dataStarts = new Map<string, number>();
  const dataStart = async (entry: Entry): Promise<number> => {
    const known = dataStarts.get(entry.fileName);
    if (known !== undefined) return known;
    const header = await new Promise<LocalFileHeader>((resolve, reject) => {
      readLocalFileHeader(entry, null, (err, h) => {
        if (err !== null) reject(fail(`zip entry ${entry.fileName}: ${err.message}`, err));
        else resolve(h);
      });
    });
    // The local header may disagree with the directory; trust neither if they do.
    if (header.compressionMethod !== 0) throw fail(`zip entry ${entry.fileName} is compressed in its local header`);
    if ((header.generalPurposeBitFlag & 1) !== 0) throw fail(`zip entry ${entry.fileName} is encrypted`);
    dataStarts.set(entry.fileName, header.fileDataStart);
    return header.fileDataStart;
  };
  const member = (name: string): Entry => {
    const entry = entries.get(name);
    if (entry === undefined) throw fail(`zip entry ${name} is missing`);
    return entry;
  };

  const members = new Map<string, ZipMember>();
  for (const e of entries.values()) members.set(e.fileName, { name: e.fileName, size: e.uncompressedSize });

  return {
    members,
    async readWhole(name, maxBytes) {
      const entry = member(name);
      if (entry.uncompressedSize > maxBytes) {
        throw fail(`zip entry ${name} is ${entry.uncompressedSize} bytes (limit ${maxBytes})`);
      }
      const bytes = await file.read(await dataStart(entry), entry.uncompressedSize, `zip entry ${name}`);
      if (crc32(bytes) !== entry.crc32) throw fail(`zip entry ${name} is corrupt (CRC mismatch)`);
      return bytes;
    },
    async readRangeInto(name, offset, target) {
      const entry = member(name);
      const length = target.length;
      if (offset < 0 || offset + length > entry.uncompressedSize) {
        throw fail(`read of bytes ${offset}..${offset + length} is outside zip entry ${name} ` +
          `(${entry.uncompressedSize} bytes)`);
      }
      await file.readInto(target, (await dataStart(entry)) + offset, `zip entry ${name}`);
    },
    close() {
      zip.close();
    },
  };
}

function nextEntry(zip: ZipFile, fail: (message: string, cause?: unknown) => CheckpointError): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(fail(`corrupt zip directory: ${errorText(err)}`, err));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}
