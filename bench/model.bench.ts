// Model benchmark: full-size CAV-MAE (768 wide, 11+1 blocks) on CPU, per 10-s audio window and per
// frame, 1 and 2 threads, fp32 and int8; session creation time and peak RSS; and the same forward in
// Debian's PyTorch (with OpenBLAS when installed) on the same machine, reported as a ratio.
// Each ORT configuration runs with the fused graphs (GraphOptions.fused: true) and the unfused ones
// (the default), and against MLAS's GEMM peak measured in the same run (bench/gemm-calibration.ts): achieved
// GFLOP/s = analytic encoder FLOPs ÷ median wall time, as a percentage of the calibration's GFLOP/s.
// BENCH_TORCH=0 skips the PyTorch side.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encoderStateDict } from '../native-models/cavmae/config.ts';
import { buildEncoderGraph } from '../native-models/cavmae/graphs.ts';
import { int8Linear } from '../native-models/onnx/quantize.ts';
import { FULL_SIZE, randomStateDict } from './random-checkpoint.ts';
import { buildCalibrationGraph, calibrationFlops, encoderFlops } from './gemm-calibration.ts';

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

function run<T = RunResult>(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): T | string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return (r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1)!;
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

const PRECISIONS = ['fp32', 'int8'] as const;
const VARIANTS = ['fused', 'unfused'] as const;
const c = FULL_SIZE;
/** Analytic FLOPs per forward (see encoderFlops): audio 512 tokens, visual 196, 11 + 1 blocks each. */
const FLOPS = {
  audio: encoderFlops({ tokens: c.audioGrid[0] * c.audioGrid[1], embedDim: c.embedDim, mlpHidden: c.mlpHidden, blocks: c.audioDepth + c.jointDepth, patchInputs: c.patchSize ** 2 }),
  visual: encoderFlops({ tokens: c.visualGrid[0] * c.visualGrid[1], embedDim: c.embedDim, mlpHidden: c.mlpHidden, blocks: c.visualDepth + c.jointDepth, patchInputs: 3 * c.patchSize ** 2 }),
};

function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}

function print(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

export async function benchModel(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-'));
  try {
    const t0 = performance.now();
    const sd = encoderStateDict(randomStateDict());
    const builds: Record<string, number> = {};
    for (const precision of PRECISIONS) {
      for (const variant of VARIANTS) {
        mkdirSync(path.join(dir, `${precision}-${variant}`));
        for (const stream of ['audio', 'visual'] as const) {
          const t = performance.now();
          const options = { fused: variant === 'fused', ...(precision === 'int8' ? { linear: int8Linear } : {}) };
          const model = buildEncoderGraph(sd, FULL_SIZE, stream, options);
          writeFileSync(path.join(dir, `${precision}-${variant}`, `${stream}.onnx`), model.bytes);
          builds[`${precision}-${variant}/${stream}`] = performance.now() - t;
        }
      }
      writeFileSync(path.join(dir, `calibration-${precision}.onnx`), buildCalibrationGraph(precision).bytes);
    }
    console.log(`built full-size graphs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const ort: Record<string, RunResult | string> = {};
    const unfused: Record<string, RunResult | string> = {};
    const peak: Record<string, { medianMs: number; bestMs: number; cpuMsPerRun: number; threads: number } | string> = {};
    for (const precision of PRECISIONS) {
      for (const threads of [1, 2]) {
        const key = `${precision}/${threads}`;
        // Calibration first, then the two variants back to back: the ratios compare neighbours in time.
        peak[key] = run(process.execPath, [path.join(import.meta.dirname, 'gemm-worker.ts'), path.join(dir, `calibration-${precision}.onnx`), String(threads), String(RUNS)]);
        ort[key] = run(process.execPath, [path.join(import.meta.dirname, 'ort-worker.ts'), path.join(dir, `${precision}-fused`), String(threads), String(RUNS)]);
        unfused[key] = run(process.execPath, [path.join(import.meta.dirname, 'ort-worker.ts'), path.join(dir, `${precision}-unfused`), String(threads), String(RUNS)]);
      }
    }
    const torch: Record<string, RunResult | string> = {};
    const hasOpenBlas = existsSync(path.join(OPENBLAS, 'libblas.so.3'));
    const env = hasOpenBlas ? { ...process.env, LD_LIBRARY_PATH: OPENBLAS } : process.env;
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    for (const threads of process.env.BENCH_TORCH === '0' ? [] : [1, 2]) {
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
    print(rows);

    // Hardware limit: GFLOP/s from the analytic count ÷ median wall, against the GEMM peak of the same run.
    const peakRows: string[][] = [['config', 'GEMM peak GFLOP/s', 'audio GFLOP/s fused (unfused)', 'audio % peak fused (unfused)', 'frame GFLOP/s fused (unfused)', 'frame % peak fused (unfused)', 'unfused ÷ fused wall (audio, frame)', 'unfused ÷ fused CPU (audio, frame)']];
    const limit: Record<string, unknown> = {};
    for (const key of Object.keys(ort)) {
      const f = ort[key]!;
      const u = unfused[key]!;
      const p = peak[key]!;
      if (typeof f === 'string' || typeof u === 'string' || typeof p === 'string') {
        peakRows.push([key, `failed: ${[f, u, p].filter((x) => typeof x === 'string').join('; ')}`]);
        continue;
      }
      const peakG = gflops(calibrationFlops(), p.medianMs);
      const g = (r: RunResult, s: 'audio' | 'visual'): number => gflops(FLOPS[s], r[s].medianMs);
      const pct = (x: number): string => `${((100 * x) / peakG).toFixed(0)} %`;
      const row = {
        peakGflops: peakG,
        audio: { fused: g(f, 'audio'), unfused: g(u, 'audio') },
        visual: { fused: g(f, 'visual'), unfused: g(u, 'visual') },
        speedupWall: { audio: u.audio.medianMs / f.audio.medianMs, visual: u.visual.medianMs / f.visual.medianMs },
        speedupCpu: { audio: u.audio.cpuMsPerRun / f.audio.cpuMsPerRun, visual: u.visual.cpuMsPerRun / f.visual.cpuMsPerRun },
      };
      limit[key] = row;
      peakRows.push([
        `ORT ${key.replace('/', ', ')} thr`,
        peakG.toFixed(0),
        `${row.audio.fused.toFixed(0)} (${row.audio.unfused.toFixed(0)})`,
        `${pct(row.audio.fused)} (${pct(row.audio.unfused)})`,
        `${row.visual.fused.toFixed(0)} (${row.visual.unfused.toFixed(0)})`,
        `${pct(row.visual.fused)} (${pct(row.visual.unfused)})`,
        `${row.speedupWall.audio.toFixed(3)}×, ${row.speedupWall.visual.toFixed(3)}×`,
        `${row.speedupCpu.audio.toFixed(3)}×, ${row.speedupCpu.visual.toFixed(3)}×`,
      ]);
    }
    console.log(`\nencoder FLOPs per forward: audio ${(FLOPS.audio / 1e9).toFixed(2)} G, frame ${(FLOPS.visual / 1e9).toFixed(2)} G; calibration ${(calibrationFlops() / 1e9).toFixed(2)} G`);
    print(peakRows);
    return { runs: RUNS, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, load: os.loadavg(), builds, flops: FLOPS, calibrationFlops: calibrationFlops(), peak, ort, unfused, limit, torch, openblas: hasOpenBlas };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
