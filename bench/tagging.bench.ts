// Tags at index time (issue 17): what tagging a window costs, and what its logits take on disk.
// Cost: a full-size random fine-tuned CAV-MAE (527 classes; bench/random-checkpoint.ts, random weights:
// timing does not depend on them), fp32 and int8, CPU, on a 640×360 h264 clip (bench/generated-media.ts).
// Per window, wall time of a whole run (decode included, sessions loaded cold like a fresh process;
// the model's threads and batch measured beforehand on a short clip),
// for the three recipes — audio only (the official *-audio files), audio-visual with the middle
// picture (the default for other checkpoints), audio-visual with 10 pictures (as2m-av, vggsound-av)
// — and as ratios to embedding the same windows (`foley index`, same model, same run, also cold).
// Storage: bytes per window of class_logits for 527 and 309 classes, from the growth of the SQLite
// file (WAL checkpointed) after 10,000 rows, against the 2,108 / 1,236 bytes of the vectors alone
// (a 4-KiB page holds one 527-class row, three 309-class ones).
// Time it alone: flock /tmp/foley-bench.lock nice -n 5 npm run bench tagging
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseEncoders } from '../core/embedding/encoders.ts';
import { runIndex } from '../core/indexing/indexer.ts';
import { modelRecord, openLibrary } from '../core/library/handle.ts';
import type { Library } from '../core/library/handle.ts';
import { importModel } from '../core/models/store.ts';
import type { InstalledModel } from '../core/models/store.ts';
import { tagLibrary } from '../core/tagging/tag-library.ts';
import { putClassLogits } from '../db/class-logits.ts';
import { databasePath } from '../db/connection.ts';
import { addFile, getFileByPath } from '../db/files.ts';
import { replaceFileWindows } from '../db/windows.ts';
import { cachedMedia } from './generated-media.ts';
import { FULL_SIZE, randomStateDict, writeSafetensors } from './random-checkpoint.ts';

const SECONDS = Number(process.env.BENCH_TAGGING_SECONDS ?? 120);
const STORED_ROWS = 10_000;
const round = (x: number, d = 1): number => Number(x.toFixed(d));

/** The same installed model under another name: its own rows (so every window is untagged again) and, for official names, the official recipe. */
function named(model: InstalledModel, name: string): InstalledModel {
  return { ...model, manifest: { ...model.manifest, name } };
}

async function tagCost(library: Library, model: InstalledModel, fileId: number, frames?: number): Promise<{ msPerWindow: number; windows: number }> {
  await releaseEncoders();
  const s = await tagLibrary(library, model, { fileId, session: { provider: 'cpu' }, ...(frames !== undefined ? { frames } : {}) });
  return { msPerWindow: round(s.seconds * 1000 / s.tagged), windows: s.tagged };
}

async function cost(base: string, clip: string, warmClip: string, precision: 'fp32' | 'int8'): Promise<{ result: Record<string, unknown>; model: InstalledModel }> {
  const root = path.join(base, `videos-${precision}`);
  const warmRoot = path.join(base, `warm-${precision}`);
  mkdirSync(root);
  mkdirSync(warmRoot);
  symlinkSync(clip, path.join(root, 'clip.mp4'));
  symlinkSync(warmClip, path.join(warmRoot, 'warm.mp4'));
  const ckpt = path.join(base, 'ft.safetensors');
  const dataDir = path.join(base, `data-${precision}`);
  const { model } = await importModel(dataDir, ckpt, { name: 'full-ft', precision });
  const library = openLibrary(dataDir);
  try {
    // A first run on a short clip measures the model's threads and batch (once per model and machine,
    // core/embedding/tune.ts), so the timed run is a normal one: sessions loaded cold, as every run does.
    await runIndex({ library, model, roots: [warmRoot], provider: 'cpu', thumbnails: false });
    await releaseEncoders();
    const t = performance.now();
    const s = await runIndex({ library, model, roots: [root], provider: 'cpu', thumbnails: false });
    const embedMs = (performance.now() - t) / s.windows;
    const fileId = getFileByPath(library.db, path.join(root, 'clip.mp4'))!.id;
    // runIndex does not tag (foley index would tag next): each recipe is timed on its own, sessions cold too.
    const audioonly = await tagCost(library, named(model, 'as2m-audio'), fileId);
    const multimodal1 = await tagCost(library, named(model, 'bench-k1'), fileId);
    const multimodal10 = await tagCost(library, named(model, 'bench-k10'), fileId, 10);
    const ratio = (ms: number): number => round(ms / embedMs, 2);
    const result = {
      windows: s.windows,
      embedMsPerWindow: round(embedMs),
      tagMsPerWindow: { audioonly: audioonly.msPerWindow, multimodal1: multimodal1.msPerWindow, multimodal10: multimodal10.msPerWindow },
      ratioToEmbedding: { audioonly: ratio(audioonly.msPerWindow), multimodal1: ratio(multimodal1.msPerWindow), multimodal10: ratio(multimodal10.msPerWindow) },
    };
    console.log(precision, JSON.stringify(result));
    return { result, model };
  } finally {
    library.close();
    await releaseEncoders();
  }
}

