// Utility process (Electron's utilityProcess.fork): owns the library — SQLite, ONNX Runtime, ffmpeg,
// indexing — so inference and indexing never stall the window. It answers the main process's calls
// over process.parentPort with the same API `foley serve` uses (core/api/handlers.ts).
import type {} from 'electron'; // process.parentPort's types
import { createApi } from '../core/api/handlers.ts';
import { serveRpc } from './rpc.ts';

const port = process.parentPort;
const dataDir = process.argv[process.argv.indexOf('--data-dir') + 1];
if (dataDir === undefined || dataDir === '') throw new Error('worker: --data-dir is required');
const api = createApi({ dataDir });
serveRpc(
  {
    postMessage: (m) => port.postMessage(m),
    onMessage: (listener) => port.on('message', (e) => listener(e.data)),
  },
  api,
);
process.on('SIGTERM', () => {
  void api.close().finally(() => process.exit(0));
});
