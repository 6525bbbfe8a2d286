// How long predictions take to follow a new label (issue 16): a generated library of 768-d windows with
// a picture rule (tests/labels/few-shot-library.ts), 5 + 5 labels, then rounds of "add a label, search
// by that label" through the real label search (few-shot baseline refitted, each modality's index
// proposing, exact scoring). Baseline in the same run: what label search did before, reading every
// vector of the library and scoring it against the mean of the positives. At 10k and 100k windows
// (BENCH_FEW_SHOT_SIZES, comma-separated). The search indexes are built before timing (warm-up), as
// they are in an indexed library.
import { rmSync } from 'node:fs';
import { openLibrary } from '../core/library/handle.ts';
import { addLabelTo } from '../core/learning/labels.ts';
import { searchByLabel } from '../core/learning/label-search.ts';
import { readEmbeddingTable } from '../core/learning/training/embedding-table.ts';
import { engineFor } from '../core/search/engine.ts';
import { labelRule, makeRuleLibrary, matches, previousBaseline } from '../tests/labels/few-shot-library.ts';

const ROUNDS = 5;
const TOP = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function atSize(n: number): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const lib = makeRuleLibrary({ windows: n, dim: 768, seed: 5 });
  const generateS = (performance.now() - t0) / 1000;
  const { positives, negatives } = labelRule(lib, 'red', 'picture', 5, 9);
  const labelled = new Set([...positives, ...negatives]);
  const spare = lib.windowIds.map((_, i) => i).filter((i) => matches(lib, 'picture', i) && !labelled.has(i));
  const library = openLibrary(lib.dir);
  try {
    const w0 = performance.now();
    // Both modalities' search indexes, as an indexed library has them (built here, then kept).
    for (const m of ['audio', 'visual'] as const) engineFor(library.db, lib.modelId, m, 768).refresh(library.db);
    searchByLabel(library, { name: 'red', modelId: lib.modelId, top: TOP });
    const warmS = (performance.now() - w0) / 1000;

    const after: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      addLabelTo(library, { name: 'red', file: lib.files[spare[r]!]!.fileId, startS: 0, endS: 10, polarity: 'positive' });
      const t = performance.now();
      const res = searchByLabel(library, { name: 'red', modelId: lib.modelId, top: TOP });
      after.push(performance.now() - t);
      if (res.predictions?.kind !== 'few-shot') throw new Error('expected few-shot predictions');
    }
    // Unchanged labels: the fitted baseline is remembered, only the proposals and scoring run.
    const again: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      searchByLabel(library, { name: 'red', modelId: lib.modelId, top: TOP });
      again.push(performance.now() - t);
    }
    const before: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      const table = readEmbeddingTable(library.db, lib.modelId);
      const rows = [...positives, ...spare.slice(0, ROUNDS)].map((i) => table.row.get(lib.windowIds[i]!)!);
      const score = previousBaseline(table, rows);
      const all = Array.from({ length: table.windows.length }, (_, i) => i).map((i) => ({ i, s: score(i) }));
      all.sort((a, b) => b.s - a.s);
      before.push(performance.now() - t);
    }
    const out = {
      windows: n,
      generateS: Number(generateS.toFixed(1)),
      warmUpS: Number(warmS.toFixed(2)),
      afterLabelMs: Number(median(after).toFixed(1)),
      unchangedMs: Number(median(again).toFixed(1)),
      previousMs: Number(median(before).toFixed(1)),
      afterLabelToPrevious: Number((median(after) / median(before)).toFixed(3)),
    };
    console.log(
      `  ${n} windows: after a label ${out.afterLabelMs} ms (p50 of ${ROUNDS}), labels unchanged ${out.unchangedMs} ms; ` +
        `the previous full-table baseline ${out.previousMs} ms → ${out.afterLabelToPrevious}×; index warm-up ${out.warmUpS} s`,
    );
    return out;
  } finally {
    library.close();
    rmSync(lib.dir, { recursive: true, force: true });
  }
}

export async function benchFewShot(): Promise<Record<string, unknown>> {
  const sizes = (process.env['BENCH_FEW_SHOT_SIZES'] ?? '10000,100000').split(',').map(Number);
  const results: Record<string, unknown>[] = [];
  for (const n of sizes) results.push(await atSize(n));
  return { sizes: results };
}
