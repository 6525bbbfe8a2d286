// A small real library for search tests: short lavfi videos (chosen tones/noises and pictures), indexed
// with the tiny test model (pre-d32-11x1, D=32) through the same decode → features → encoder path
// the indexer uses, stored with db's addFile + replaceFileWindows.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embedFileWindows } from '../../core/indexing/embed-windows.ts';
import { encoderFor } from '../../core/embedding/encoders.ts';
import { modelRecord, openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { importModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { addFile, updateFile } from '../../db/files.ts';
import type { Model } from '../../db/models.ts';
import { startRun } from '../../db/runs.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { probeMedia } from '../../media/probe.ts';
import { mediaDuration, planMediaWindows } from '../../media/decode-windows.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';

export interface ClipSpec {
  /** Path relative to the library folder. */
  readonly name: string;
  /** lavfi audio source, or null for no audio. */
  readonly audio: string | null;
  /** lavfi video source (64x64), or null for audio only. */
  readonly video: string | null;
  readonly seconds: number;
}

export function ffmpeg(args: readonly string[]): void {
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
}

export function makeClip(dir: string, spec: ClipSpec): string {
  const file = path.join(dir, spec.name);
  mkdirSync(path.dirname(file), { recursive: true });
  const args: string[] = [];
  const opts = (src: string, more: string): string => `${src}${src.includes('=') ? ':' : '='}${more}`;
  if (spec.audio !== null) args.push('-f', 'lavfi', '-i', opts(spec.audio, `duration=${spec.seconds}`));
  if (spec.video !== null) args.push('-f', 'lavfi', '-i', opts(spec.video, `size=64x64:rate=4`));
  if (spec.video !== null) args.push('-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '4');
  if (spec.audio !== null) args.push('-c:a', spec.video === null ? 'pcm_s16le' : 'aac', '-ar', '16000');
  args.push('-t', String(spec.seconds), file);
  ffmpeg(args);
  return file;
}

export interface TestLibrary {
  readonly dir: string;
  readonly dataDir: string;
  readonly library: Library;
  readonly model: InstalledModel;
  readonly modelRow: Model;
  readonly files: Record<string, string>;
}

export async function importTinyModel(dataDir: string): Promise<InstalledModel> {
  const r = await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  return r.model;
}

/** Indexes one file into the library (10-s windows). */
export async function indexFile(t: { library: Library; model: InstalledModel; modelRow: Model }, file: string): Promise<number> {
  const { db } = t.library;
  const info = await probeMedia(file);
  const plan = planMediaWindows(info);
  const { windows } = await embedFileWindows(file, info, plan, encoderFor(t.model, { provider: 'cpu' }), { batchSize: 8 });
  const st = statSync(file);
  const f = addFile(db, { path: file, size: st.size, mtimeMs: st.mtimeMs });
  updateFile(db, f.id, { durationS: mediaDuration(info) });
  const run = startRun(db, { modelId: t.modelRow.id, provider: 'cpu', threads: null });
  replaceFileWindows(db, f.id, run.id, windows);
  return f.id;
}

export async function buildLibrary(specs: readonly ClipSpec[]): Promise<TestLibrary> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-search-lib-'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-search-data-'));
  const model = await importTinyModel(dataDir);
  const library = openLibrary(dataDir);
  const modelRow = modelRecord(library, model);
  const files: Record<string, string> = {};
  for (const s of specs) files[s.name] = makeClip(dir, s);
  for (const s of specs) await indexFile({ library, model, modelRow }, files[s.name]!);
  return { dir, dataDir, library, model, modelRow, files };
}

/**
 * The mismatched library: the sound and the picture of each file are chosen independently, so a
 * sound match and a picture match point at different files.
 *   a/tone440-bars   440 Hz tone, SMPTE bars          a/tone440-mandel  440 Hz tone, mandelbrot
 *   b/noise-bars     white noise, SMPTE bars          b/chirp-red       rising tone, red picture
 *   b/brown-test     brown noise, testsrc (changes every window: 2 of 3 windows differ)
 *   a/only-audio.wav pink noise, no picture
 */
export const SPECS: readonly ClipSpec[] = [
  { name: 'a/tone440-bars.mp4', audio: 'sine=frequency=440', video: 'smptebars', seconds: 20 },
  { name: 'a/tone440-mandel.mp4', audio: 'sine=frequency=440', video: 'mandelbrot', seconds: 20 },
  { name: 'b/noise-bars.mp4', audio: 'anoisesrc=color=white:seed=1', video: 'smptebars', seconds: 20 },
  { name: 'b/chirp-red.mp4', audio: "aevalsrc=sin(2*PI*(200+40*t)*t)", video: 'color=c=red', seconds: 20 },
  { name: 'b/brown-test.mp4', audio: 'anoisesrc=color=brown:seed=2', video: 'testsrc', seconds: 30 },
  { name: 'a/only-audio.wav', audio: 'anoisesrc=color=pink:seed=3', video: null, seconds: 20 },
];
