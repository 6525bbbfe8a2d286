// Strict reader for the .npy golden files written by scripts/goldens/make_cavmae_goldens.py:
// format v1.0 / v2.0 (v3.0 too: same layout, UTF-8 header), dtype '<f4', C order only.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

export function parseNpy(buf: Uint8Array, name = '<buffer>'): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`readNpy(${name}): ${msg}`);
  };
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) fail('not a .npy file (bad magic)');
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported format version ${major}.${buf[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) fail('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`cannot parse header ${JSON.stringify(header.trim())}`);
  }
  if (descr !== '<f4') fail(`dtype '${descr}' is not supported (only '<f4' float32 little-endian)`);
  if (fortran !== 'False') fail('Fortran-order arrays are not supported (only C order)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+$/.test(s)) fail(`bad shape entry '${s}'`);
      return Number(s);
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * 4;
  if (buf.length - dataStart !== bytes) {
    fail(`expected ${bytes} data bytes for shape [${shape.join(', ')}], found ${buf.length - dataStart}`);
  }
  // Copy into a fresh, aligned buffer (the file data need not be 4-byte aligned).
  const data = new Float32Array(count);
  if (endianness() === 'LE') {
    new Uint8Array(data.buffer).set(buf.subarray(dataStart, dataStart + bytes));
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + 4 * i, true);
  }
  return { shape, data };
}

export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path), path);
}
