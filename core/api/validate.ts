// Small runtime validators for the API boundary (IPC, HTTP): every value that arrives from a renderer
// or a browser is `unknown` until one of these has checked it, and the checked type is inferred from
// the validator, so the contract's types and its checks cannot drift apart.
import { ApiError } from './errors.ts';

export type Validator<T> = (value: unknown, at: string) => T;
export type Infer<V> = V extends Validator<infer T> ? T : never;

function fail(at: string, message: string): never {
  throw new ApiError('bad_request', `${at}: ${message}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}

export function str(options: { maxLength?: number; minLength?: number; pattern?: RegExp } = {}): Validator<string> {
  const { maxLength = 4096, minLength = 0, pattern } = options;
  return (v, at) => {
    if (typeof v !== 'string') fail(at, `expected a string, got ${describe(v)}`);
    if (v.length < minLength) fail(at, `must be at least ${minLength} characters`);
    if (v.length > maxLength) fail(at, `must be at most ${maxLength} characters`);
    if (v.includes('\0')) fail(at, 'must not contain NUL characters');
    if (pattern !== undefined && !pattern.test(v)) fail(at, `has an invalid format`);
    return v;
  };
}

export function num(options: { min?: number; max?: number; integer?: boolean } = {}): Validator<number> {
  const { min = -Infinity, max = Infinity, integer = false } = options;
  return (v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `expected a finite number, got ${describe(v)}`);
    const kind = integer ? 'a whole number' : 'a number';
    const open = max >= Number.MAX_SAFE_INTEGER;
    const range = open ? `${kind} of at least ${min}` : `${kind} from ${min} to ${max}`;
    if ((integer && !Number.isInteger(v)) || v < min || v > max) fail(at, `must be ${range} (got ${v})`);
    return v;
  };
}

export function bool(): Validator<boolean> {
  return (v, at) => {
    if (typeof v !== 'boolean') fail(at, `expected true or false, got ${describe(v)}`);
    return v;
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
  return (v, at) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(at, `must be one of ${values.join(', ')}`);
    return v as T[number];
  };
}

function mib(n: number): string {
  return `${Number((n / 2 ** 20).toFixed(1))} MiB`;
}

export function bytes(maxBytes: number): Validator<Uint8Array> {
  return (v, at) => {
    if (!(v instanceof Uint8Array)) fail(at, `expected bytes, got ${describe(v)}`);
    if (v.byteLength === 0) fail(at, 'the file is empty (0 bytes)');
    if (v.byteLength > maxBytes) throw new ApiError('too_large', `${at}: the file is ${mib(v.byteLength)}, over the limit of ${mib(maxBytes)}`);
    return v;
  };
}

export function arrayOf<T>(item: Validator<T>, options: { maxItems?: number; minItems?: number } = {}): Validator<T[]> {
  const { maxItems = 1000, minItems = 0 } = options;
  return (v, at) => {
    if (!Array.isArray(v)) fail(at, `expected an array, got ${describe(v)}`);
    if (v.length > maxItems) throw new ApiError('too_large', `${at}: at most ${maxItems} items (got ${v.length})`);
    if (v.length < minItems) fail(at, `needs at least ${minItems} items`);
    return v.map((x: unknown, i) => item(x, `${at}[${i}]`));
  };
}

export interface OptionalValidator<T> {
  readonly optional: true;
  readonly check: Validator<T>;
}

export function optional<T>(check: Validator<T>): OptionalValidator<T> {
  return { optional: true, check };
}

type Shape = Record<string, Validator<unknown> | OptionalValidator<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalValidator<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalValidator<unknown> ? K : never }[keyof S];
type FieldType<F> = F extends OptionalValidator<infer T> ? T : F extends Validator<infer T> ? T : never;
export type ObjectOf<S extends Shape> = { readonly [K in RequiredKeys<S>]: FieldType<S[K]> } & { readonly [K in OptionalKeys<S>]?: FieldType<S[K]> };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A plain object with exactly these keys (unknown keys are refused, so typos do not pass silently). */
export function obj<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  return (v, at) => {
    if (!isPlainObject(v)) fail(at, `expected an object, got ${describe(v)}`);
    for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) fail(at, `unknown field "${k.slice(0, 40)}"`);
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(shape)) {
      const value = v[k];
      if ('optional' in f) {
        if (value !== undefined) out[k] = f.check(value, `${at}.${k}`);
      } else {
        out[k] = f(value, `${at}.${k}`);
      }
    }
    return out as ObjectOf<S>;
  };
}

/** Objects told apart by a string `kind` field. */
export function tagged<V extends Record<string, Validator<object>>>(variants: V): Validator<{ [K in keyof V]: Infer<V[K]> }[keyof V]> {
  return (v, at) => {
    if (!isPlainObject(v)) fail(at, `expected an object, got ${describe(v)}`);
    const kind = v.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(variants, kind)) fail(`${at}.kind`, `must be one of ${Object.keys(variants).join(', ')}`);
    return variants[kind]!(v, at) as { [K in keyof V]: Infer<V[K]> }[keyof V];
  };
}

export function literal<const T extends string>(value: T): Validator<T> {
  return (v, at) => {
    if (v !== value) fail(at, `must be "${value}"`);
    return value;
  };
}
