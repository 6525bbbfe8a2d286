// Errors that cross the API boundary: a code the front door maps (HTTP status, IPC rejection) and one
// line of text for the user. Internal errors never leak stacks to the renderer.
export type ApiErrorCode = 'bad_request' | 'not_found' | 'forbidden' | 'too_large' | 'conflict' | 'unsupported' | 'failed';

export class ApiError extends Error {
  readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export interface ApiErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

export const HTTP_STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  failed: 500,
};

/** Any thrown value → the error the front door reports (first line of the message only). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ApiError('failed', message.split('\n')[0] ?? 'failed');
}

export function isApiErrorBody(v: unknown): v is ApiErrorBody {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' && typeof (e as { code?: unknown }).code === 'string';
}
