// The GEMM calibration graph (bench/gemm-calibration.ts) in its own process, same session options as
// bench/ort-worker.ts. argv: <graph file> <threads> [runs]; prints one JSON line.
import * as ort from 'onnxruntime-node';
import { CALIBRATION } from './gemm-calibration.ts';

const [file, threadsArg, runsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const runs = Number(runsArg ?? 5);
const session = await ort.InferenceSession.create(file!, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const { rows, dim } = CALIBRATION;
const x = new ort.Tensor('float32', new Float32Array(rows * dim).fill(0.3), [rows, dim]);
await session.run({ x });
const wall: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await session.run({ x });
  wall.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
wall.sort((a, b) => a - b);
console.log(JSON.stringify({ threads, medianMs: wall[Math.floor(wall.length / 2)]!, bestMs: wall[0]!, cpuMsPerRun: (cpu.user + cpu.system) / 1000 / runs }));
