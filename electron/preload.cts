// Preload: the only bridge between the sandboxed renderer and the main process. Sandboxed preloads are
// CommonJS and may require only 'electron' (hence .cts and no local imports at runtime). It exposes a
// fixed, typed surface (window.foley, core/api/contract.ts PreloadBridge); the renderer never sees
// ipcRenderer. Everything it sends is validated again by the main process.
import type { ApiEvent, IPC, Method, PreloadBridge } from '../core/api/contract.ts';
import type * as Electron from 'electron';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer, webUtils } = require('electron') as typeof Electron;

const CHANNELS: typeof IPC = { call: 'foley:call', event: 'foley:event', pickFolder: 'foley:pick-folder', pickCheckpoint: 'foley:pick-checkpoint' };

const bridge: PreloadBridge = {
  call: (method: Method, params: unknown) => ipcRenderer.invoke(CHANNELS.call, method, params),
  onEvent(listener) {
    const wrapped = (_e: unknown, event: ApiEvent): void => listener(event);
    ipcRenderer.on(CHANNELS.event, wrapped);
    return () => {
      ipcRenderer.off(CHANNELS.event, wrapped);
    };
  },
  pickFolder: () => ipcRenderer.invoke(CHANNELS.pickFolder) as Promise<string | null>,
  pickCheckpoint: () => ipcRenderer.invoke(CHANNELS.pickCheckpoint) as Promise<string | null>,
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('foley', bridge);
