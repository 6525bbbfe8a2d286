// Preload: the only bridge between the sandboxed renderer and the main process. It exposes a
// fixed, typed surface (window.foley); the renderer never sees ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('foley', {
  version: (): Promise<string> => ipcRenderer.invoke('foley:version') as Promise<string>,
});
