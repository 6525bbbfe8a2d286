// Generated classifier logits in a real library database, shared by the class-ranking test and
// `npm run bench text-search`: per window most classes far below zero, three high at random, class 7
// graded but never a window's top class, class 0 never negative, and every 50th window a copy of the
// one before (ties).
import type { Database } from '../../db/connection.ts';
import { putClassLogits } from '../../db/class-logits.ts';
import { addFile } from '../../db/files.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { rng } from '../db/helpers.ts';

export function seedClassLogits(db: Database, modelId: number, numClasses: number, files: number, perFile: number, seed: number, firstFile = 0): { logits: Map<number, Float32Array>; fileIds: number[] } {
  const r = rng(seed);
  const logits = new Map<number, Float32Array>();
  const fileIds: number[] = [];
  for (let f = firstFile; f < firstFile + files; f++) {
    const file = addFile(db, { path: `/media/clip-${f}.mp4`, size: 1000 + f, mtimeMs: 1_700_000_000_000 + f, fingerprint: `fp-${f}` });
    fileIds.push(file.id);
    const ids = replaceFileWindows(db, file.id, null, Array.from({ length: perFile }, (_, w) => ({ startS: w * 10, endS: w * 10 + 10, hasAudio: true, hasVisual: true })));
    const items = ids.map((windowId, w) => {
      const z = new Float32Array(numClasses);
      for (let c = 0; c < numClasses; c++) z[c] = -8 + 2 * r.normal();
      for (let j = 0; j < 3; j++) z[Math.floor(r.uniform() * numClasses)] = 2 + 3 * r.normal();
      z[7] = -3 + r.uniform();
      z[0] = Math.max(z[0]!, 0);
      if (w > 0 && w % 50 === 0) z.set(logits.get(ids[w - 1]!)!);
      logits.set(windowId, z);
      return { windowId, mode: 'multimodal', frames: 1, logits: z };
    });
    putClassLogits(db, modelId, items);
  }
  return { logits, fileIds };
}
