// The restricted unpickler on its own: opcode coverage, allow-list, and hostile lengths and counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unpickle } from '../../native-models/checkpoint/pickle.ts';
import type { PickleValue } from '../../native-models/checkpoint/pickle-values.ts';

class Refused extends Error {}
const fail = (m: string): Error => new Refused(m);
const run = (bytes: number[] | Buffer): PickleValue => unpickle(Buffer.from(bytes), fail);
const refuses = (bytes: number[] | Buffer, pattern: RegExp): void => {
  assert.throws(() => run(bytes), (err: unknown) => err instanceof Refused && pattern.test(err.message));
};
const b = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

void test('decodes the scalar and container opcodes', () => {
  // [1, 300, 70000, -1, 2**40, 1.5, None, True, False, 'é', b'\x01', (), (1,), (1, 2), (1, 2, 3), {'k': 'v'}]
  const v = run([
    0x80, 2, 0x5d, 0x71, 0, 0x28,
    0x4b, 1, 0x4d, 44, 1, 0x4a, ...u32(70000), 0x4a, ...u32(0xffffffff), 0x8a, 6, 0, 0, 0, 0, 0, 1,
    0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x4e, 0x88, 0x89, 0x8c, 2, 0xc3, 0xa9, 0x43, 1, 1,
    0x29, 0x4b, 1, 0x85, 0x4b, 1, 0x4b, 2, 0x86, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x87,
    0x7d, 0x94, 0x58, ...u32(1), ...b('k'), 0x55, 1, ...b('v'), 0x73,
    0x65, 0x2e,
  ]);
  assert.ok(typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'list');
  const items = v.items;
  assert.deepEqual(items.slice(0, 10), [1, 300, 70000, -1, 2 ** 40, 1.5, null, true, false, 'é']);
  assert.deepEqual(items[10], new Uint8Array([1]));
  assert.deepEqual(items.slice(11, 15), [
    { kind: 'tuple', items: [] }, { kind: 'tuple', items: [1] }, { kind: 'tuple', items: [1, 2] }, { kind: 'tuple', items: [1, 2, 3] },
  ]);
  assert.deepEqual(items[15], { kind: 'dict', entries: new Map([['k', 'v']]) });
});

void test('memo get/put and protocol-4 framing', () => {
  const v = run([0x80, 4, 0x95, 6, 0, 0, 0, 0, 0, 0, 0, 0x8c, 1, ...b('a'), 0x94, 0x68, 0, 0x86, 0x2e]);
  assert.deepEqual(v, { kind: 'tuple', items: ['a', 'a'] });
  refuses([0x80, 2, 0x68, 7, 0x2e], /memo slot 7 is empty/);
});

void test('refuses every global off the allow-list, whichever opcode names it', () => {
  for (const [mod, name] of [['os', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'], ['torch', 'load'], ['__builtin__', 'getattr'], ['torch._utils', '_rebuild_device_tensor_from_numpy']]) {
    refuses([0x80, 2, 0x63, ...b(`${mod}\n${name}\n`), 0x2e], new RegExp(`refused pickle global ${mod}\\.${name}: only state-dict types are allowed`));
    refuses([0x80, 4, 0x8c, mod!.length, ...b(mod!), 0x8c, name!.length, ...b(name!), 0x93, 0x2e], /refused pickle global/);
  }
});

void test('allow-listed names cannot be misused', () => {
  // Calling a storage class, NEWOBJ of a builder, persistent ids that are not storages, BUILD on a non-dict.
  refuses([0x80, 2, 0x63, ...b('torch\nFloatStorage\n'), 0x29, 0x52, 0x2e], /only appear as a storage type tag/);
  refuses([0x80, 2, 0x63, ...b('torch._utils\n_rebuild_tensor_v2\n'), 0x29, 0x81, 0x2e], /NEWOBJ of torch\._utils\._rebuild_tensor_v2/);
  refuses([0x80, 2, 0x63, ...b('torch._utils\n_rebuild_tensor_v2\n'), 0x29, 0x52, 0x2e], /expected 6 or 7 arguments/);
  refuses([0x80, 2, 0x8c, 1, ...b('x'), 0x51, 0x2e], /not a torch storage reference/);
  refuses([0x80, 2, 0x5d, 0x4e, 0x62, 0x2e], /BUILD on list is not allowed/);
  refuses([0x80, 2, 0x4e, 0x29, 0x52, 0x2e], /REDUCE on None, not a global/);
  refuses([0x80, 2, 0x63, ...b('collections\nOrderedDict\n'), 0x29, 0x52, 0x5d, 0x4e, 0x73, 0x2e], /unhashable dict key list/);
});

void test('refuses huge declared lengths without allocating them', () => {
  refuses([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0xff, 0x2e], /truncated: needs 4294967295 bytes/);
  refuses([0x80, 2, 0x42, 0xff, 0xff, 0xff, 0x7f, 0x2e], /truncated/);
  refuses([0x80, 2, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x2e], /absurdly large/);
  refuses([0x80, 4, 0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0, 0x2e], /absurdly large|truncated/);
  refuses([0x80, 2, 0x8a, 0xff, ...new Array<number>(255).fill(1), 0x2e], /integer of 255 bytes/);
  refuses([0x80, 2, 0x63, ...new Array<number>(1000).fill(0x61), 0x2e], /overlong GLOBAL name/);
});

void test('refuses structural nonsense', () => {
  refuses([0x80, 2, 0x2e], /stack underflow/);
  refuses([0x80, 2, 0x4e, 0x4e, 0x2e], /values left on the stack/);
  refuses([0x80, 2, 0x28, 0x4e, 0x2e], /open MARK/);
  refuses([0x80, 2, 0x74, 0x2e], /no MARK/);
  refuses([0x80, 2, 0x4e], /truncated/);
  refuses([0x80, 2, 0x8c, 2, 0xc3, 0x28, 0x2e], /not valid UTF-8/);
  refuses([0x80, 1, 0x4e, 0x2e], /unsupported pickle protocol 1/);
  refuses([0x80, 2, 0x69, 0x2e], /unsupported pickle opcode/); // INST: protocol 0 object construction
  refuses([0x80, 2, ...new Array<number>(10_001).fill(0x28)], /nested MARKs/);
});

void test('bounds the memo and the stack', () => {
  const memo: number[] = [0x80, 2, 0x4e];
  for (let i = 0; i <= 1_000_000; i++) memo.push(0x72, ...u32(i));
  refuses(memo, /memo exceeds/);
  refuses([0x80, 2, ...new Array<number>(1_000_001).fill(0x4e), 0x2e], /stack exceeds/);
});
