// --precision auto (`npm run bench precision`): what it measures and what it costs, CPU.
//  1. Agreement with fp32 on the calibration set (32 sounds, 32 pictures) of int8, int8-mixed (joint
//     block and heads fp32) and fp16, for a small random checkpoint, the same with outlier channels
//     (LayerNorm gain ×100 on one channel, every block), and a full-size random one (768 wide, 11+1).
//  2. What auto adds to an import: wall and CPU time of an auto import against an fp32 import of the
//     same checkpoint measured in the same run (ratio), and the manifest's own figure (candidates'
//     builds + calibration runs). BENCH_PRECISION_FULL=0 skips the full-size checkpoint.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Precision } from '../base/types.ts';
import { importModel } from '../core/models/store.ts';
import { calibrationInputs, compare, embedFolder } from '../native-models/precision/calibrate.ts';
import { familyOfConfig } from '../native-models/registry.ts';
import { SMALL, withOutlierChannels } from '../tests/helpers/precision-checkpoints.ts';
import { FULL_SIZE, randomStateDict, writeSafetensors } from './random-checkpoint.ts';

const round = (x: number, d = 1): number => Number(x.toFixed(d));

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wallS: number; cpuS: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = await f();
  const u = process.cpuUsage(c);
  return { value, wallS: (performance.now() - t) / 1000, cpuS: (u.user + u.system) / 1e6 };
}

async function one(base: string, label: string, file: string): Promise<Record<string, unknown>> {
  const data = path.join(base, `data-${label}`);
  const fp32 = await timed(() => importModel(data, file, { name: 'fp32', precision: 'fp32' }));
  const auto = await timed(() => importModel(data, file, { name: 'auto', precision: 'auto', provider: 'cpu' }));
  const c = auto.value.model.manifest.calibration!;
  console.log(
    `${label}: import fp32 ${fp32.wallS.toFixed(1)} s wall / ${fp32.cpuS.toFixed(1)} s CPU; auto ${auto.wallS.toFixed(1)} s / ${auto.cpuS.toFixed(1)} s ` +
      `(${(auto.wallS / fp32.wallS).toFixed(2)}× wall, ${(auto.cpuS / fp32.cpuS).toFixed(2)}× CPU); manifest says +${(c.ms / 1000).toFixed(1)} s; chose ${c.chosen}`,
  );
  const config = fp32.value.model.manifest.config;
  const family = familyOfConfig(config);
  const inputs = calibrationInputs(family, config);
  const ref = await embedFolder(fp32.value.model.dir, family, config, inputs, { provider: 'cpu' });
  const agreement: Record<string, unknown> = {};
  for (const precision of ['int8', 'int8-mixed', 'fp16'] as Precision[]) {
    const { model } = await importModel(data, file, { name: precision, precision });
    const f = compare(ref, await embedFolder(model.dir, family, config, inputs, { provider: 'cpu' }), config, inputs.count);
    agreement[precision] = { ...f, mib: round(model.bytes / 2 ** 20) };
    console.log(
      `  ${precision.padEnd(10)} audio min cos ${f.audio.minCosine.toFixed(6)} mean ${f.audio.meanCosine.toFixed(6)} overlap ${f.audio.overlap.toFixed(3)}; ` +
        `visual min cos ${f.visual.minCosine.toFixed(6)} mean ${f.visual.meanCosine.toFixed(6)} overlap ${f.visual.overlap.toFixed(3)}; ${(model.bytes / 2 ** 20).toFixed(1)} MiB`,
    );
  }
  rmSync(data, { recursive: true, force: true });
  return {
    importFp32: { wallS: round(fp32.wallS, 2), cpuS: round(fp32.cpuS, 2) },
    importAuto: { wallS: round(auto.wallS, 2), cpuS: round(auto.cpuS, 2), chosen: c.chosen, manifestMs: round(c.ms, 0) },
    autoOverFp32: { wall: round(auto.wallS / fp32.wallS, 2), cpu: round(auto.cpuS / fp32.cpuS, 2) },
    calibration: c.candidates,
    agreement,
  };
}

export async function benchPrecision(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-precision-'));
  const out: Record<string, unknown> = {};
  try {
    const small = randomStateDict(SMALL, 7);
    const cases: Array<[string, () => ReturnType<typeof randomStateDict>]> = [
      ['small', () => small],
      ['small-outliers', () => withOutlierChannels(small, ['blocks_'])],
    ];
    if (process.env.BENCH_PRECISION_FULL !== '0') cases.push(['full-size', () => randomStateDict(FULL_SIZE, 1)]);
    for (const [label, make] of cases) {
      const file = path.join(base, `${label}.safetensors`);
      writeSafetensors(file, make());
      out[label] = await one(base, label, file);
      rmSync(file);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return out;
}
