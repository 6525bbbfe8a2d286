import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openCheckpoint, readStateDict } from '../../native-models/checkpoint/index.ts';
import { assertMatchesExpected, fixture } from './helpers.ts';

const goldens: Array<[file: string, expected: string]> = [
  ['plain.pt', 'plain'],
  ['module_prefix.pt', 'module_prefix'],
  ['fp16.pt', 'fp16'],
  ['bf16.pt', 'bf16'],
  ['f64.pt', 'f64'],
  ['views.pt', 'views'],
  ['wrapped.pt', 'wrapped'],
  ['parameter.pt', 'parameter'],
  ['plain.safetensors', 'plain.safetensors'],
];

for (const [file, expected] of goldens) {
  void test(`reads ${file} exactly, in file order`, async () => {
    assertMatchesExpected(await readStateDict(fixture(file)), expected);
  });
}

void test('module. prefixes are stripped to the same keys as the plain file', async () => {
  const plain = await readStateDict(fixture('plain.pt'));
  const prefixed = await readStateDict(fixture('module_prefix.pt'));
  assert.deepEqual([...prefixed.keys()], [...plain.keys()]);
  assert.ok([...plain.keys()].every((k) => !k.startsWith('module.')));
});

void test('views that share a storage come back as independent contiguous arrays', async () => {
  const sd = await readStateDict(fixture('views.pt'));
  const row0 = sd.get('row0')!;
  const row1 = sd.get('row1')!;
  assert.notEqual(row0.data.buffer, row1.data.buffer);
  row0.data[0] = 123;
  assert.notEqual(sd.get('column')!.data[0], 123);
  assert.deepEqual(sd.get('scalar')!.shape, []);
  assert.equal(sd.get('scalar')!.data.length, 1);
  assert.equal(sd.get('empty')!.data.length, 0);
});

void test('the format is sniffed from the bytes, not the extension', async () => {
  const st = await openCheckpoint(fixture('plain.safetensors'));
  const pt = await openCheckpoint(fixture('plain.pt'));
  try {
    assert.equal(st.format, 'safetensors');
    assert.equal(pt.format, 'torch-zip');
  } finally {
    await st.close();
    await pt.close();
  }
});

void test('progress climbs monotonically to the total', async () => {
  const calls: Array<[number, number]> = [];
  await readStateDict(fixture('fp16.pt'), { onProgress: (done, total) => calls.push([done, total]) });
  assert.ok(calls.length >= 2);
  const total = calls[0]![1];
  assert.ok(total > 0);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i]![0] >= calls[i - 1]![0]);
  assert.deepEqual(calls.at(-1), [total, total]);
});

void test('openCheckpoint lists tensors before reading them and reads any subset', async () => {
  const ckpt = await openCheckpoint(fixture('fp16.pt'));
  try {
    assert.deepEqual(ckpt.tensors.map((t) => t.name), ['pos_embed', 'fc.weight', 'fc.bias', 'norm.weight', 'norm.bias', 'special']);
    const special = ckpt.tensors.at(-1)!;
    assert.equal(special.dtype, 'float16');
    assert.equal(special.byteLength, 18);
    const t = await special.read();
    assert.deepEqual(t.shape, [9]);
    assert.equal(t.data[5], Infinity);
    assert.ok(Number.isNaN(t.data[7]));
    assert.equal(ckpt.totalBytes, ckpt.tensors.reduce((n, x) => n + x.byteLength, 0));
  } finally {
    await ckpt.close();
  }
});
