// Files that must be refused, each with a message naming the file and the first problem.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readStateDict } from '../../native-models/checkpoint/index.ts';
import { assertRefused, fixture, storedZip, tempDir, torchZip } from './helpers.ts';

const refusals: Array<[file: string, pattern: RegExp]> = [
  ['evil_os_system.pt', /refused pickle global os\.system: only state-dict types are allowed/],
  ['evil_eval.pt', /refused pickle global builtins\.eval/],
  ['evil_popen.pt', /refused pickle global subprocess\.Popen/],
  ['evil_storage_tag.pt', /refused pickle global posix\.system/],
  ['legacy.pt', /legacy \(pre-1\.6\) torch\.save format/],
  ['compressed.pt', /compressed \(method 8\)/],
  ['mixed_top_level.pt', /"epoch" holds int, not a tensor/],
  ['empty.pt', /state dict is empty/],
  ['duplicate_after_strip.pt', /"w" appears twice/],
  ['two_state_dicts.pt', /several entries \("model", "ema"\) hold tensors/],
  ['int_buffer.pt', /num_batches_tracked has dtype int64/],
  ['not_a_dict.pt', /holds list, not a state dict/],
];

for (const [file, pattern] of refusals) {
  void test(`refuses ${file}`, async () => {
    await assertRefused(readStateDict(fixture(file)), fixture(file), pattern);
  });
}

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

void test('refuses a missing file, a directory and an empty file', async () => {
  const missing = join(dir, 'nope.pt');
  await assertRefused(readStateDict(missing), missing, /cannot open: .*ENOENT/);
  await assertRefused(readStateDict(dir), dir, /not a regular file|cannot/);
  const empty = write('empty.bin', new Uint8Array());
  await assertRefused(readStateDict(empty), empty, /file is empty/);
});

void test('refuses unknown formats and says what a safetensors or pickle file looks like', async () => {
  const text = write('text.pth', Buffer.from('hello, I am not a checkpoint'));
  await assertRefused(readStateDict(text), text, /not a PyTorch checkpoint \(zip archive\) or safetensors file/);
  const rawPickle = write('raw.pkl', Buffer.from([0x80, 0x04, 0x4e, 0x2e]));
  await assertRefused(readStateDict(rawPickle), rawPickle, /legacy/);
});

void test('refuses zips that are not torch.save output', async () => {
  const noPickle = write('nopkl.pt', storedZip([['a/readme.txt', Buffer.from('hi')]]));
  await assertRefused(readStateDict(noPickle), noPickle, /no <archive>\/data\.pkl/);
  const script = write('script.pt', storedZip([['a/constants.pkl', Buffer.from('x')], ['a/code/x.py', Buffer.from('')]]));
  await assertRefused(readStateDict(script), script, /TorchScript archive/);
  const twoPickles = write('two.pt', storedZip([['a/data.pkl', Buffer.from('x')], ['b/data.pkl', Buffer.from('x')]]));
  await assertRefused(readStateDict(twoPickles), twoPickles, /2 data\.pkl files/);
  const dupes = write('dupe.pt', storedZip([['a/data.pkl', Buffer.from('x')], ['a/data.pkl', Buffer.from('x')]]));
  await assertRefused(readStateDict(dupes), dupes, /appears twice/);
  const bigEndian = write('be.pt', storedZip([['a/data.pkl', Buffer.from('x')], ['a/byteorder', Buffer.from('big')]]));
  await assertRefused(readStateDict(bigEndian), bigEndian, /big-endian/);
});

void test('refuses a corrupted data.pkl by its CRC', async () => {
  const zip = storedZip([['a/data.pkl', Buffer.from([0x80, 0x02, 0x7d, 0x2e])]]);
  const inPickle = 30 + 'a/data.pkl'.length + 2; // past the local header, so only the data changes
  zip[inPickle] = zip[inPickle]! ^ 0xff;
  const path = write('crc.pt', zip);
  await assertRefused(readStateDict(path), path, /CRC mismatch/);
});

// A one-tensor state dict {'w': tensor(storage '0', offset, size, stride)} written opcode by opcode.
function tensorPickle(opts: { storageType?: string; numel?: number; offset?: number; size?: number[]; stride?: number[] }): Buffer {
  const u = (s: string): Buffer => Buffer.concat([Buffer.from([0x8c, s.length]), Buffer.from(s)]);
  const int = (n: number): Buffer => { const b = Buffer.alloc(5); b[0] = 0x4a; b.writeInt32LE(n, 1); return b; };
  const tuple = (xs: number[]): Buffer => Buffer.concat([Buffer.from('('), ...xs.map(int), Buffer.from('t')]);
  const size = opts.size ?? [2];
  return Buffer.concat([
    Buffer.from([0x80, 0x02, 0x7d]), u('w'),
    Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n('),
    Buffer.from('('), u('storage'), Buffer.from(`ctorch\n${opts.storageType ?? 'FloatStorage'}\n`), u('0'), u('cpu'),
    int(opts.numel ?? 2), Buffer.from('tQ'),
    int(opts.offset ?? 0), tuple(size), tuple(opts.stride ?? size.map(() => 1)), Buffer.from([0x89]),
    Buffer.from('ccollections\nOrderedDict\n)R'), Buffer.from('tRs.'),
  ]);
}

void test('a hand-written tensor pickle reads back', async () => {
  const path = write('hand.pt', torchZip(tensorPickle({}), [['0', Buffer.from(new Float32Array([1.5, -2]).buffer)]]));
  const sd = await readStateDict(path);
  assert.deepEqual([...sd.get('w')!.data], [1.5, -2]);
});

void test('refuses views that reach outside their storage and storages of the wrong size', async () => {
  const storage: Array<[string, Uint8Array]> = [['0', new Uint8Array(8)]];
  const cases: Array<[string, Parameters<typeof tensorPickle>[0], RegExp, Array<[string, Uint8Array]>]> = [
    ['offset', { offset: 1 }, /reaches element 2 of a storage of 2/, storage],
    ['stride', { size: [2, 2], stride: [1, 1] }, /reaches element 2/, storage],
    ['numel', { numel: 3 }, /is 8 bytes but should hold 3 float32 values/, storage],
    ['missing', {}, /storage entry archive\/data\/0 is missing/, []],
    ['huge broadcast', { size: [100000, 100000], stride: [0, 0] }, /more elements than its storage can back/, storage],
  ];
  for (const [name, opts, pattern, storages] of cases) {
    const path = write(`${name}.pt`, torchZip(tensorPickle(opts), storages));
    await assertRefused(readStateDict(path), path, pattern);
  }
});
