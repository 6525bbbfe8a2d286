// The accelerator check (scripts/device-check.sh runs it): builds a random full-size CAV-MAE checkpoint
// (bench/random-checkpoint.ts), converts fp32 and fp16 graphs through the model store, then prints one
// line per figure:
//   parity   <graph> <modality> <a>-vs-<b>  max_abs=…  min_cos=…   (embeddings of 16 calibration items)
//   speed    <graph> <provider> batch=<n>  windows/s=…             (a window = one sound + one picture)
// On a machine with CUDA it compares CUDA with CPU for both graphs, and fp16 on CUDA with fp32 on CPU
// (what an fp16 model changes for search). Without a loadable CUDA EP it fails with the reason and how
// to get the provider files, unless --cpu-only (then fp16 vs fp32 on CPU and CPU speed only).
//   --cpu-only      skip CUDA
//   --small         a small random checkpoint instead of full size (a quick run of the same code)
//   --runs N        timed runs per throughput figure (default 3)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../core/models/store.ts';
import type { InstalledModel } from '../core/models/store.ts';
import { Encoder } from '../native-models/runtime/encoder.ts';
import { probeProvider } from '../native-models/runtime/providers.ts';
import { calibrationInputs } from '../native-models/precision/calibrate.ts';
import { rowCosines } from '../native-models/precision/decide.ts';
import { familyOfConfig } from '../native-models/registry.ts';
import { MODALITIES } from '../base/types.ts';
import type { Modality, ProviderName } from '../base/types.ts';
import { FULL_SIZE, randomStateDict, writeSafetensors } from '../bench/random-checkpoint.ts';
import { SMALL } from '../tests/helpers/precision-checkpoints.ts';

const args = process.argv.slice(2);
const cpuOnly = args.includes('--cpu-only');
const small = args.includes('--small');
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const PARITY_ITEMS = 16;

const CUDA_HELP = [
  'The CUDA execution provider could not be loaded.',
  'onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=skip (or offline) lacks its CUDA provider files',
  '(libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so). On a machine with internet, reinstall it',
  'without the skip: `npm rebuild onnxruntime-node` or `rm -rf node_modules/onnxruntime-node && npm ci` with',
  'ONNXRUNTIME_NODE_INSTALL unset; it also needs CUDA 12 and cuDNN 9 libraries on the loader path.',
  'Run with --cpu-only to check the CPU part alone.',
].join('\n');

function line(...parts: Array<string | number>): void {
  console.log(parts.join(' '));
}

async function embedAll(model: InstalledModel, provider: ProviderName, inputs: ReturnType<typeof calibrationInputs>): Promise<Record<Modality, Float32Array>> {
  const enc = new Encoder(model.dir, model.manifest.config, { provider });
  try {
    const out = {} as Record<Modality, Float32Array>;
    for (const m of MODALITIES) out[m] = (await enc.encode(m, inputs[m].subarray(0, PARITY_ITEMS * enc.inputSize(m)))).embeddings;
    return out;
  } finally {
    await enc.release();
  }
}

function parity(graph: string, label: string, a: Record<Modality, Float32Array>, b: Record<Modality, Float32Array>, d: number): number {
  let worst = 1;
  for (const m of MODALITIES) {
    let maxAbs = 0;
    for (let i = 0; i < a[m].length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[m][i]! - b[m][i]!));
    const minCos = Math.min(...rowCosines(a[m], b[m], PARITY_ITEMS, d));
    worst = Math.min(worst, minCos);
    line('parity', graph, m, label, `max_abs=${maxAbs.toExponential(2)}`, `min_cos=${minCos.toFixed(7)}`);
  }
  return worst;
}

async function throughput(graph: string, model: InstalledModel, provider: ProviderName, inputs: ReturnType<typeof calibrationInputs>): Promise<void> {
  const enc = new Encoder(model.dir, model.manifest.config, { provider });
  try {
    for (const batch of [1, 16]) {
      let seconds = 0;
      for (const m of MODALITIES) {
        const size = enc.inputSize(m);
        const items = new Float32Array(batch * size);
        for (let i = 0; i < batch; i++) items.set(inputs[m].subarray((i % inputs.count[m]) * size, ((i % inputs.count[m]) + 1) * size), i * size);
        await enc.encode(m, items); // warm-up: session creation, CUDA kernels' first launch
        const t = performance.now();
        for (let r = 0; r < RUNS; r++) await enc.encode(m, items);
        seconds += (performance.now() - t) / 1000 / RUNS;
      }
      line('speed', graph, provider, `batch=${batch}`, `windows/s=${(batch / seconds).toFixed(2)}`);
    }
  } finally {
    await enc.release();
  }
}

async function main(): Promise<number> {
  const cuda = cpuOnly ? null : await probeProvider('cuda');
  if (cuda !== null && !cuda.ok) {
    console.error(`device-check: FAIL: ${cuda.error ?? 'CUDA provider not available'}`);
    console.error(CUDA_HELP);
    return 2;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'foley-device-check-'));
  try {
    const config = small ? SMALL : FULL_SIZE;
    const file = path.join(work, 'random.safetensors');
    writeSafetensors(file, randomStateDict(config, 1));
    line('checkpoint', small ? 'small' : 'full-size', `D=${config.embedDim}`, `blocks=${config.audioDepth}+${config.jointDepth}`);
    const data = path.join(work, 'data');
    const models: Record<'fp32' | 'fp16', InstalledModel> = {
      fp32: (await importModel(data, file, { name: 'check-fp32', precision: 'fp32' })).model,
      fp16: (await importModel(data, file, { name: 'check-fp16', precision: 'fp16' })).model,
    };
    const d = config.embedDim;
    const inputs = calibrationInputs(familyOfConfig(models.fp32.manifest.config), models.fp32.manifest.config);
    const cpu = { fp32: await embedAll(models.fp32, 'cpu', inputs), fp16: await embedAll(models.fp16, 'cpu', inputs) };
    let worst = parity('fp16', 'cpu-vs-fp32-cpu', cpu.fp16, cpu.fp32, d);
    if (!cpuOnly) {
      const gpu = { fp32: await embedAll(models.fp32, 'cuda', inputs), fp16: await embedAll(models.fp16, 'cuda', inputs) };
      worst = Math.min(worst, parity('fp32', 'cuda-vs-cpu', gpu.fp32, cpu.fp32, d));
      worst = Math.min(worst, parity('fp16', 'cuda-vs-cpu', gpu.fp16, cpu.fp16, d));
      worst = Math.min(worst, parity('fp16', 'cuda-vs-fp32-cpu', gpu.fp16, cpu.fp32, d));
    }
    for (const graph of ['fp32', 'fp16'] as const) {
      await throughput(graph, models[graph], 'cpu', inputs);
      if (!cpuOnly) await throughput(graph, models[graph], 'cuda', inputs);
    }
    const ok = worst >= 0.9999;
    line('result', ok ? 'OK' : 'FAIL', `worst_min_cos=${worst.toFixed(7)}`, '(threshold 0.9999)');
    return ok ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
