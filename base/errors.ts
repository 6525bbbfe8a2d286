// Errors users see. Every message names the file it is about (when there is one) and the first problem,
// so the CLI can print one line and the UI one toast without a stack trace. Every error carries a
// stable `code`; the front doors map codes to transport statuses in one table (core/api/errors.ts),
// never by reading the message.
export type ErrorCode = 'bad_request' | 'not_found' | 'forbidden' | 'too_large' | 'conflict' | 'unsupported' | 'failed';

export const ERROR_CODES: readonly ErrorCode[] = ['bad_request', 'not_found', 'forbidden', 'too_large', 'conflict', 'unsupported', 'failed'];

export interface FoleyErrorOptions {
  readonly file?: string;
  readonly cause?: unknown;
  /** What kind of problem this is; default `bad_request` (the input was wrong). */
  readonly code?: ErrorCode;
}

export class FoleyError extends Error {
  readonly file: string | undefined;
  readonly code: ErrorCode;

  constructor(message: string, options: FoleyErrorOptions = {}) {
    super(options.file !== undefined ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.name = 'FoleyError';
    this.file = options.file;
    this.code = options.code ?? 'bad_request';
  }
}

/** A checkpoint that is not a readable, safe, CAV-MAE state dict. */
export class CheckpointError extends FoleyError {
  constructor(file: string, message: string, cause?: unknown) {
    super(message, { file, cause, code: 'unsupported' });
    this.name = 'CheckpointError';
  }
}

/** ffmpeg/ffprobe missing (code `failed`), a file it cannot decode, or a decode that timed out (`unsupported`). */
export class MediaError extends FoleyError {
  constructor(file: string | undefined, message: string, cause?: unknown, code: ErrorCode = 'unsupported') {
    super(message, { ...(file !== undefined ? { file } : {}), cause, code });
    this.name = 'MediaError';
  }
}
