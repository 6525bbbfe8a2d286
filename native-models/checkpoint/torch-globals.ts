// The allow-list: the only Python names a state-dict pickle may mention, and what each one means here.
// Every builder is re-implemented in TypeScript over plain data; nothing named in a file is ever imported or run,
// so a pickle naming anything else (os.system, builtins.eval, subprocess.Popen, ...) is refused outright.
import type { PickleGlobal, PickleValue, StorageDType, StorageRef, TensorRef } from './pickle-values.ts';
import { describe, isDict, isObject, isTensor, isTuple } from './pickle-values.ts';

type Fail = (message: string) => Error;

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_WITH_STATE = 'torch._utils._rebuild_parameter_with_state';

// Storage classes are only legal as the type tag inside a persistent id, never as something to call.
const STORAGE_TYPES: ReadonlyMap<string, StorageDType> = new Map<string, StorageDType>([
  ['torch.FloatStorage', 'float32'],
  ['torch.HalfStorage', 'float16'],
  ['torch.BFloat16Storage', 'bfloat16'],
  ['torch.DoubleStorage', 'float64'],
  // Recognised so an integer buffer gets a clear "unsupported dtype" message instead of a refused-global one.
  ['torch.LongStorage', 'int64'],
  ['torch.IntStorage', 'int32'],
  ['torch.ShortStorage', 'int16'],
  ['torch.CharStorage', 'int8'],
  ['torch.ByteStorage', 'uint8'],
  ['torch.BoolStorage', 'bool'],
]);

const CALLABLE = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE]);

// Torch caps tensors at 64 dimensions; a state dict has at most a handful.
const MAX_DIMS = 64;

export function resolveGlobal(module: string, name: string, fail: Fail): PickleGlobal {
  const qualified = `${module}.${name}`;
  if (!CALLABLE.has(qualified) && !STORAGE_TYPES.has(qualified)) {
    throw fail(`refused pickle global ${printable(qualified)}: only state-dict types are allowed`);
  }
  return { kind: 'global', qualified };
}

/** REDUCE: `callable(*args)`, for the allow-listed builders only. */
export function reduce(callable: PickleValue, args: PickleValue, fail: Fail): PickleValue {
  if (!isObject(callable) || callable.kind !== 'global') throw fail(`REDUCE on ${describe(callable)}, not a global`);
  if (!isTuple(args)) throw fail(`REDUCE of ${callable.qualified} with ${describe(args)} arguments, not a tuple`);
  const a = args.items;
  switch (callable.qualified) {
    case ORDERED_DICT:
      return orderedDict(a, fail);
    case REBUILD_TENSOR:
      return rebuildTensor(a, fail);
    case REBUILD_PARAMETER:
    case REBUILD_PARAMETER_WITH_STATE: {
      const want = callable.qualified === REBUILD_PARAMETER ? 3 : 4;
      const data = a[0];
      if (a.length !== want || data === undefined || !isTensor(data)) {
        throw fail(`${callable.qualified} expects (tensor, requires_grad, hooks${want === 4 ? ', state' : ''})`);
      }
      return data;
    }
    default:
      throw fail(`${callable.qualified} may only appear as a storage type tag, not be called`);
  }
}

/** NEWOBJ: `cls.__new__(cls, *args)`; only OrderedDict() makes sense in a state dict. */
export function newObject(cls: PickleValue, args: PickleValue, fail: Fail): PickleValue {
  if (!isObject(cls) || cls.kind !== 'global' || cls.qualified !== ORDERED_DICT || !isTuple(args) || args.items.length > 0) {
    throw fail(`NEWOBJ of ${describe(cls)} is not allowed`);
  }
  return { kind: 'dict', entries: new Map() };
}

/** BINPERSID: torch's ('storage', storage_type, key, location, numel) tuple. */
export function persistentLoad(pid: PickleValue, fail: Fail): StorageRef {
  if (!isTuple(pid) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    throw fail(`persistent id ${describe(pid)} is not a torch storage reference`);
  }
  const [, type, key, location, numel] = pid.items;
  const dtype = type !== undefined && isObject(type) && type.kind === 'global' ? STORAGE_TYPES.get(type.qualified) : undefined;
  if (dtype === undefined) throw fail(`storage type ${type === undefined ? '?' : describe(type)} is not a torch storage class`);
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.]{1,64}$/.test(key) || key.includes('..')) {
    throw fail('storage key is not a plain name');
  }
  if (typeof location !== 'string') throw fail(`storage ${key} has a location of type ${describe(location ?? null)}`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    throw fail(`storage ${key} has an invalid element count`);
  }
  return { kind: 'storage', dtype, key, location, numel };
}

function orderedDict(args: readonly PickleValue[], fail: Fail): PickleValue {
  const entries = new Map<PickleValue, PickleValue>();
  if (args.length === 0) return { kind: 'dict', entries };
  const items = args[0];
  if (args.length !== 1 || items === undefined || !isObject(items) || items.kind !== 'list') {
    throw fail('collections.OrderedDict expects () or a list of pairs');
  }
  for (const pair of items.items) {
    if (!isTuple(pair) || pair.items.length !== 2) throw fail('collections.OrderedDict expects a list of pairs');
    entries.set(pair.items[0]!, pair.items[1]!);
  }
  return { kind: 'dict', entries };
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
function rebuildTensor(args: readonly PickleValue[], fail: Fail): TensorRef {
  const [storage, offset, size, stride, requiresGrad, hooks, metadata] = args;
  const bad = (what: string): Error => fail(`${REBUILD_TENSOR}: ${what}`);
  if (args.length !== 6 && args.length !== 7) throw bad(`expected 6 or 7 arguments, got ${args.length}`);
  if (storage === undefined || !isObject(storage) || storage.kind !== 'storage') throw bad('first argument is not a storage');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw bad('invalid storage offset');
  const shape = intTuple(size, 'size', bad);
  const strides = intTuple(stride, 'stride', bad);
  if (shape.length !== strides.length) throw bad(`size has ${shape.length} dims but stride has ${strides.length}`);
  if (typeof requiresGrad !== 'boolean') throw bad('requires_grad is not a bool');
  if (hooks === undefined || !isDict(hooks)) throw bad('backward hooks are not a dict');
  if (metadata !== undefined && metadata !== null && !isDict(metadata)) throw bad('metadata is not a dict');
  return { kind: 'tensor', storage, storageOffset: offset, shape, stride: strides };
}

function intTuple(v: PickleValue | undefined, what: string, bad: (what: string) => Error): number[] {
  if (v === undefined || !isTuple(v) || v.items.length > MAX_DIMS) throw bad(`${what} is not a tuple of at most ${MAX_DIMS} ints`);
  return v.items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw bad(`${what} holds ${typeof x === 'number' ? String(x) : describe(x)}`);
    return x;
  });
}

// Names come from the file; keep error messages to one printable line.
function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 120)}...` : clean;
}
