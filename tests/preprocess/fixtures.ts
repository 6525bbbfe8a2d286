// Readers for the golden fixtures written by scripts/goldens/make_fbank_goldens.py.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FBANK_DIR = fileURLToPath(new URL('../fixtures/fbank/', import.meta.url));
export const IMAGE_DIR = fileURLToPath(new URL('../fixtures/image/', import.meta.url));

export function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  // Copy into a fresh, aligned buffer: Buffer slices may sit at an odd byteOffset.
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** int16 little-endian → float32 in [-1, 1), the scale torchaudio.load gives for 16-bit PCM. */
export function readS16(path: string): Float32Array {
  const buf = readFileSync(path);
  const out = new Float32Array(buf.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(2 * i) / 32768;
  return out;
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}
