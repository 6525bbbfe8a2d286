// Full-size CAV-MAE Sync parity (768 wide, 12 heads, 11+1 blocks, 8 registers): not part of every CI
// run (the checkpoint is 763 MB and comes from PyTorch). Make one with
//   /usr/bin/python3 scripts/goldens/make_sync_goldens.py --official /tmp/sync-official/src --full-size /tmp/sync-full --skip-small
// then run: node_modules/.bin/node scripts/parity-fullsize-sync.ts /tmp/sync-full
// It imports the checkpoint as `foley model import` does (fp32 and int8), runs both encoders on CPU on
// the official inputs, and also embeds the cases from the wav (`foley embed --start S --frame K`'s
// path), printing the largest differences to the official outputs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../core/models/store.ts';
import { embedAudioFile } from '../core/embedding/file.ts';
import { releaseEncoders } from '../core/embedding/encoders.ts';
import { Encoder } from '../native-models/runtime/encoder.ts';
import { readNpy } from '../tests/helpers/npy.ts';
import { maxAbsDiff, rowCosine } from '../tests/helpers/compare.ts';

const root = process.argv[2] ?? '/tmp/sync-full';
const variant = path.join(root, 'sync-full');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-parity-sync-'));
const TOLERANCE = 1e-4;
const D = 768;
let failed = false;
const golden = (name: string): Float32Array => readNpy(path.join(variant, `${name}.npy`)).data;
const cases = JSON.parse(readFileSync(path.join(root, 'inputs', 'cases.json'), 'utf8')) as Array<{ start: number; frame: number }>;

function minCosine(a: Float32Array, b: Float32Array, rows: number): number {
  let m = 1;
  for (let r = 0; r < rows; r++) m = Math.min(m, rowCosine(a, b, D, r));
  return m;
}

try {
  for (const precision of ['fp32', 'int8'] as const) {
    const t0 = performance.now();
    const { model } = await importModel(dataDir, path.join(variant, 'checkpoint.pth'), { name: `sync-${precision}`, precision });
    console.log(`${precision}: converted in ${((performance.now() - t0) / 1000).toFixed(1)} s, graphs ${(model.bytes / 2 ** 20).toFixed(0)} MiB`);
    const encoder = new Encoder(model.dir, model.manifest.config, { provider: 'cpu', threads: 2 });
    for (const stream of ['audio', 'visual'] as const) {
      const input = readNpy(path.join(root, 'inputs', stream === 'audio' ? 'audio_inputs.npy' : 'visual.npy'));
      const out = await encoder.encode(stream, input.data, ['tokens']);
      const cls = golden(`${stream}_cls`);
      const dCls = maxAbsDiff(out.embeddings, cls);
      const dTok = maxAbsDiff(out.tokens!, golden(`${stream}_tokens`));
      console.log(`  ${stream}: max |Δ| CLS ${dCls.toExponential(2)}, tokens ${dTok.toExponential(2)}, lowest cosine ${minCosine(out.embeddings, cls, input.shape[0]!).toFixed(6)}`);
      if (precision === 'fp32' && (dCls > TOLERANCE || dTok > TOLERANCE)) failed = true;
    }
    await encoder.release();
    const cls = golden('audio_cls');
    let worst = 0;
    for (const [i, { start, frame }] of cases.entries()) {
      const r = await embedAudioFile(model, path.join(root, 'inputs', 'clip.wav'), { start, frame, provider: 'cpu', threads: 2 });
      worst = Math.max(worst, maxAbsDiff(r.embedding, cls.subarray(i * D, (i + 1) * D)));
    }
    console.log(`  from the wav (foley embed --start --frame): max |Δ| CLS ${worst.toExponential(2)}`);
    if (precision === 'fp32' && worst > TOLERANCE) failed = true;
    await releaseEncoders();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(failed ? `FAIL: fp32 differs by more than ${TOLERANCE}` : `OK: fp32 within ${TOLERANCE}`);
process.exitCode = failed ? 1 : 0;
