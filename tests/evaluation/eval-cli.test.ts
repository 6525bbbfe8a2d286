// `foley eval` on a real generated library (tiny model, real ffmpeg, real ONNX Runtime, real SQLite):
// library mode counts only files with both a sound and a picture; pairs mode equals an independent
// computation from `foley embed --json` vectors and a plain O(n²) rank loop written here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { foley } from '../helpers/cli.ts';
import { ffmpeg, makeClip } from '../indexing/helpers.ts';
import { importModel } from '../../core/models/store.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { pickOnePerFile } from '../../core/evaluation/library-pairs.ts';
import type { EvalState } from '../../core/api/contract.ts';

interface Figures { r1: number; r5: number; r10: number; medianRank: number }
interface EvalJson { n: number; audioToVisual: Figures; visualToAudio: Figures; model: string }

let base: string;
let root: string;
let dataDir: string;
const AV_FILES = 7;

before(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-eval-'));
  root = path.join(base, 'videos');
  dataDir = path.join(base, 'data');
  mkdirSync(root, { recursive: true });
  const patterns = ['testsrc', 'smptebars', 'rgbtestsrc', 'testsrc2', 'yuvtestsrc', 'pal75bars', 'smptehdbars'];
  for (let i = 0; i < AV_FILES; i++) await makeClip(path.join(root, `clip${i}.mp4`), i % 2 === 0 ? 12 : 6, 300 + 170 * i, patterns[i]);
  // Excluded from library mode: a sound without a picture, a picture without a sound.
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=5', path.join(root, 'only-sound.wav')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=5:duration=5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(root, 'silent.mp4')]);
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  const r = await foley(['index', root, '--data-dir', dataDir, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
});

after(() => rmSync(base, { recursive: true, force: true }));

const evalJson = async (args: string[]): Promise<EvalJson> => {
  const r = await foley(['eval', '--data-dir', dataDir, '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as EvalJson;
};

function checkFigures(f: Figures, n: number): void {
  for (const k of ['r1', 'r5', 'r10'] as const) assert.ok(f[k] >= 0 && f[k] <= 1, `${k} = ${f[k]}`);
  assert.ok(f.r1 <= f.r5 && f.r5 <= f.r10);
  assert.ok(f.medianRank >= 1 && f.medianRank <= n);
}

test('library mode: n = files with both a sound and a picture vector; figures in [0, 1], ordered', async () => {
  const r = await evalJson([]);
  assert.deepEqual(Object.keys(r), ['n', 'audioToVisual', 'visualToAudio', 'model']);
  assert.equal(r.n, AV_FILES);
  assert.equal(r.model, 'tiny');
  checkFigures(r.audioToVisual, r.n);
  checkFigures(r.visualToAudio, r.n);
  // --limit caps the files; the same seed gives the same result.
  assert.equal((await evalJson(['--limit', '3'])).n, 3);
  assert.deepEqual(await evalJson(['--seed', '5']), await evalJson(['--seed', '5']));
  // Several --model flags: a list.
  const list = JSON.parse((await foley(['eval', '--data-dir', dataDir, '--json', '--model', 'tiny', '--model', 'tiny'])).stdout) as EvalJson[];
  assert.equal(list.length, 2);
  assert.deepEqual(list[0], list[1]);
});

test('library mode: human output is a small table; --adapter without an adapter is a clear error', async () => {
  const r = await foley(['eval', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /model tiny: 7 files \(of 7 with both sound and picture\), seed 1/);
  assert.match(r.stdout, /audio → visual .*%/);
  const a = await foley(['eval', '--data-dir', dataDir, '--adapter', '--json']);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /model tiny has no active trained adapter/);
  const bad = await foley(['eval', '--data-dir', dataDir, '--seed', 'x']);
  assert.equal(bad.code, 2);
});

async function embed(args: string[]): Promise<number[]> {
  const r = await foley(['embed', '--data-dir', dataDir, '--json', '--threads', '1', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { embedding: number[] }).embedding;
}

/** The spec's rank, written out plainly: cosines of normalised vectors, strictly higher by > 1e-6. */
function independent(a: number[][], v: number[][]): { a2v: Figures; v2a: Figures } {
  const unit = (x: number[]): number[] => x.map((y) => y / Math.hypot(...x));
  const A = a.map(unit);
  const V = v.map(unit);
  const cos = (x: number[], y: number[]): number => x.reduce((s, xi, i) => s + xi * y[i]!, 0);
  const figs = (q: number[][], g: number[][]): Figures => {
    const ranks = q.map((qi, i) => g.filter((gj) => cos(qi, gj) > cos(qi, g[i]!) + 1e-6).length).sort((x, y) => x - y);
    const n = ranks.length;
    const med = n % 2 ? ranks[(n - 1) / 2]! : (ranks[n / 2 - 1]! + ranks[n / 2]!) / 2;
    const at = (k: number): number => ranks.filter((r) => r < k).length / n;
    return { r1: at(1), r5: at(5), r10: at(10), medianRank: med + 1 };
  };
  return { a2v: figs(A, V), v2a: figs(V, A) };
}

test('pairs mode: relative paths and FILE@SECONDS cells equal an independent computation', async () => {
  const pairsDir = path.join(base, 'pairs');
  mkdirSync(pairsDir, { recursive: true });
  // A still image and the frame of clip0's second window (10 s → middle 11 s of a 12-s file), as PNGs.
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=80x60:rate=1:duration=1', '-frames:v', '1', path.join(pairsDir, 'still.png')]);
  await ffmpeg(['-ss', '11', '-i', path.join(root, 'clip0.mp4'), '-frames:v', '1', '-pix_fmt', 'rgb24', path.join(pairsDir, 'clip0-at-11.png')]);
  await ffmpeg(['-ss', '3', '-i', path.join(root, 'clip1.mp4'), '-frames:v', '1', '-pix_fmt', 'rgb24', path.join(pairsDir, 'clip1-at-3.png')]);
  const csv = path.join(pairsDir, 'pairs.csv');
  writeFileSync(csv, ['audio,image', '../videos/clip0.mp4@10,../videos/clip0.mp4@10', `${path.join(root, 'clip1.mp4')},../videos/clip1.mp4@0`, '../videos/only-sound.wav,still.png', '../videos/clip2.mp4@2.5,"../videos/clip2.mp4"', ''].join('\n'));
  const r = await evalJson(['--pairs', csv]);
  assert.equal(r.n, 4);
  const audio = [
    await embed(['--audio', path.join(root, 'clip0.mp4'), '--start', '10']),
    await embed(['--audio', path.join(root, 'clip1.mp4')]),
    await embed(['--audio', path.join(root, 'only-sound.wav')]),
    await embed(['--audio', path.join(root, 'clip2.mp4'), '--start', '2.5']),
  ];
  const image = [
    await embed(['--image', path.join(pairsDir, 'clip0-at-11.png')]),
    await embed(['--image', path.join(pairsDir, 'clip1-at-3.png')]),
    await embed(['--image', path.join(pairsDir, 'still.png')]),
    await embed(['--image', path.join(root, 'clip2.mp4')]),
  ];
  const want = independent(audio, image);
  assert.deepEqual(r.audioToVisual, want.a2v);
  assert.deepEqual(r.visualToAudio, want.v2a);
});

test('pairs mode: a bad line is an error naming the CSV and the line', async () => {
  const csv = path.join(base, 'bad.csv');
  writeFileSync(csv, `audio,image\n${path.join(root, 'clip0.mp4')},${path.join(root, 'clip0.mp4')}@1\njust-one-cell\n`);
  const r = await foley(['eval', '--data-dir', dataDir, '--pairs', csv]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${csv.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line 3: expected 2 cells`));
  writeFileSync(csv, `audio,image\n${path.join(root, 'clip0.mp4')}@99,${path.join(root, 'clip0.mp4')}\n`);
  const past = await foley(['eval', '--data-dir', dataDir, '--pairs', csv]);
  assert.equal(past.code, 1);
  assert.match(past.stderr, /bad\.csv: line 2 \(audio\): .*no audio at 99 s/);
  writeFileSync(csv, 'sound,picture\n');
  assert.match((await foley(['eval', '--data-dir', dataDir, '--pairs', csv])).stderr, /bad\.csv: line 1: the header must be "audio,image"/);
});

test('API: eval.run → eval events → eval.status.last; cancel; unknown model is the caller\'s error', async () => {
  const { createApi } = await import('../../core/api/handlers.ts');
  const api = createApi({ dataDir, provider: 'cpu', threads: 1, progressIntervalMs: 0 });
  try {
    const events: EvalState[] = [];
    const finished = new Promise<void>((resolve) => {
      api.subscribe((e) => {
        if (e.type !== 'eval') return;
        events.push(e.state);
        if (e.state.state === 'idle') resolve();
      });
    });
    // Two at once: one starts, the other is a conflict (on 7 files the run may already be over when
    // the call returns, so its state is running or idle).
    // Which of the two wins depends on scheduling; exactly one must.
    const settled = await Promise.allSettled([api.call('eval.run', { seed: 3, limit: 5 }), api.call('eval.run', { seed: 3, limit: 5 })]);
    const first = settled.find((r) => r.status === 'fulfilled');
    const second = settled.find((r) => r.status === 'rejected');
    assert.ok(first !== undefined && second !== undefined, JSON.stringify(settled.map((r) => r.status)));
    assert.ok(['running', 'idle'].includes((first as PromiseFulfilledResult<EvalState>).value.state));
    assert.equal(second.status, 'rejected');
    assert.match(String((second as PromiseRejectedResult).reason), /already running/);
    await finished;
    assert.ok(events.length >= 2);
    const status = (await api.call('eval.status', {})) as EvalState;
    assert.equal(status.state, 'idle');
    assert.equal(status.error, null);
    const last = status.last.find((l) => l.model === 'tiny')!.evaluation!;
    assert.equal(last.n, 5);
    assert.equal(last.seed, 3);
    assert.equal(last.mode, 'library');
    assert.equal(last.adapterVersion, null);
    checkFigures(last.audioToVisual, 5);
    // The same figures as the CLI for the same seed and limit.
    const cli = await evalJson(['--seed', '3', '--limit', '5']);
    assert.deepEqual(cli.audioToVisual, last.audioToVisual);
    await assert.rejects(api.call('eval.run', { limit: 0 }), /limit/);
    await assert.rejects(api.call('eval.run', { model: 'nope' }), /nope/);
    await api.call('eval.run', {});
    const cancelled = (await api.call('eval.cancel', {})) as EvalState;
    assert.ok(cancelled.state === 'cancelling' || cancelled.state === 'idle');
  } finally {
    await api.close();
  }
});

test('one window per file: the same seed picks the same windows, other seeds may pick others', () => {
  const candidates = Array.from({ length: 40 }, (_, i) => ({ fileId: 1 + (i % 8), windowId: 100 + i }));
  const a = pickOnePerFile(candidates, 100, 1);
  assert.equal(a.length, 8);
  assert.equal(new Set(a.map((w) => w.fileId)).size, 8);
  assert.deepEqual(pickOnePerFile(candidates, 100, 1), a);
  const others = [2, 3, 4, 5].map((s) => pickOnePerFile(candidates, 100, s).map((w) => w.windowId).sort().join());
  assert.ok(others.some((o) => o !== a.map((w) => w.windowId).sort().join()));
  assert.equal(pickOnePerFile(candidates, 3, 1).length, 3);
});
