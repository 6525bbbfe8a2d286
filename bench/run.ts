// `npm run bench`: speed and memory, reported as ratios against a baseline measured in the same run
// (never as timed assertions in tests). Results also go to bench/results/<name>-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchDamageWatch } from './damage-watch.bench.ts';
import { benchDecodeThreads } from './decode-threads.bench.ts';
import { benchFewShot } from './few-shot.bench.ts';
import { benchFfmpegEnv } from './ffmpeg-env.bench.ts';
import { benchFrames } from './frames.bench.ts';
import { benchHnswParams } from './hnsw-params.bench.ts';
import { benchSearchScale } from './search-scale.bench.ts';
import { benchIndex } from './index.bench.ts';
import { benchLocalisation } from './localisation.bench.ts';
import { benchMedia } from './media.bench.ts';
import { benchModel } from './model.bench.ts';
import { benchPrecision } from './precision.bench.ts';
import { benchSearch } from './search.bench.ts';
import { benchSearchWhileIndexing } from './search-while-indexing.bench.ts';
import { benchSoak } from './soak.bench.ts';
import { benchStore } from './store.bench.ts';
import { benchSync } from './sync.bench.ts';
import { benchTagging } from './tagging.bench.ts';
import { benchTextSearch } from './text-search.bench.ts';
import { benchTraining } from './training.bench.ts';

const benches: Record<string, () => Promise<Record<string, unknown>>> = { model: benchModel, media: benchMedia, store: benchStore, search: benchSearch, index: benchIndex, training: benchTraining, localisation: benchLocalisation, frames: benchFrames, sync: benchSync, precision: benchPrecision, 'hnsw-params': benchHnswParams, 'search-scale': benchSearchScale, 'decode-threads': benchDecodeThreads, 'search-while-indexing': benchSearchWhileIndexing, soak: benchSoak, 'damage-watch': benchDamageWatch, 'few-shot': benchFewShot, tagging: benchTagging, 'text-search': benchTextSearch, 'ffmpeg-env': benchFfmpegEnv };
const only = process.argv.slice(2);
const outDir = path.join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  const result = await bench();
  const file = path.join(outDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}
