// A server that runs for weeks: resident memory of a real `foley serve` under a steady search load,
// round after round. Two servers on the same small library (tiny test model, short generated clips):
// one whose library was indexed by a separate `foley index` (the baseline: it never indexed), one that
// indexes the folder itself through its API first and is then searched the same way. Flatness is the
// last round's RSS ÷ round 3's (after warm-up); 1.00 is flat.
// Run alone: flock /tmp/foley-bench.lock node_modules/.bin/node bench/run.ts soak
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { cavmaeDir } from '../tests/helpers/fixtures.ts';
import { ffmpeg } from '../tests/indexing/helpers.ts';

const BIN = path.join(import.meta.dirname, '..', 'bin', 'foley.js');
const ROUNDS = Number(process.env.BENCH_SOAK_ROUNDS ?? 12);
const ROUND_S = Number(process.env.BENCH_SOAK_ROUND_S ?? 8);
const CLIENTS = Number(process.env.BENCH_SOAK_CLIENTS ?? 8);
/** Multiplies the clips' lengths (8–36 s at 1): a bigger library to index. */
const SCALE = Number(process.env.BENCH_SOAK_SCALE ?? 1);
/** Picture size of the clips: frames this size pass through indexing (decode, resize, thumbnail). */
const SIZE = process.env.BENCH_SOAK_SIZE ?? '1280x720';

function clip(file: string, seconds: number, hz: number, pattern: string): Promise<void> {
  return ffmpeg([
    '-f', 'lavfi', '-i', `${pattern}=size=${SIZE}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=44100:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
  ]);
}
const TOKEN = 'soak-bench-token-0123456789';

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
}

/** VmRSS and VmHWM of a live process, MiB (Linux). */
function rssOf(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function cpuSecondsOf(pid: number): number {
  // utime + stime, fields 14 and 15 of /proc/PID/stat (after the parenthesised name).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function run(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FOLEY_PROVIDER: 'cpu' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`foley ${args[0]} failed: ${err}`))));
  });
}

function serve(dataDir: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--token', TOKEN, '--json'], {
      env: { ...process.env, FOLEY_PROVIDER: 'cpu' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":\s*(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr.resume();
    child.on('exit', (code) => reject(new Error(`foley serve exited with ${code}`)));
  });
}

function request(port: number, pathName: string, body: Buffer | string, type: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathName, method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': type } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function call(port: number, method: string, params: unknown): Promise<unknown> {
  const r = await request(port, `/api/call/${method}`, JSON.stringify(params), 'application/json');
  if (r.status !== 200) throw new Error(`${method}: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as unknown;
}

async function indexThroughApi(port: number, root: string): Promise<number> {
  await call(port, 'library.addRoot', { path: root });
  await call(port, 'index.start', {});
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const { index } = (await call(port, 'status', {})) as { index: { state: string; error: string | null; last: { windows: number } | null } };
    if (index.state !== 'idle') continue;
    if (index.error !== null) throw new Error(`indexing failed: ${index.error}`);
    return index.last?.windows ?? 0;
  }
}

interface Round {
  readonly round: number;
  readonly rssMiB: number;
  readonly searches: number;
  readonly errors: number;
}

/** CLIENTS loops posting the query sounds (in turn) for ROUNDS × ROUND_S seconds; RSS after each round. */
async function soak(label: string, s: Served, queries: readonly Buffer[]): Promise<{ rounds: Round[]; peakMiB: number; cpuS: number; p50Ms: number }> {
  const pid = s.child.pid!;
  const rounds: Round[] = [];
  const latencies: number[] = [];
  const cpu0 = cpuSecondsOf(pid);
  let q = 0;
  for (let r = 1; r <= ROUNDS; r++) {
    const until = performance.now() + ROUND_S * 1000;
    let searches = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          const res = await request(s.port, '/api/search?in=visual&top=20', queries[q++ % queries.length]!, 'audio/wav');
          latencies.push(performance.now() - t);
          if (res.status === 200) searches++;
          else errors++;
        }
      }),
    );
    const { rss } = rssOf(pid);
    rounds.push({ round: r, rssMiB: Math.round(rss), searches, errors });
    console.log(`${label} round ${String(r).padStart(2)}: RSS ${rss.toFixed(0)} MiB, ${searches} searches${errors ? `, ${errors} errors` : ''}`);
  }
  latencies.sort((a, b) => a - b);
  return { rounds, peakMiB: Math.round(rssOf(pid).hwm), cpuS: cpuSecondsOf(pid) - cpu0, p50Ms: Math.round(latencies[latencies.length >> 1] ?? NaN) };
}

async function stop(s: Served): Promise<void> {
  s.child.removeAllListeners('exit');
  const done = new Promise((r) => s.child.on('exit', r));
  s.child.kill('SIGTERM');
  await done;
}

export async function benchSoak(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-soak-'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    for (let i = 0; i < 8; i++) await clip(path.join(root, `clip${i}.mp4`), (8 + 4 * i) * SCALE, 200 + 120 * i, i % 2 ? 'testsrc' : 'testsrc2');
    // Queries of different lengths (one window and several), so the searches are not one repeated shape.
    const queries: Buffer[] = [];
    for (const [i, sec] of [1.5, 4, 12, 25].entries()) {
      const f = path.join(base, `q${i}.wav`);
      await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${300 + 200 * i}:sample_rate=16000:duration=${sec}`, f]);
      queries.push(readFileSync(f));
    }
    const ckpt = path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth');
    const dirs = { baseline: path.join(base, 'baseline'), indexed: path.join(base, 'indexed') };
    for (const d of Object.values(dirs)) await run(['model', 'import', ckpt, '--heads', '1', '--name', 'tiny', '--data-dir', d]);
    await run(['index', root, '--data-dir', dirs.baseline]);

    const result: Record<string, unknown> = { rounds: ROUNDS, roundSeconds: ROUND_S, clients: CLIENTS, clipScale: SCALE, size: SIZE, model: 'tiny (pre-d32-11x1)' };
    for (const which of ['baseline', 'indexed'] as const) {
      const s = await serve(dirs[which]);
      try {
        let indexS: number | null = null;
        if (which === 'indexed') {
          const t = performance.now();
          const windows = await indexThroughApi(s.port, root);
          console.log(`indexed: ${windows} windows`);
          indexS = (performance.now() - t) / 1000;
        }
        const before = Math.round(rssOf(s.child.pid!).rss);
        console.log(`${which}: RSS ${before} MiB before the load${indexS !== null ? ` (indexed in ${indexS.toFixed(1)} s)` : ''}`);
        const soaked = await soak(which, s, queries);
        const r3 = soaked.rounds[2]?.rssMiB ?? NaN;
        const last = soaked.rounds[soaked.rounds.length - 1]?.rssMiB ?? NaN;
        const flatness = last / r3;
        console.log(`${which}: flatness (last ÷ round 3) ${flatness.toFixed(3)}, peak ${soaked.peakMiB} MiB, p50 ${soaked.p50Ms} ms, server CPU ${soaked.cpuS.toFixed(1)} s`);
        result[which] = { rssBeforeMiB: before, indexSeconds: indexS, ...soaked, flatness: Number(flatness.toFixed(3)) };
      } finally {
        await stop(s);
      }
    }
    return result;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
