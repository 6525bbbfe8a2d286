// The retrieval figures against goldens of the official CAV-MAE code (scripts/goldens/make_eval_goldens.py
// runs src/retrieval.py's compute_metrics / get_sim_mat): equal where no values tie; with ties the
// official code is ambiguous (it counts every tied position), so those cases are checked against the
// spec's rule (§10: rank = cosines higher than the partner's by more than 1e-6), worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluatePairs, figuresFromRanks, figuresOfSimilarity, rankInRow } from '../../core/evaluation/metrics.ts';
import type { RetrievalFigures } from '../../core/evaluation/metrics.ts';

interface Case {
  name: string;
  kind: 'similarity' | 'embeddings' | 'ties';
  similarity?: number[][];
  official?: RetrievalFigures;
  n?: number;
  d?: number;
  audio?: number[][];
  visual?: number[][];
  audioToVisual?: RetrievalFigures;
  visualToAudio?: RetrievalFigures;
  officialEntries?: number;
  rows?: number;
}

const goldens = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'eval', 'retrieval-goldens.json'), 'utf8')) as { cases: Case[] };
const transpose = (m: number[][]): number[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));

for (const c of goldens.cases.filter((x) => x.kind === 'similarity')) {
  test(`official compute_metrics golden (no ties): ${c.name}`, () => {
    assert.deepEqual(figuresOfSimilarity(c.similarity!), c.official);
  });
}

for (const c of goldens.cases.filter((x) => x.kind === 'embeddings')) {
  test(`official get_sim_mat + compute_metrics golden, both ways: ${c.name}`, async () => {
    const flat = (rows: number[][]): Float32Array => Float32Array.from(rows.flat());
    const r = await evaluatePairs(flat(c.audio!), flat(c.visual!), c.n!, c.d!, { threads: 1 });
    assert.equal(r.n, c.n);
    assert.deepEqual(r.audioToVisual, c.audioToVisual);
    assert.deepEqual(r.visualToAudio, c.visualToAudio);
  });
}

test('ties: the official code finds several positions per row; Foley counts only strictly higher cosines', () => {
  const [partial, allEqual] = goldens.cases.filter((x) => x.kind === 'ties');
  // Official: more entries than rows, so its figures are not per query.
  assert.ok(partial!.officialEntries! > partial!.rows!);
  assert.equal(allEqual!.officialEntries, 16);
  // [[0.5, 0.5, 0.1], [0.2, 0.9, 0.3], [0.4, 0.4, 0.4]]: row 0 ties with column 1 → rank 0; row 1 → 0;
  // row 2 ties with everything → 0. Every query is at rank 0.
  assert.deepEqual(figuresOfSimilarity(partial!.similarity!), { r1: 1, r5: 1, r10: 1, medianRank: 1 });
  assert.deepEqual(figuresOfSimilarity(allEqual!.similarity!), { r1: 1, r5: 1, r10: 1, medianRank: 1 });
  // Transposed (the other direction): [0.5, 0.2, 0.4] partner 0.5 → 0; [0.5, 0.9, 0.4] partner 0.9 → 0;
  // [0.1, 0.3, 0.4] partner 0.4 → 0. Lowering one partner below a tie shows a real rank:
  const t = transpose(partial!.similarity!);
  assert.deepEqual(t.map((row, i) => rankInRow(row, i)), [0, 0, 0]);
  assert.deepEqual([[0.5, 0.5 + 1e-3, 0.5]].map((row) => rankInRow(row, 0)), [1]);
});

test('the 1e-6 rule: float noise never breaks a tie, a real difference does', () => {
  assert.equal(rankInRow([0.5, 0.5 + 9e-7, 0.5 + 2e-6], 0), 1);
  assert.equal(rankInRow([0.5 - 5e-7, 0.5, 0.1], 1), 0);
});

test('median rank: mean of the two middle ranks for an even count, + 1; R@k are fractions', () => {
  assert.deepEqual(figuresFromRanks([0, 3, 7, 12]), { r1: 0.25, r5: 0.5, r10: 0.75, medianRank: 6 });
  assert.deepEqual(figuresFromRanks([4, 0, 9]), { r1: 1 / 3, r5: 2 / 3, r10: 1, medianRank: 5 });
  assert.ok(Number.isNaN(figuresFromRanks([]).r1));
});

test('identical inputs tie: duplicated pairs keep rank 0 both ways', async () => {
  const d = 8;
  const a = new Float32Array(3 * d);
  const v = new Float32Array(3 * d);
  for (let c = 0; c < d; c++) {
    a[c] = a[d + c] = Math.sin(c + 1);
    v[c] = v[d + c] = Math.sin(c + 1) + 0.3 * Math.cos(3 * c);
    a[2 * d + c] = Math.cos(5 * c);
    v[2 * d + c] = Math.cos(5 * c) + 0.1;
  }
  const r = await evaluatePairs(a, v, 3, d, { threads: 1 });
  assert.equal(r.audioToVisual.r1, 1);
  assert.equal(r.visualToAudio.r1, 1);
});

test('blocks: a gallery larger than one block gives the same ranks as a plain O(n²) loop', async () => {
  const n = 700;
  const d = 16;
  let x = 12345;
  const rnd = (): number => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const a = Float32Array.from({ length: n * d }, rnd);
  const v = a.map((y) => y + 2 * rnd());
  const norm = (m: Float32Array, i: number): number => Math.hypot(...m.subarray(i * d, (i + 1) * d));
  const cos = (i: number, j: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += a[i * d + c]! * v[j * d + c]!;
    return s / norm(a, i) / norm(v, j);
  };
  const sim = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => cos(i, j)));
  const r = await evaluatePairs(a, v, n, d, { threads: 1 });
  assert.deepEqual(r.audioToVisual, figuresOfSimilarity(sim));
  assert.deepEqual(r.visualToAudio, figuresOfSimilarity(transpose(sim)));
});