function fileBytes(library: Library): number {
  library.db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(databasePath(library.dataDir)).size;
}

/** Bytes the database file grows by per window stored, for `classes` logits. */
function storage(library: Library, model: InstalledModel, classes: number, windowIds: readonly number[]): number {
  const modelId = modelRecord(library, named(model, `store-${classes}`)).id;
  const before = fileBytes(library);
  const logits = Float32Array.from({ length: classes }, (_, i) => Math.sin(i) * 5);
  for (let from = 0; from < windowIds.length; from += 1000) {
    putClassLogits(library.db, modelId, windowIds.slice(from, from + 1000).map((windowId) => ({ windowId, mode: 'multimodal', frames: 10, logits })));
  }
  return (fileBytes(library) - before) / windowIds.length;
}

async function storagePerWindow(base: string, model: InstalledModel): Promise<Record<string, unknown>> {
  const library = openLibrary(path.join(base, 'data-store'));
  try {
    const file = addFile(library.db, { path: path.join(base, 'a.mp4'), size: 1, mtimeMs: 0 });
    const ids = replaceFileWindows(library.db, file.id, null, Array.from({ length: STORED_ROWS }, (_, i) => ({ startS: i * 10, endS: i * 10 + 10, hasAudio: true, hasVisual: true })));
    const out: Record<string, unknown> = {};
    for (const classes of [527, 309]) {
      const bytes = storage(library, model, classes, ids);
      out[`c${classes}`] = { bytesPerWindow: round(bytes), logitBytes: classes * 4, overhead: round(bytes - classes * 4) };
    }
    return out;
  } finally {
    library.close();
  }
}

export async function benchTagging(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-tagging-'));
  try {
    const clip = path.join(os.tmpdir(), 'foley-bench-media', `tagging-${SECONDS}s-640x360.mp4`);
    cachedMedia(clip, [
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${SECONDS}`,
      '-f', 'lavfi', '-i', `anoisesrc=color=pink:duration=${SECONDS}:sample_rate=44100`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
    ]);
    const warmClip = path.join(os.tmpdir(), 'foley-bench-media', 'tagging-warm-10s-640x360.mp4');
    cachedMedia(warmClip, [
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=10',
      '-f', 'lavfi', '-i', 'anoisesrc=color=pink:duration=10:sample_rate=44100',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
    ]);
    writeSafetensors(path.join(base, 'ft.safetensors'), randomStateDict({ ...FULL_SIZE, numClasses: 527, kind: 'finetuned' }));
    const fp32 = await cost(base, clip, warmClip, 'fp32');
    const stored = await storagePerWindow(base, fp32.model);
    console.log('storage', JSON.stringify(stored));
    // BENCH_TAGGING_INT8=0: fp32 and storage only.
    const int8 = process.env.BENCH_TAGGING_INT8 === '0' ? null : (await cost(base, clip, warmClip, 'int8')).result;
    const result = { model: 'full-size random fine-tuned CAV-MAE, 527 classes, CPU', clip: `${SECONDS} s 640×360 h264 + AAC`, fp32: fp32.result, int8, storage: stored, cpus: os.cpus().length };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchTagging();
