import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy, readNpy } from '../helpers/npy.ts';

const fixtures = fileURLToPath(new URL('../fixtures/cavmae/', import.meta.url));

interface GoldenJson {
  embed_dim: number;
  files: Record<string, { path: string; shape?: number[] }>;
}

void test('readNpy reads a CAV-MAE golden with the shape golden.json records', () => {
  const dir = `${fixtures}pre-d32-11x1/`;
  const golden = JSON.parse(readFileSync(`${dir}golden.json`, 'utf8')) as GoldenJson;
  const tokens = readNpy(`${dir}audio_tokens.npy`);
  assert.deepEqual(tokens.shape, [2, 512, golden.embed_dim]);
  assert.deepEqual(tokens.shape, golden.files['audio_tokens']?.shape);
  assert.equal(tokens.data.length, 2 * 512 * golden.embed_dim);
  assert.ok(tokens.data.every(Number.isFinite));

  const emb = readNpy(`${dir}audio_embedding.npy`);
  assert.deepEqual(emb.shape, [2, golden.embed_dim]);
  const norm = Math.hypot(...emb.data.subarray(0, golden.embed_dim));
  assert.ok(Math.abs(norm - 1) < 1e-5, `embedding norm ${norm}`);
});

void test('readNpy reads the shared inputs, including the +1.13291 padding rows', () => {
  const audio = readNpy(`${fixtures}inputs/audio.npy`);
  assert.deepEqual(audio.shape, [2, 1024, 128]);
  const last = audio.data[(2 * 1024 - 1) * 128];
  assert.ok(last !== undefined && Math.abs(last - 1.13291) < 1e-5);
  assert.deepEqual(readNpy(`${fixtures}inputs/visual.npy`).shape, [2, 3, 224, 224]);
});

void test('parseNpy rejects other dtypes and orders with a clear error', () => {
  const make = (header: string): Uint8Array => {
    const padded = header.padEnd(118, ' ') + '\n';
    return Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0, ...Buffer.from(padded, 'latin1')]);
  };
  assert.throws(() => parseNpy(make("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }")), /dtype '<f8'/);
  assert.throws(() => parseNpy(make("{'descr': '<f4', 'fortran_order': True, 'shape': (0,), }")), /Fortran/);
  assert.deepEqual(parseNpy(make("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }")).shape, [0]);
  assert.throws(() => parseNpy(Uint8Array.from([1, 2, 3])), /bad magic/);
});
