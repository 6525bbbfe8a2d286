// `foley model download NAME`: fetch an official checkpoint into <data-dir>/checkpoints (kept, so a
// newer converter can re-convert without downloading again), verify it, convert it.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import type { ProgressListener } from '../progress.ts';
import type { Precision } from '../../base/types.ts';
import { downloadFile } from './download.ts';
import { findOfficial, OFFICIAL_CHECKPOINTS } from './official-checkpoints.ts';
import { importModel } from './store.ts';
import type { ImportResult } from './store.ts';

export interface DownloadModelOptions {
  /** Another address for the same file (a mirror, or a local server in tests). */
  readonly url?: string;
  readonly precision?: Precision;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  readonly retryDelayMs?: number;
}

export async function downloadOfficialModel(dataDir: string, name: string, options: DownloadModelOptions = {}): Promise<ImportResult> {
  const entry = findOfficial(name);
  if (entry === undefined) {
    throw new FoleyError(`unknown model "${name}"; official checkpoints: ${OFFICIAL_CHECKPOINTS.map((c) => c.name).join(', ')}`);
  }
  const dir = path.join(dataDir, 'checkpoints');
  await mkdir(dir, { recursive: true });
  const dest = path.join(dir, `${entry.name}.pth`);
  const url = options.url ?? entry.url;
  const alreadyThere = await stat(dest).then((s) => s.isFile(), () => false);
  if (!alreadyThere) {
    await downloadFile(url, dest, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }
  if (options.url === undefined) {
    // Only the official file has a known size; a mirror in tests may hold a small checkpoint.
    const { size } = await stat(dest);
    if (Math.abs(size - entry.approxBytes) > entry.approxBytes * 0.05) {
      throw new FoleyError(`downloaded ${size} bytes, expected about ${entry.approxBytes} for ${entry.title}; delete it and retry`, { file: dest });
    }
  }
  return importModel(dataDir, dest, {
    name: entry.name,
    origin: 'download',
    url,
    ...(options.precision ? { precision: options.precision } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    verify: (config) => {
      if (config.kind !== entry.kind || config.numClasses !== entry.numClasses) {
        const got = config.numClasses === null ? 'a pretrained model' : `a ${config.numClasses}-class fine-tuned model`;
        const want = entry.numClasses === null ? 'a pretrained model' : `a ${entry.numClasses}-class fine-tuned model`;
        throw new FoleyError(`the download is ${got}, but ${entry.name} is ${want}`, { file: dest });
      }
    },
  });
}
