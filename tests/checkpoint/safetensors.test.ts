// Malformed safetensors headers: every inconsistency between header and data is refused.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readStateDict } from '../../native-models/checkpoint/index.ts';
import { assertRefused, tempDir } from './helpers.ts';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function safetensors(header: unknown, data: Uint8Array, declaredLength?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  const path = join(dir, `t${n++}.safetensors`);
  writeFileSync(path, Buffer.concat([len, json, data]));
  return path;
}

const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);

void test('reads a minimal file and orders tensors by their data offsets', async () => {
  const path = safetensors({
    b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    __metadata__: { format: 'pt' },
  }, f32([1, 2]));
  const sd = await readStateDict(path);
  assert.deepEqual([...sd.keys()], ['a', 'b']);
  assert.deepEqual([...sd.get('b')!.data], [2]);
});

void test('module. prefixes are stripped here too', async () => {
  const path = safetensors({ 'module.w': { dtype: 'F32', shape: [], data_offsets: [0, 4] } }, f32([7]));
  assert.deepEqual([...(await readStateDict(path)).keys()], ['w']);
});

const cases: Array<[string, () => string, RegExp]> = [
  ['header longer than the file', () => safetensors({}, new Uint8Array(), 1n << 30n), /header claims 1073741824 bytes/],
  ['header not JSON', () => safetensors('{nope', new Uint8Array()), /header is not valid UTF-8 JSON/],
  ['header an array', () => safetensors('[1]', new Uint8Array()), /not a JSON object|not a PyTorch/],
  ['no tensors', () => safetensors({ __metadata__: {} }, new Uint8Array()), /holds no tensors/],
  ['bad metadata', () => safetensors({ __metadata__: { a: 1 } }, new Uint8Array()), /__metadata__ is not a map of strings/],
  ['integer dtype', () => safetensors({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype "I64"/],
  ['negative dim', () => safetensors({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32([1])), /invalid shape/],
  ['fractional offsets', () => safetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, f32([1])), /invalid data_offsets/],
  ['reversed offsets', () => safetensors({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32([1])), /invalid data_offsets/],
  ['size mismatch', () => safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32([1])), /needs 8 bytes but data_offsets span 4/],
  ['huge shape', () => safetensors({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f32([1])), /needs .* bytes/],
  ['gap', () => safetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32([1, 2])), /starts at data byte 4, expected 0/],
  ['overlap', () => safetensors({
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
  }, f32([1, 2])), /overlap or leave gaps/],
  ['past the end', () => safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32([1])), /cover 8 data bytes but the file holds 4/],
  ['trailing bytes', () => safetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32([1, 2])), /cover 4 data bytes but the file holds 8/],
  ['duplicate after strip', () => safetensors({
    'module.w': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
  }, f32([1, 2])), /"w" appears twice/],
];

for (const [name, make, pattern] of cases) {
  void test(`refuses: ${name}`, async () => {
    const path = make();
    await assertRefused(readStateDict(path), path, pattern);
  });
}
