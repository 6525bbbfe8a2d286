// Spectrograms of indexed windows for the app (the audio map is drawn over them there): the window's
// model input as the default family prepares it, rendered once and cached next to the thumbnails in
// <data-dir>/spectrograms/<file fingerprint>/<start ms>.png.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SAMPLE_RATE } from '../../base/window-plan.ts';
import type { Database } from '../../db/connection.ts';
import { getFile } from '../../db/files.ts';
import { windowStartingAt } from '../../db/windows.ts';
import { fbankFrameCount } from '../../native-models/preprocess/fbank.ts';
import { audioWindowFeatures } from '../embedding/file.ts';
import { encodePng, thumbKey } from '../indexing/thumbnails.ts';
import { spectrogramImage } from './render.ts';

/** The spectrogram of a window's audio: [frames, bins] model input → grey PNG bytes. */
export async function renderSpectrogram(file: string, start: number, seconds: number): Promise<Buffer> {
  const features = await audioWindowFeatures(file, { start, seconds });
  const [frames, bins] = features.shape;
  const realFrames = fbankFrameCount(Math.round(Math.min(seconds, frames / 100) * SAMPLE_RATE), { sampleRate: SAMPLE_RATE, melBins: bins });
  return encodePng(spectrogramImage(features.data, frames, bins, realFrames));
}

/** The cached PNG of the window of `fileId` starting at `startMs`, made now when missing; undefined for an unknown window. */
export async function ensureSpectrogram(db: Database, dataDir: string, fileId: number, startMs: number): Promise<string | undefined> {
  const file = getFile(db, fileId);
  const win = file === undefined ? undefined : windowStartingAt(db, fileId, startMs);
  if (file === undefined || win === undefined) return undefined;
  const out = path.join(dataDir, 'spectrograms', thumbKey(file), `${Math.round(win.startS * 1000)}.png`);
  if (existsSync(out)) return out;
  const png = await renderSpectrogram(file.path, win.startS, win.endS - win.startS);
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, png);
  await rename(tmp, out);
  return out;
}
