// `foley model download NAME`: fetch an official checkpoint into <data-dir>/checkpoints (kept, so a
// newer converter can re-convert without downloading again), verify it, convert it.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import type { ProgressListener } from '../progress.ts';
import type { PrecisionRequest, ProviderName } from '../../base/types.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import { downloadFile } from './download.ts';
import { driveFileId, driveOpener } from './google-drive.ts';
import { findOfficial, OFFICIAL_CHECKPOINTS, sizeBounds } from './official-checkpoints.ts';
import type { OfficialCheckpoint } from './official-checkpoints.ts';
import { importModel } from './store.ts';
import type { ImportResult } from './store.ts';

export interface DownloadModelOptions {
  /** Another address for the same file (a mirror, or a local server in tests). */
  readonly url?: string;
  readonly precision?: PrecisionRequest;
  /** The provider auto measures on. */
  readonly provider?: ProviderName | 'auto';
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  readonly retryDelayMs?: number;
}

const FAMILY_TITLES: Readonly<Record<string, string>> = { cavmae: 'CAV-MAE', 'cavmae-sync': 'CAV-MAE Sync' };
const FIELD_NAMES: Readonly<Record<string, string>> = { embedDim: 'width', registers: 'register tokens', audioFrames: 'audio frames' };

const familyTitle = (family: string): string => FAMILY_TITLES[family] ?? family;

/** The structure check: family, kind, classes, and the entry's expected configuration fields. */
export function checkStructure(entry: OfficialCheckpoint, config: ModelConfig, dest: string): void {
  // A configuration without a family is CAV-MAE's (manifests predate families), and so is an entry without one.
  const got = config.family ?? 'cavmae';
  const want = entry.family ?? 'cavmae';
  if (got !== want) {
    throw new FoleyError(`the download is not a ${familyTitle(want)} checkpoint (it reads as ${familyTitle(got)}), so it is not ${entry.name}; delete it to download again`, {
      file: dest,
      code: 'unsupported',
    });
  }
  if (config.kind !== entry.kind || config.numClasses !== entry.numClasses) {
    const gotKind = config.numClasses === null ? 'a pretrained model' : `a ${config.numClasses}-class fine-tuned model`;
    const wantKind = entry.numClasses === null ? 'a pretrained model' : `a ${entry.numClasses}-class fine-tuned model`;
    throw new FoleyError(`the download is ${gotKind}, but ${entry.name} is ${wantKind}`, { file: dest });
  }
  // Fields another family's configuration adds (registers) are read off the object as it is.
  const fields = config as unknown as Readonly<Record<string, unknown>>;
  for (const [field, value] of Object.entries(entry.expect ?? {})) {
    if (fields[field] !== value) {
      const name = FIELD_NAMES[field] ?? field;
      throw new FoleyError(`the download's ${name} is ${String(fields[field] ?? 'not given')}, but ${entry.name}'s is ${value}; delete it to download again`, { file: dest, code: 'unsupported' });
    }
  }
}

/** The size check, before the (slower) structure check. */
export function checkSize(entry: OfficialCheckpoint, size: number, dest: string): void {
  const { min, max, estimated } = sizeBounds(entry);
  if (size >= min && size <= max) return;
  if (!estimated) throw new FoleyError(`downloaded ${size} bytes, expected about ${entry.approxBytes} for ${entry.title}; delete it and retry`, { file: dest });
  const mb = (n: number): string => `${Math.round(n / 1e6)} MB`;
  throw new FoleyError(
    `downloaded ${size} bytes; ${entry.title} should be ${mb(min)}–${mb(max)} (estimated from its architecture: the authors publish no size), so this is probably another file. ` +
      `Delete it and retry, or if you trust it, import it with "foley model import ${dest} --name ${entry.name}"`,
    { file: dest },
  );
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
  // A file the catalog keeps on Google Drive goes through Drive's confirm page, even from another
  // address given for it (a mirror that serves the file directly passes through untouched).
  const onDrive = driveFileId(url) !== undefined || driveFileId(entry.url) !== undefined;
  // Drive links carry session tokens (uuid, at) that expire and change: the file id names the download.
  const fileId = driveFileId(url);
  const alreadyThere = await stat(dest).then((s) => s.isFile(), () => false);
  if (!alreadyThere) {
    await downloadFile(url, dest, {
      ...(fileId !== undefined ? { key: `google-drive:${fileId}` } : {}),
      ...(onDrive ? { open: driveOpener({ name: entry.name }) } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }
  // Only the official file has a known size; a mirror in tests may hold a small checkpoint.
  if (options.url === undefined) checkSize(entry, (await stat(dest)).size, dest);
  return importModel(dataDir, dest, {
    name: entry.name,
    origin: 'download',
    url,
    ...(options.precision ? { precision: options.precision } : {}),
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    verify: (config) => checkStructure(entry, config, dest),
  });
}
