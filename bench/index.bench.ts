// Indexing throughput with the full-size model on CPU: a generated 30-minute corpus (6 × 5 min,
// 640×360 h264/aac), a full-size random CAV-MAE checkpoint written as safetensors and imported the
// way users import one. Reports windows/s, video-hours per hour, time per stage, and database size
// per indexed hour. Run alone: npx node bench/index.bench.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseEncoders } from '../core/embedding/encoders.ts';
import { runIndex } from '../core/indexing/indexer.ts';
import { emptyStats } from '../core/indexing/progress.ts';
import { openLibrary } from '../core/library/handle.ts';
import { importModel } from '../core/models/store.ts';
import { randomStateDict, writeSafetensors } from './random-checkpoint.ts';

const CORPUS = path.join(os.tmpdir(), 'foley-bench-index');
const FILES = Number(process.env.BENCH_INDEX_FILES ?? 6);
const SECONDS = Number(process.env.BENCH_INDEX_SECONDS ?? 300);

function corpus(): string[] {
  mkdirSync(CORPUS, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const file = path.join(CORPUS, `clip${i}-${SECONDS}s.mp4`);
    if (!existsSync(file)) {
      const r = spawnSync('ffmpeg', [
        '-nostdin', '-v', 'error', '-y',
        '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${SECONDS}`,
        '-f', 'lavfi', '-i', `anoisesrc=color=pink:seed=${i}:duration=${SECONDS}:sample_rate=44100`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
      ]);
      if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    }
    files.push(file);
  }
  return files;
}

function dbBytes(dataDir: string): number {
  return ['foley.db', 'foley.db-wal'].reduce((s, f) => s + (existsSync(path.join(dataDir, f)) ? statSync(path.join(dataDir, f)).size : 0), 0);
}

export async function benchIndex(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const files = corpus();
  console.log(`corpus: ${files.length} × ${SECONDS} s in ${((performance.now() - t0) / 1000).toFixed(0)} s (cached in ${CORPUS})`);
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-index-run-'));
  try {
    const ckpt = path.join(base, 'full-random.safetensors');
    writeSafetensors(ckpt, randomStateDict());
    const dataDir = path.join(base, 'data');
    const t1 = performance.now();
    const { model } = await importModel(dataDir, ckpt, { name: 'full' });
    const importS = (performance.now() - t1) / 1000;
    rmSync(ckpt);
    const root = path.join(base, 'videos');
    mkdirSync(root);
    for (const f of files) spawnSync('ln', ['-s', f, path.join(root, path.basename(f))]);
    const library = openLibrary(dataDir);
    const stats = emptyStats();
    const t2 = performance.now();
    // Thumbnails off: the bench measures indexing as it was first measured (embeddings only).
    const summary = await runIndex({ library, model, roots: [root], provider: 'cpu', stats, thumbnails: false });
    const wallS = (performance.now() - t2) / 1000;
    library.close();
    await releaseEncoders();
    const hours = stats.mediaSeconds / 3600;
    const result = {
      files: files.length,
      windows: summary.windows,
      mediaHours: hours,
      importSeconds: importS,
      wallSeconds: wallS,
      windowsPerSecond: summary.windows / wallS,
      videoHoursPerHour: stats.mediaSeconds / wallS,
      stagesMs: stats,
      dbBytesPerIndexedHour: dbBytes(dataDir) / hours,
      cpus: os.cpus().length,
      load: os.loadavg(),
    };
    const pct = (ms: number): string => `${((ms / 1000 / wallS) * 100).toFixed(0)}%`;
    console.log(`indexed ${summary.windows} windows (${hours.toFixed(2)} h of video) in ${wallS.toFixed(1)} s: ${result.windowsPerSecond.toFixed(2)} windows/s, ${result.videoHoursPerHour.toFixed(1)} video-hours per hour`);
    console.log('stage         ms       share of wall (inference overlaps decoding)');
    for (const [k, v] of Object.entries(stats)) if (k.endsWith('Ms')) console.log(`${k.replace('Ms', '').padEnd(12)} ${v.toFixed(0).padStart(8)}  ${pct(v)}`);
    console.log(`database: ${(result.dbBytesPerIndexedHour / 2 ** 20).toFixed(2)} MiB per indexed hour (vectors, windows and HNSW graphs)`);
    return result;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchIndex();
