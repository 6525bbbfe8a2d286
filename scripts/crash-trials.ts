// Crash trials (not part of the test suite: minutes of work). SIGKILLs `foley index` and `foley train`
// at seeded random moments on a small library (the tiny test model, a handful of short generated clips),
// resumes each, and checks the result against a clean, uninterrupted reference run:
//   index: the same windows per file (0 lost, 0 duplicated), the same vectors, and each stored HNSW graph
//          loads as stored (not rebuilt) holding exactly the table's vectors;
//   train: the resumed job finishes, its versions equal the reference run's metrics.
// Usage: npm run crash-trials [-- --trials N --seed S]
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { databasePath, openDatabase } from '../db/connection.ts';
import { decodeVector } from '../db/vector-codec.ts';
import { VectorIndex } from '../db/vector-index.ts';
import { rng } from '../core/learning/training/math.ts';

const ROOT = path.join(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'foley.js');
const CHECKPOINT = path.join(ROOT, 'tests', 'fixtures', 'cavmae', 'pre-d32-11x1', 'checkpoint.pth');
const DIM = 32;
const VECTOR_TOLERANCE = 2e-3;
/** The largest difference of a resumed run's vector from the reference's, over all trials. */
let maxDiff = 0;
/** Enough head epochs that a kill lands inside training, not only in start-up. */
const TRAIN_ARGS = ['--epochs', '3000'];

const { values } = parseArgs({ options: { trials: { type: 'string', default: '20' }, seed: { type: 'string', default: '15' }, keep: { type: 'boolean' } } });
const TRIALS = Number(values.trials);
const random = rng(Number(values.seed));

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs `foley ARGS`; with `killAfterMs`, SIGKILLs it then (if it is still running), counted from the
 * moment `armed()` first holds (polled every 5 ms; default: from the start).
 */
function foley(args: readonly string[], killAfterMs?: number, armed?: () => boolean): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FOLEY_PROVIDER: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    if (killAfterMs !== undefined && armed === undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    else if (killAfterMs !== undefined && armed !== undefined) {
      poll = setInterval(() => {
        if (!armed()) return;
        clearInterval(poll);
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }, 5);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t });
    });
  });
}

function must(e: Exit, what: string): Exit {
  if (e.code !== 0) throw new Error(`${what} failed (${e.code ?? e.signal}): ${e.stderr.trim()}`);
  return e;
}

