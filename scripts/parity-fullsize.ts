// Full-size parity (768 wide, 11+1 blocks): not part of every CI run (the checkpoint is 764 MB and
// comes from PyTorch). Make one with
//   /usr/bin/python3 scripts/goldens/make_cavmae_goldens.py --official /tmp/cavmae-official/src --full-size /tmp/cavmae-full --skip-small
// then run: npx node scripts/parity-fullsize.ts /tmp/cavmae-full
// It imports the checkpoint through the model store exactly as `foley model import` does, runs both
// encoders on CPU and prints the largest differences to the official outputs.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../core/models/store.ts';
import { Encoder } from '../native-models/runtime/encoder.ts';
import { readNpy } from '../tests/helpers/npy.ts';
import { maxAbsDiff, rowCosine } from '../tests/helpers/compare.ts';

const root = process.argv[2] ?? '/tmp/cavmae-full';
const variant = path.join(root, 'pre-full');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-parity-'));
const TOLERANCE = 1e-4;
let failed = false;

try {
  for (const precision of ['fp32', 'int8'] as const) {
    const t0 = performance.now();
    const { model } = await importModel(dataDir, path.join(variant, 'checkpoint.pth'), { name: `full-${precision}`, precision });
    const convertS = (performance.now() - t0) / 1000;
    const c = model.manifest.config;
    console.log(`${precision}: converted in ${convertS.toFixed(1)} s: D=${c.embedDim}, heads ${c.numHeads}, ${c.audioDepth}+${c.jointDepth} blocks, graphs ${(model.bytes / 2 ** 20).toFixed(0)} MiB`);
    const encoder = new Encoder(model.dir, c, { provider: 'cpu', threads: 1 });
    for (const stream of ['audio', 'visual'] as const) {
      const input = readNpy(path.join(root, 'inputs', `${stream}.npy`));
      const t1 = performance.now();
      const out = await encoder.encode(stream, input.data, ['tokens']);
      const ms = performance.now() - t1;
      const emb = readNpy(path.join(variant, `${stream}_embedding.npy`)).data;
      const tok = readNpy(path.join(variant, `${stream}_tokens.npy`)).data;
      const dEmb = maxAbsDiff(out.embeddings, emb);
      const dTok = maxAbsDiff(out.tokens!, tok);
      const cos = rowCosine(out.embeddings, emb, c.embedDim, 0);
      console.log(`  ${stream}: max |Δ| embedding ${dEmb.toExponential(2)}, tokens ${dTok.toExponential(2)}, cosine ${cos.toFixed(6)} (first run incl. session ${ms.toFixed(0)} ms)`);
      if (precision === 'fp32' && (dEmb > TOLERANCE || dTok > TOLERANCE)) failed = true;
    }
    await encoder.release();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(failed ? `FAIL: fp32 differs by more than ${TOLERANCE}` : `OK: fp32 within ${TOLERANCE}`);
process.exitCode = failed ? 1 : 0;
