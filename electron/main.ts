// Electron main process: window, menus, lifecycle, protocols and IPC wiring — nothing else. The library
// lives in a utility process (worker.ts); every IPC call is checked against the contract here
// (ipc.ts) before it is forwarded there, and media reaches the renderer only through the
// foley-media: protocol, confined to the library folders (protocol.ts, core/api/media.ts).
// All logic is in Electron-free modules tested under Node; this file cannot run without Electron.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess } from 'electron';
import type { MenuItemConstructorOptions, UtilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { IPC } from '../core/api/contract.ts';
import { APP_ORIGIN, createIpcCallHandler } from './ipc.ts';
import { APP_SCHEME, createAppProtocolHandler, createMediaProtocolHandler, MEDIA_SCHEME } from './protocol.ts';
import { rpcClient } from './rpc.ts';
import type { RpcClient } from './rpc.ts';
import { resolveDataDir } from '../core/data-dir.ts';

const here = import.meta.dirname; // dist/app/electron
const appRoot = path.join(here, '..', '..', '..'); // the folder holding renderer/dist
const rendererDir = path.join(appRoot, 'renderer', 'dist');

// Before ready: both schemes behave like https (standard, secure) so 'self' and CSP apply normally.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
]);

// ffmpeg bundled with a packaged app (see README): resources/ffmpeg/ffmpeg[.exe], else PATH.
const bundled = path.join(process.resourcesPath, 'ffmpeg', process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
if (process.env.FOLEY_FFMPEG === undefined && existsSync(bundled)) {
  process.env.FOLEY_FFMPEG = bundled;
  process.env.FOLEY_FFPROBE = path.join(path.dirname(bundled), process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe');
}

let worker: UtilityProcess | null = null;
let client: RpcClient | null = null;
let mainWindow: BrowserWindow | null = null;

function startWorker(): RpcClient {
  const child = utilityProcess.fork(path.join(here, 'worker.js'), ['--data-dir', resolveDataDir(undefined)], { serviceName: 'Foley library', stdio: 'inherit' });
  const listeners: Array<(m: unknown) => void> = [];
  child.on('message', (m: unknown) => {
    for (const l of listeners) l(m);
  });
  const c = rpcClient({ postMessage: (m) => child.postMessage(m), onMessage: (l) => listeners.push(l) });
  c.onEvent((event) => mainWindow?.webContents.send(IPC.event, event));
  child.on('exit', (code) => {
    c.fail(`the library process exited (${code})`);
    if (worker === child) {
      worker = null;
      client = null;
    }
  });
  worker = child;
  return c;
}

function api(): RpcClient {
  client ??= startWorker();
  return client;
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'Foley',
    show: false,
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  mainWindow = win;
  // Nothing in the renderer may open windows or navigate away from the app.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

function buildMenu(): void {
  const send = (channel: 'add-folder' | 'import-model'): void => {
    void (async () => {
      const picked = channel === 'add-folder' ? await pickFolder() : await pickCheckpoint();
      if (picked === null) return;
      if (channel === 'add-folder') {
        await api().call('library.addRoot', { path: picked });
        await api().call('index.start', {}).catch(() => undefined);
      } else {
        await api().call('models.import', { file: picked });
      }
    })().catch((e: unknown) => dialog.showErrorBox('Foley', e instanceof Error ? e.message : String(e)));
  };
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Add Folder…', accelerator: 'CmdOrCtrl+O', click: () => send('add-folder') },
        { label: 'Import Model…', click: () => send('import-model') },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [{ role: 'reload' }, ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]), { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function pickFolder(): Promise<string | null> {
  const r = mainWindow !== null ? await dialog.showOpenDialog(mainWindow, { properties: ['openDirectory'] }) : await dialog.showOpenDialog({ properties: ['openDirectory'] });
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

async function pickCheckpoint(): Promise<string | null> {
  const opts = { properties: ['openFile' as const], filters: [{ name: 'CAV-MAE checkpoints', extensions: ['pth', 'pt', 'safetensors'] }] };
  const r = mainWindow !== null ? await dialog.showOpenDialog(mainWindow, opts) : await dialog.showOpenDialog(opts);
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

const onlyFromApp = (frameUrl: string | undefined): boolean => frameUrl !== undefined && frameUrl.startsWith(`${APP_ORIGIN}/`);

await app.whenReady();
const appHandler = createAppProtocolHandler(rendererDir);
const mediaHandler = createMediaProtocolHandler((ref) => api().resolveMedia(ref));
protocol.handle(APP_SCHEME, (request) => appHandler(request));
protocol.handle(MEDIA_SCHEME, (request) => mediaHandler(request));
// The microphone (search by recording) is the one permission the app asks for, and only for its own page.
session.defaultSession.setPermissionRequestHandler((wc, permission, callback) => callback(permission === 'media' && onlyFromApp(wc.getURL())));
session.defaultSession.setPermissionCheckHandler((wc, permission) => permission === 'media' && onlyFromApp(wc?.getURL()));

const callHandler = createIpcCallHandler({ forward: (method, params) => api().call(method, params) });
ipcMain.handle(IPC.call, (event, method: unknown, params: unknown) => callHandler(event.senderFrame?.url, method, params));
ipcMain.handle(IPC.pickFolder, (event) => (onlyFromApp(event.senderFrame?.url) ? pickFolder() : null));
ipcMain.handle(IPC.pickCheckpoint, (event) => (onlyFromApp(event.senderFrame?.url) ? pickCheckpoint() : null));

buildMenu();
createWindow();
app.on('activate', () => {
  if (BrowserWindow.getAllWindows().length === 0) createWindow();
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', () => {
  // The worker stops indexing resumably (committed files stay) on SIGTERM.
  worker?.kill();
});