function makeClip(file: string, seconds: number, hz: number): void {
  const r = spawnSync('ffmpeg', [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=96x64:rate=5:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=16000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
}

interface IndexState {
  /** file (relative) → start_s list, sorted */
  readonly windows: Map<string, number[]>;
  readonly vectors: Map<string, Buffer>;
  readonly duplicates: number;
  readonly graphs: string[];
}

function indexState(dataDir: string, root: string): IndexState {
  const db = openDatabase(databasePath(dataDir));
  try {
    const windows = new Map<string, number[]>();
    for (const r of db.prepare<[], { path: string; start_s: number | null }>("SELECT f.path, w.start_s FROM files f LEFT JOIN windows w ON w.file_id = f.id WHERE f.status = 'indexed' ORDER BY f.path, w.start_s").all()) {
      const k = path.relative(root, r.path);
      const list = windows.get(k) ?? [];
      if (r.start_s !== null) list.push(r.start_s);
      windows.set(k, list);
    }
    const vectors = new Map(
      db
        .prepare<[], { path: string; start_s: number; modality: string; vector: Buffer }>('SELECT f.path, w.start_s, e.modality, e.vector FROM embeddings e JOIN windows w ON w.id = e.window_id JOIN files f ON f.id = w.file_id')
        .all()
        .map((r) => [`${path.relative(root, r.path)}@${r.start_s}/${r.modality}`, r.vector] as const),
    );
    const duplicates =
      db.prepare<[], { n: number }>('SELECT count(*) AS n FROM (SELECT file_id, start_s FROM windows GROUP BY file_id, start_s HAVING count(*) > 1)').get()!.n +
      db.prepare<[], { n: number }>('SELECT count(*) AS n FROM (SELECT window_id, modality, model_id FROM embeddings GROUP BY window_id, modality, model_id HAVING count(*) > 1)').get()!.n;
    const graphs: string[] = [];
    for (const modality of ['audio', 'visual'] as const) {
      const vi = new VectorIndex({ modelId: 1, modality }, DIM);
      const outcome = vi.load(db, { persist: false });
      const n = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM embeddings WHERE model_id = 1 AND modality = ?').get(modality)!.n;
      if (outcome.source === 'rebuilt') graphs.push(`${modality} graph rebuilt on load (${outcome.reason})`);
      else if (outcome.caughtUp > 0) graphs.push(`${modality} graph behind by ${outcome.caughtUp}`);
      if (vi.size !== n) graphs.push(`${modality} graph holds ${vi.size}, table ${n}`);
    }
    return { windows, vectors, duplicates, graphs };
  } finally {
    db.close();
  }
}

function compareIndex(ref: IndexState, got: IndexState): { lost: number; duplicated: number; differing: number; problems: string[] } {
  let lost = 0;
  let duplicated = got.duplicates;
  for (const [file, starts] of ref.windows) {
    const g = got.windows.get(file) ?? [];
    const have = new Map<number, number>();
    for (const s of g) have.set(s, (have.get(s) ?? 0) + 1);
    for (const s of starts) {
      const n = have.get(s) ?? 0;
      if (n === 0) lost++;
      else if (n > 1) duplicated += n - 1;
    }
  }
  for (const [file, starts] of got.windows) if (!ref.windows.has(file)) duplicated += starts.length;
  // Not bit-equality: batches are formed as decoding goes (they may span files), and a different batch
  // shape moves the last bits of a float16 vector. The same tolerance as tests/indexing/crash.test.ts.
  let differing = 0;
  for (const [k, v] of ref.vectors) {
    const w = got.vectors.get(k);
    if (w === undefined) {
      differing++;
      continue;
    }
    const a = decodeVector(v);
    const b = decodeVector(w);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    maxDiff = Math.max(maxDiff, max);
    if (a.length !== b.length || max >= VECTOR_TOLERANCE) differing++;
  }
  if (got.vectors.size !== ref.vectors.size) differing += Math.abs(got.vectors.size - ref.vectors.size);
  return { lost, duplicated, differing, problems: got.graphs };
}

/** The head and adapter versions' metrics of a data directory, in order: equal runs give equal text. */
function trainedMetrics(dataDir: string): string {
  const db = openDatabase(databasePath(dataDir));
  try {
    return JSON.stringify(db.prepare<[], { kind: string; metrics: string; kept: number }>('SELECT kind, metrics, kept FROM trained_versions ORDER BY id').all());
  } finally {
    db.close();
  }
}

function indexedFiles(dataDir: string): number {
  const db = openDatabase(databasePath(dataDir));
  try {
    return db.prepare<[], { n: number }>("SELECT count(*) AS n FROM files WHERE status = 'indexed'").get()!.n;
  } finally {
    db.close();
  }
}

function statusOfTrain(dataDir: string): string {
  if (!existsSync(databasePath(dataDir))) return '';
  // Read-only and without migrations: polled every few ms while the job starts.
  const db = new BetterSqlite3(databasePath(dataDir), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { s: string | null }>("SELECT group_concat(status) AS s FROM jobs WHERE kind = 'train'").get()!.s ?? '';
  } finally {
    db.close();
  }
}

interface Trial {
  readonly job: 'index' | 'train';
  readonly killAtMs: number;
  readonly killed: boolean;
  /** index: files committed when it was killed; train: 1 when the kill left its job running. */
  readonly committed: number;
  readonly resumeMs: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly differing: number;
  readonly ok: boolean;
  readonly note: string;
}

const base = mkdtempSync(path.join(os.tmpdir(), 'foley-crash-trials-'));
const trials: Trial[] = [];
try {
  const root = path.join(base, 'videos');
  mkdirSync(root);
  const clips: Array<[number, number]> = [[6, 300], [14, 450], [9, 600], [23, 750], [3, 900], [31, 1050], [12, 1200], [18, 1350]];
  for (const [i, [s, hz]] of clips.entries()) makeClip(path.join(root, `clip${i}.mp4`), s, hz);
  const empty = path.join(base, 'empty');
  must(await foley(['model', 'import', CHECKPOINT, '--heads', '1', '--name', 'tiny', '--data-dir', empty]), 'model import');
  must(await foley(['library', 'add', root, '--data-dir', empty]), 'library add');

  // The reference: one clean, uninterrupted run of each.
  const ref = path.join(base, 'reference');
  cpSync(empty, ref, { recursive: true });
  const refIndex = must(await foley(['index', '--data-dir', ref, '--threads', '1']), 'reference index');
  // A second clean run times the kill range (the first one under a busy machine may run long).
  const timing = path.join(base, 'timing');
  cpSync(empty, timing, { recursive: true });
  const indexMs = Math.min(refIndex.ms, must(await foley(['index', '--data-dir', timing, '--threads', '1']), 'timing index').ms);
  rmSync(timing, { recursive: true, force: true });
  const refState = indexState(ref, root);
  if (refState.graphs.length > 0) throw new Error(`the reference run's graphs: ${refState.graphs.join('; ')}`);
  const windowCount = [...refState.windows.values()].reduce((s, w) => s + w.length, 0);
  console.log(`library: ${clips.length} clips, ${windowCount} windows; clean index ${(indexMs / 1000).toFixed(1)} s`);
  // Labels for the training trials: a whole-file label per clip, low tones and high tones.
  for (let i = 0; i < clips.length; i++) must(await foley(['label', 'add', i < 4 ? 'low' : 'high', path.join(root, `clip${i}.mp4`), '--data-dir', ref]), 'label add');
  const labelled = path.join(base, 'labelled');
  cpSync(ref, labelled, { recursive: true });
  const refTrain = must(await foley(['train', ...TRAIN_ARGS, '--data-dir', ref, '--json']), 'reference train');
  const refMetrics = trainedMetrics(ref);
  // Kills are timed from the moment the job row says running, over the training's own duration.
  const trainMs = 1000 * (JSON.parse(refTrain.stdout) as { summary: { seconds: number } }).summary.seconds + 200;
  console.log(`clean training ${(refTrain.ms / 1000).toFixed(1)} s (training itself ${(trainMs / 1000 - 0.2).toFixed(2)} s), ${JSON.parse(refMetrics).length as number} versions`);

  for (let t = 0; t < TRIALS; t++) {
    // index: kill at a moment uniform over the clean run's duration
    {
      const dir = path.join(base, `index-${t}`);
      cpSync(empty, dir, { recursive: true });
      const killAtMs = Math.round(random() * indexMs);
      const first = await foley(['index', '--data-dir', dir, '--threads', '1'], killAtMs);
      const killed = first.signal === 'SIGKILL';
      const committed = killed ? indexedFiles(dir) : clips.length;
      const resumed = await foley(['index', '--data-dir', dir, '--threads', '1', '--json']);
      const notes: string[] = [];
      let c = { lost: windowCount, duplicated: 0, differing: 0, problems: [] as string[] };
      if (resumed.code !== 0) notes.push(`resume failed: ${resumed.stderr.trim().split('\n')[0]}`);
      else c = compareIndex(refState, indexState(dir, root));
      notes.push(...c.problems);
      if (c.lost > 0 || c.duplicated > 0 || c.differing > 0) notes.push(`${c.lost} lost, ${c.duplicated} duplicated, ${c.differing} differing`);
      const ok = resumed.code === 0 && c.lost === 0 && c.duplicated === 0 && c.differing === 0 && c.problems.length === 0;
      trials.push({ job: 'index', killAtMs, killed, committed, resumeMs: resumed.ms, lost: c.lost, duplicated: c.duplicated, differing: c.differing, ok, note: notes.join('; ') });
      if (values.keep !== true && ok) rmSync(dir, { recursive: true, force: true });
    }
    // train: kill at a moment uniform over the clean run's duration
    {
      const dir = path.join(base, `train-${t}`);
      cpSync(labelled, dir, { recursive: true });
      const killAtMs = Math.round(random() * trainMs);
      const first = await foley(['train', ...TRAIN_ARGS, '--data-dir', dir, '--json'], killAtMs, () => statusOfTrain(dir) === 'running');
      const killed = first.signal === 'SIGKILL';
      const committed = killed && statusOfTrain(dir) === 'running' ? 1 : 0;
      // A job that got to 'done' before the kill landed is finished: running again would train anew.
      const doneAlready = statusOfTrain(dir) === 'done';
      const resumed = doneAlready ? { ...first, code: 0, stdout: '{"status":"done"}' } : await foley(['train', ...TRAIN_ARGS, '--data-dir', dir, '--json']);
      const notes: string[] = [];
      let finished = false;
      if (resumed.code !== 0) notes.push(`resume failed: ${resumed.stderr.trim().split('\n')[0]}`);
      else {
        const out = JSON.parse(resumed.stdout) as { status?: string; running?: unknown };
        if (out.running !== undefined) notes.push('resume refused: the killed job was taken for a live one');
        else if (out.status !== 'done') notes.push(`resume ended ${out.status}`);
        else finished = true;
      }
      const same = finished && trainedMetrics(dir) === refMetrics;
      if (finished && !same) notes.push('versions differ from the clean run');
      const jobs = statusOfTrain(dir);
      if (finished && jobs.split(',').some((s) => s !== 'done')) notes.push(`jobs left: ${jobs}`);
      const ok = finished && same && notes.length === 0;
      trials.push({ job: 'train', killAtMs, killed, committed, resumeMs: resumed.ms, lost: 0, duplicated: 0, differing: same ? 0 : 1, ok, note: notes.join('; ') });
      if (values.keep !== true && ok) rmSync(dir, { recursive: true, force: true });
    }
    const last = trials.slice(-2);
    for (const r of last) console.log(`trial ${String(t + 1).padStart(2)} ${r.job.padEnd(5)} kill at ${String(r.killAtMs).padStart(5)} ms${r.job === 'train' ? ' into the job' : ''}${r.killed ? (r.job === 'index' ? ` (${r.committed} files committed)` : r.committed ? ' (mid-job)' : ' (before its job started)') : ' (had finished)'}: ${r.ok ? 'ok' : `FAIL ${r.note}`}`);
  }

  console.log('\n| job | trials | killed | killed mid-work | lost windows | duplicated windows | differing vectors/versions | graph problems | resumed and finished | failed |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const job of ['index', 'train'] as const) {
    const rs = trials.filter((r) => r.job === job);
    const sum = (f: (r: Trial) => number): number => rs.reduce((s, r) => s + f(r), 0);
    const graphProblems = rs.filter((r) => /graph/.test(r.note)).length;
    console.log(`| ${job} | ${rs.length} | ${sum((r) => (r.killed ? 1 : 0))} | ${rs.filter((r) => r.killed && (job === 'train' ? r.committed === 1 : r.committed > 0 && r.committed < clips.length)).length} | ${sum((r) => r.lost)} | ${sum((r) => r.duplicated)} | ${sum((r) => r.differing)} | ${graphProblems} | ${sum((r) => (r.ok ? 1 : 0))} | ${sum((r) => (r.ok ? 0 : 1))} |`);
  }
  console.log(`largest vector difference from the clean run: ${maxDiff.toExponential(2)} (tolerance ${VECTOR_TOLERANCE})`);
  const failed = trials.filter((r) => !r.ok);
  for (const r of failed) console.log(`FAIL ${r.job} kill at ${r.killAtMs} ms: ${r.note}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
} finally {
  if (values.keep !== true) rmSync(base, { recursive: true, force: true });
  else console.log(`kept: ${base}`);
}
