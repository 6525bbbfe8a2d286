// Errors users see. Every message names the file it is about (when there is one) and the first problem,
// so the CLI can print one line and the UI one toast without a stack trace.
export class FoleyError extends Error {
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file !== undefined ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.name = 'FoleyError';
    this.file = options.file;
  }
}

/** A checkpoint that is not a readable, safe, CAV-MAE state dict. */
export class CheckpointError extends FoleyError {
  constructor(file: string, message: string, cause?: unknown) {
    super(message, { file, cause });
    this.name = 'CheckpointError';
  }
}

/** ffmpeg/ffprobe missing, a file it cannot decode, or a decode that timed out. */
export class MediaError extends FoleyError {
  constructor(file: string | undefined, message: string, cause?: unknown) {
    super(message, file !== undefined ? { file, cause } : { cause });
    this.name = 'MediaError';
  }
}
