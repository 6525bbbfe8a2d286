// Argument parsing on node:util parseArgs: strict (unknown flags are errors), with the options every
// command shares. A UsageError exits 2 with the command's help hint; everything else exits 1.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { resolveDataDir } from '../core/data-dir.ts';
import { parseProvider } from '../core/models/providers.ts';
import type { ProviderName } from '../base/types.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies Options;

export const RUNTIME_OPTIONS = {
  provider: { type: 'string' },
  threads: { type: 'string' },
} as const satisfies Options;

export function parse<O extends Options>(argv: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export function dataDirFrom(values: { 'data-dir'?: string | boolean | undefined }): string {
  const v = values['data-dir'];
  return resolveDataDir(typeof v === 'string' ? v : undefined);
}

export function numberOption(name: string, value: unknown, { min = -Infinity, integer = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''} (got "${String(value)}")`);
  }
  return n;
}

export function runtimeFrom(values: { provider?: string | boolean | undefined; threads?: string | boolean | undefined }): {
  provider?: ProviderName | 'auto';
  threads?: number;
} {
  const out: { provider?: ProviderName | 'auto'; threads?: number } = {};
  if (typeof values.provider === 'string') {
    try {
      out.provider = parseProvider(values.provider);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  }
  const threads = numberOption('threads', values.threads, { min: 1, integer: true });
  if (threads !== undefined) out.threads = threads;
  return out;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** `--at FILE@SECONDS`: split at the last `@` (file names may contain one). */
export function momentArg(value: string): { file: string; at: number } {
  const i = value.lastIndexOf('@');
  const at = i > 0 ? numberOption('at', value.slice(i + 1), { min: 0 }) : undefined;
  if (at === undefined) throw new UsageError(`--at must be FILE@SECONDS (got "${value}")`);
  return { file: value.slice(0, i), at };
}
