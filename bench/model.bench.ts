// Model benchmark: full-size CAV-MAE (768 wide, 11+1 blocks) on CPU, per 10-s audio window and per
// frame, 1 and 2 threads, fp32 and int8; session creation time and peak RSS; and the same forward in
// Debian's PyTorch (with OpenBLAS when installed) on the same machine, reported as a ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encoderStateDict } from '../native-models/cavmae/config.ts';
import { buildEncoderGraph } from '../native-models/cavmae/graphs.ts';
import { int8Linear } from '../native-models/onnx/quantize.ts';
import { FULL_SIZE, randomStateDict } from './random-checkpoint.ts';

interface Timing {
  medianMs: number;
  bestMs: number;
  cpuMsPerRun: number;
  createMs?: number;
}
interface RunResult {
  threads: number;
  audio: Timing;
  visual: Timing;
  peakRssMiB: number;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): RunResult | string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return (r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1)!;
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as RunResult;
}

export async function benchModel(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-'));
  try {
    const t0 = performance.now();
    const sd = encoderStateDict(randomStateDict());
    const builds: Record<string, number> = {};
    for (const precision of ['fp32', 'int8'] as const) {
      mkdirSync(path.join(dir, precision));
      for (const stream of ['audio', 'visual'] as const) {
        const t = performance.now();
        const model = buildEncoderGraph(sd, FULL_SIZE, stream, precision === 'int8' ? { linear: int8Linear } : {});
        writeFileSync(path.join(dir, precision, `${stream}.onnx`), model.bytes);
        builds[`${precision}/${stream}`] = performance.now() - t;
      }
    }
    console.log(`built full-size graphs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const ort: Record<string, RunResult | string> = {};
    for (const precision of ['fp32', 'int8'] as const) {
      for (const threads of [1, 2]) {
        ort[`${precision}/${threads}`] = run(process.execPath, [path.join(import.meta.dirname, 'ort-worker.ts'), path.join(dir, precision), String(threads), String(RUNS)]);
      }
    }
    const torch: Record<string, RunResult | string> = {};
    const hasOpenBlas = existsSync(path.join(OPENBLAS, 'libblas.so.3'));
    const env = hasOpenBlas ? { ...process.env, LD_LIBRARY_PATH: OPENBLAS } : process.env;
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    for (const threads of [1, 2]) {
      // OpenBLAS's pthread build keeps its own thread pool and ignores torch.set_num_threads: pin it,
      // or "1 thread" PyTorch quietly uses every core (seen: 1.3 s CPU in 0.66 s wall).
      const pinned = { ...env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
      torch[String(threads)] = run(python, [path.join(import.meta.dirname, 'torch_cavmae.py'), String(threads), String(Math.max(3, Math.ceil(RUNS / 2)))], pinned);
    }

    const rows: string[][] = [['config', 'audio ms (10-s window)', 'frame ms', 'audio CPU ms', 'frame CPU ms', 'create ms a/v', 'peak RSS MiB', 'PyTorch ÷ this, wall (audio, frame)', 'PyTorch ÷ this, CPU time']];
    for (const [key, r] of Object.entries(ort)) {
      if (typeof r === 'string') {
        rows.push([`ORT ${key}`, `failed: ${r}`]);
        continue;
      }
      const t = torch[String(r.threads)];
      // CPU time per forward is the steadier comparison on a shared machine (wall time suffers from load).
      const ratio = typeof t === 'object' && key.startsWith('fp32') ? `${(t.audio.medianMs / r.audio.medianMs).toFixed(2)}×, ${(t.visual.medianMs / r.visual.medianMs).toFixed(2)}×` : '';
      const cpuRatio = typeof t === 'object' && key.startsWith('fp32') ? `${(t.audio.cpuMsPerRun / r.audio.cpuMsPerRun).toFixed(2)}×, ${(t.visual.cpuMsPerRun / r.visual.cpuMsPerRun).toFixed(2)}×` : '';
      rows.push([
        `ORT ${key.replace('/', ', ')} thr`,
        r.audio.medianMs.toFixed(0),
        r.visual.medianMs.toFixed(0),
        r.audio.cpuMsPerRun.toFixed(0),
        r.visual.cpuMsPerRun.toFixed(0),
        `${r.audio.createMs!.toFixed(0)}/${r.visual.createMs!.toFixed(0)}`,
        r.peakRssMiB.toFixed(0),
        ratio,
        cpuRatio,
      ]);
    }
    for (const [threads, t] of Object.entries(torch)) {
      if (typeof t === 'string') rows.push([`PyTorch ${threads} thr`, `skipped: ${t}`]);
      else rows.push([`PyTorch ${threads} thr${hasOpenBlas ? ' (OpenBLAS)' : ' (reference BLAS)'}`, t.audio.medianMs.toFixed(0), t.visual.medianMs.toFixed(0), t.audio.cpuMsPerRun.toFixed(0), t.visual.cpuMsPerRun.toFixed(0), '', t.peakRssMiB.toFixed(0), '1.00×', '1.00×']);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    return { runs: RUNS, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, load: os.loadavg(), builds, ort, torch, openblas: hasOpenBlas };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
