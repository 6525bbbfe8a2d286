// One benchmark configuration in its own process, so peak RSS belongs to it alone.
// argv: <graph dir> <threads> [runs] [audio frames, default 1024 (416 for CAV-MAE Sync)]; prints one JSON line.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { peakRssMiB } from './rss.ts';

const [dir, threadsArg, runsArg, audioFramesArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const runs = Number(runsArg ?? 5);

async function measure(graph: 'audio' | 'visual', dims: number[]): Promise<Record<string, number>> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path.join(dir!, `${graph}.onnx`), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const createMs = performance.now() - t0;
  const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.3), dims);
  await session.run({ [graph]: input }, ['embedding']); // warm-up
  const wall: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run({ [graph]: input }, ['embedding']);
    wall.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  await session.release();
  wall.sort((a, b) => a - b);
  return { createMs, medianMs: wall[Math.floor(wall.length / 2)]!, bestMs: wall[0]!, cpuMsPerRun: (cpu.user + cpu.system) / 1000 / runs };
}

const audio = await measure('audio', [1, Number(audioFramesArg ?? 1024), 128]);
const visual = await measure('visual', [1, 3, 224, 224]);
console.log(JSON.stringify({ threads, audio, visual, peakRssMiB: peakRssMiB() }));
