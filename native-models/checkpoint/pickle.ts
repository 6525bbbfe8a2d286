// A restricted unpickler for the pickles torch.save writes for state dicts (protocol 2; protocol 4 framing too).
// It is written here rather than taken from npm because no maintained npm package unpickles *safely* (with an
// allow-list of globals and hard limits on hostile input). This one is a pure data decoder: globals resolve only
// through the allow-list in torch-globals.ts, REDUCE only runs the TypeScript builders there, and every length,
// index and count is checked against what remains of the input before anything is allocated.
import type { PickleDict, PickleList, PickleTuple, PickleValue } from './pickle-values.ts';
import { describe, isObject } from './pickle-values.ts';
import { newObject, persistentLoad, reduce, resolveGlobal } from './torch-globals.ts';

// Far above what a state dict needs (a 650-tensor CAV-MAE pickle uses ~9k memo slots and a stack of ~10),
// low enough that a hostile pickle cannot make the reader hold millions of objects.
const MAX_STACK = 1_000_000;
const MAX_MARKS = 10_000;
const MAX_MEMO = 1_000_000;
const MAX_GLOBAL_NAME = 256;
const MAX_LONG_BYTES = 16;

export type Fail = (message: string) => Error;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

export function unpickle(data: Uint8Array, failWith: Fail): PickleValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let opStart = 0;
  let op = 0;
  const fail = (message: string): Error => failWith(`${message} (opcode 0x${hex(op)} at byte ${opStart})`);

  const need = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 0 || n > data.length - pos) {
      throw fail(`truncated: needs ${n} bytes, ${data.length - pos} left`);
    }
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => data[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const at = need(8);
    const hi = view.getUint32(at + 4, true);
    // Anything ≥ 2^53 cannot fit in the remaining input anyway; reject before it becomes an imprecise number.
    if (hi >= 0x200000) throw fail('length field is absurdly large');
    return hi * 0x1_0000_0000 + view.getUint32(at, true);
  };
  const bytes = (n: number): Uint8Array => {
    const at = need(n);
    return data.subarray(at, at + n);
  };
  const text = (n: number): string => {
    const raw = bytes(n);
    try {
      return utf8.decode(raw);
    } catch {
      throw fail('string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0 || end - pos > MAX_GLOBAL_NAME) throw fail('truncated or overlong GLOBAL name');
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };

  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();

  const push = (v: PickleValue): void => {
    if (stack.length >= MAX_STACK) throw fail(`pickle stack exceeds ${MAX_STACK} items`);
    stack.push(v);
  };
  const pop = (): PickleValue => {
    if (stack.length <= (marks.at(-1) ?? 0)) throw fail('pickle stack underflow');
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    if (stack.length <= (marks.at(-1) ?? 0)) throw fail('pickle stack underflow');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) throw fail('no MARK on the stack');
    return stack.splice(mark);
  };
  const put = (index: number): void => {
    if (!memo.has(index) && memo.size >= MAX_MEMO) throw fail(`memo exceeds ${MAX_MEMO} entries`);
    memo.set(index, top());
  };
  const get = (index: number): void => {
    const v = memo.get(index);
    if (v === undefined) throw fail(`memo slot ${index} is empty`);
    push(v);
  };
  const tuple = (items: PickleValue[]): PickleTuple => ({ kind: 'tuple', items });
  const setItems = (dict: PickleValue, items: readonly PickleValue[]): void => {
    if (!isObject(dict) || dict.kind !== 'dict') throw fail(`SETITEM on ${describe(dict)}, not a dict`);
    if (items.length % 2 !== 0) throw fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (isObject(key) && key.kind !== 'tuple' && key.kind !== 'global') throw fail(`unhashable dict key ${describe(key)}`);
      (dict as PickleDict).entries.set(key, items[i + 1]!);
    }
  };
  const append = (list: PickleValue, items: readonly PickleValue[]): void => {
    if (!isObject(list) || list.kind !== 'list') throw fail(`APPEND on ${describe(list)}, not a list`);
    if (list.items.length + items.length > MAX_STACK) throw fail(`list exceeds ${MAX_STACK} items`);
    for (const item of items) (list as PickleList).items.push(item);
  };

  for (;;) {
    opStart = pos;
    op = 0;
    op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol < 2 || protocol > 5) throw fail(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: { // FRAME: a hint for buffered readers; the whole pickle is in memory already.
        const frame = u64();
        if (frame > data.length - pos) throw fail(`truncated: frame of ${frame} bytes, ${data.length - pos} left`);
        break;
      }
      case 0x7d: push({ kind: 'dict', entries: new Map() }); break; // EMPTY_DICT
      case 0x5d: push({ kind: 'list', items: [] }); break; // EMPTY_LIST
      case 0x29: push(tuple([])); break; // EMPTY_TUPLE
      case 0x28: // MARK
        if (marks.length >= MAX_MARKS) throw fail(`more than ${MAX_MARKS} nested MARKs`);
        marks.push(stack.length);
        break;
      case 0x58: push(text(u32())); break; // BINUNICODE
      case 0x8c: push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: push(text(u64())); break; // BINUNICODE8
      // Python 2 str: bytes of unknown encoding; latin1 keeps them byte-for-byte.
      case 0x54: push(latin1.decode(bytes(u32()))); break; // BINSTRING
      case 0x55: push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      // Copied so no result keeps the whole pickle buffer alive.
      case 0x43: push(new Uint8Array(bytes(u8()))); break; // SHORT_BINBYTES
      case 0x42: push(new Uint8Array(bytes(u32()))); break; // BINBYTES
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x68: get(u8()); break; // BINGET
      case 0x6a: get(u32()); break; // LONG_BINGET
      case 0x4a: push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(long1(bytes(u8()), fail)); break; // LONG1
      case 0x47: push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x74: push(tuple(popMark())); break; // TUPLE
      case 0x85: push(tuple([pop()])); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        push(tuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        push(tuple([pop(), b, c]));
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        push(resolveGlobal(module, line(), fail));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        push(resolveGlobal(module, name, fail));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        push(reduce(pop(), args, fail));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        push(newObject(pop(), args, fail));
        break;
      }
      case 0x62: { // BUILD
        pop(); // the state; a state dict's OrderedDict carries `_metadata` here, which a reader has no use for
        const target = top();
        if (!isObject(target) || target.kind !== 'dict') throw fail(`BUILD on ${describe(target)} is not allowed`);
        break;
      }
      case 0x51: push(persistentLoad(pop(), fail)); break; // BINPERSID
      case 0x2e: { // STOP
        if (marks.length > 0) throw fail('STOP with an open MARK');
        const result = pop();
        if (stack.length > 0) throw fail('STOP with values left on the stack');
        return result;
      }
      default:
        throw fail('unsupported pickle opcode (only the opcodes torch.save uses for state dicts are allowed)');
    }
  }
}

function long1(b: Uint8Array, fail: Fail): number | bigint {
  if (b.length > MAX_LONG_BYTES) throw fail(`integer of ${b.length} bytes`);
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if ((b[b.length - 1]! & 0x80) !== 0) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
