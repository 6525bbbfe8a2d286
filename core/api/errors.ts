// Errors that cross the API boundary: a code the front door maps (HTTP status here, in HTTP_STATUS;
// IPC and RPC carry the code itself) and one line of text for the user. Every user error in the core is
// a FoleyError with its code (base/errors.ts); toApiError keeps that code, so one error has one status
// whichever front door reports it. Internal errors never leak stacks to the renderer.
import { FoleyError } from '../../base/errors.ts';
import type { ErrorCode } from '../../base/errors.ts';

export type ApiErrorCode = ErrorCode;

/** A FoleyError raised by the API layer itself (validation, routing), code first for readability. */
export class ApiError extends FoleyError {
  constructor(code: ApiErrorCode, message: string) {
    super(message, { code });
    this.name = 'ApiError';
  }
}

export interface ApiErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

/** The one table from error code to HTTP status. */
export const HTTP_STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  failed: 500,
};

/** Any thrown value → the error the front door reports: its code (FoleyError), else 'failed'; the first line of the message only. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'failed';
  return new ApiError(e instanceof FoleyError ? e.code : 'failed', message);
}

export function isApiErrorBody(v: unknown): v is ApiErrorBody {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' && typeof (e as { code?: unknown }).code === 'string';
}
