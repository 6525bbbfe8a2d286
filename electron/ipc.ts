// Electron's IPC boundary as a plain function (electron/main.ts wires it to ipcMain.handle): a call is
// accepted only from the app's own page, for a method of the contract, with parameters that pass the
// contract's validators; then it is forwarded (to the utility process). Errors cross IPC as
// "code: message" (Electron keeps only an Error's message).
import { isMethod, validateRequest } from '../core/api/contract.ts';
import { ApiError, toApiError } from '../core/api/errors.ts';

export const APP_ORIGIN = 'foley-app://app';

export interface IpcCallHandlerOptions {
  /** Where the renderer is loaded from; frames elsewhere (a navigated or injected page) are refused. */
  readonly trustedOrigin?: string;
  readonly forward: (method: string, params: unknown) => Promise<unknown>;
}

export type IpcCallHandler = (senderUrl: string | undefined, method: unknown, params: unknown) => Promise<unknown>;

export function createIpcCallHandler(options: IpcCallHandlerOptions): IpcCallHandler {
  const trusted = options.trustedOrigin ?? APP_ORIGIN;
  return async (senderUrl, method, params) => {
    try {
      // Custom schemes have an opaque URL origin in Node ("null"): compare scheme and host instead.
      const url = senderUrl !== undefined && URL.canParse(senderUrl) ? new URL(senderUrl) : undefined;
      const senderOrigin = url !== undefined ? `${url.protocol}//${url.host}` : undefined;
      if (senderOrigin !== trusted) throw new ApiError('forbidden', 'calls are accepted only from the app window');
      if (!isMethod(method)) throw new ApiError('bad_request', `unknown method "${String(method).slice(0, 60)}"`);
      const checked = validateRequest(method, params);
      return await options.forward(method, checked);
    } catch (e) {
      const err = toApiError(e);
      throw new Error(`${err.code}: ${err.message}`, { cause: e });
    }
  };
}
