// The values the restricted unpickler can produce. Python objects it does not model simply cannot be built:
// there is no "generic object" escape hatch.

/** Element types of torch storages; only the floating ones can become `Tensor`s. */
export type StorageDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export interface PickleTuple {
  readonly kind: 'tuple';
  readonly items: readonly PickleValue[];
}
export interface PickleList {
  readonly kind: 'list';
  readonly items: PickleValue[];
}
/** dict and OrderedDict alike: insertion order is what the state dict's file order is. */
export interface PickleDict {
  readonly kind: 'dict';
  readonly entries: Map<PickleValue, PickleValue>;
}
/** An allow-listed name; it is only ever compared, never resolved to code. */
export interface PickleGlobal {
  readonly kind: 'global';
  readonly qualified: string;
}
/** torch's persistent id: ('storage', storage_type, key, location, numel). The bytes live in `data/<key>`. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly dtype: StorageDType;
  readonly key: string;
  readonly location: string;
  readonly numel: number;
}
/** A (possibly strided) view into a storage, as `_rebuild_tensor_v2` describes it. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleTuple
  | PickleList
  | PickleDict
  | PickleGlobal
  | StorageRef
  | TensorRef;

export type PickleObject = Exclude<PickleValue, null | boolean | number | bigint | string | Uint8Array>;

export function isObject(v: PickleValue): v is PickleObject {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array);
}

export function isTuple(v: PickleValue): v is PickleTuple {
  return isObject(v) && v.kind === 'tuple';
}

export function isDict(v: PickleValue): v is PickleDict {
  return isObject(v) && v.kind === 'dict';
}

export function isTensor(v: PickleValue): v is TensorRef {
  return isObject(v) && v.kind === 'tensor';
}

/** A short name for a value's type, for error messages; never recurses, so hostile nesting cannot blow the stack. */
export function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  switch (v.kind) {
    case 'global':
      return v.qualified;
    case 'storage':
      return 'storage';
    default:
      return v.kind;
  }
}
