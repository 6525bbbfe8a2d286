import type { Tensor } from '../tensor.ts';
import type { FloatDType } from './tensor-data.ts';

/** One tensor of an open checkpoint, validated but not read yet, so callers can read (or skip) them one by one. */
export interface TensorSource {
  readonly name: string;
  readonly shape: readonly number[];
  /** How the file stores it; `read()` always returns float32. */
  readonly dtype: FloatDType;
  /** Bytes `read()` will take from the file. */
  readonly byteLength: number;
  read(): Promise<Tensor>;
}
