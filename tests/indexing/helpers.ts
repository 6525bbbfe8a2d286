// A library for indexing tests: the media corpus (minus its 30-minute file) plus a few plain clips,
// the tiny CAV-MAE checkpoint imported into a fresh data directory.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { generateCorpus } from '../media/corpus.ts';
import type { CorpusCase } from '../media/corpus.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';

export function ffmpeg(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err))));
  });
}

/** A small h264/aac clip: `seconds` long, a tone of `hz`, a test pattern. */
export function makeClip(file: string, seconds: number, hz: number, pattern = 'testsrc'): Promise<void> {
  return ffmpeg([
    '-f', 'lavfi', '-i', `${pattern}=size=96x64:rate=5:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=16000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
  ]);
}

export interface TestLibrary {
  readonly root: string;
  readonly dataDir: string;
  readonly model: InstalledModel;
  readonly cases: CorpusCase[];
}

export async function makeLibrary(): Promise<TestLibrary> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-index-'));
  const root = path.join(base, 'videos');
  const dataDir = path.join(base, 'data');
  mkdirSync(path.join(root, 'clips'), { recursive: true });
  const all = await generateCorpus(root);
  const cases = all.filter((c) => c.name !== 'long30min.mkv');
  // The generator leaves its intermediate files (and the 30-min file, too slow here) next to the cases.
  const keep = new Set(cases.map((c) => c.name));
  for (const name of readdirSync(root)) if (!keep.has(name) && name !== 'clips') rmSync(path.join(root, name));
  const extra: Array<[string, number, number]> = [
    ['clips/a.mp4', 4, 300],
    ['clips/b.mp4', 12, 500],
    ['clips/c.mp4', 21, 700],
    ['clips/d.mp4', 9.5, 900],
    ['clips/e.mp4', 30, 1100],
    ['clips/f.mp4', 2, 1300],
  ];
  for (const [name, seconds, hz] of extra) {
    const file = path.join(root, name);
    await makeClip(file, seconds, hz);
    const windows: Array<[number, number]> = [];
    for (let s = 0; s < seconds; s += 10) if (seconds - s >= 1 || s === 0) windows.push([s, Math.min(s + 10, seconds)]);
    cases.push({ name, file, description: `${seconds} s clip`, expect: { duration: seconds, windows } });
  }
  const { model } = await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  return { root, dataDir, model, cases };
}
