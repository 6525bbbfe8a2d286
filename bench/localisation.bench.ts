// Localisation benchmark (full-size random CAV-MAE, CPU): milliseconds per map in both directions —
// cold (nothing cached: decode and encode both sides), per result of a new page (the query's tokens
// cached, the result's not: what the app pays per thumbnail) and warm (all tokens cached: a heatmap
// toggled again) — as ratios to the baseline in the same run, one plain embedding of the same input
// (what a search query costs). Also the cost of fetching the tokens output at all, and search p50
// before and after localising a page (the maps are computed on demand, so it must not move) and with
// the opt-in `refine`.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApi } from '../core/api/handlers.ts';
import { encoderFor, releaseEncoders } from '../core/embedding/encoders.ts';
import { runIndex } from '../core/indexing/indexer.ts';
import { openLibrary } from '../core/library/handle.ts';
import { addFolders } from '../core/library/folders.ts';
import { localiseMoments } from '../core/localisation/localise.ts';
import type { LocaliseQuery } from '../core/localisation/localise.ts';
import { tokenCache } from '../core/localisation/token-cache.ts';
import { importModel } from '../core/models/store.ts';
import { decodeAudio } from '../media/audio.ts';
import { decodeImageRgb } from '../media/image.ts';
import { ffmpeg } from '../tests/indexing/helpers.ts';
import { randomStateDict, writeSafetensors } from './random-checkpoint.ts';

const RUNS = Number(process.env.BENCH_LOCALISE_RUNS ?? 5);
const SEARCHES = 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(runs: number, f: () => Promise<unknown>, before?: () => unknown): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    await before?.();
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return median(out);
}

const round = (x: number, d = 1): number => Number(x.toFixed(d));

async function samples(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

export async function benchLocalisation(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'foley-bench-loc-'));
  try {
    const root = path.join(base, 'videos');
    mkdirSync(root);
    const clip = path.join(root, 'clip.mp4');
    const wav = path.join(base, 'query.wav');
    const png = path.join(base, 'query.png');
    await Promise.all([
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=25', '-f', 'lavfi', '-i', 'anoisesrc=color=pink:duration=25:sample_rate=44100', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]),
      ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=10', wav]),
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360', '-frames:v', '1', png]),
    ]);
    const ckpt = path.join(base, 'full.safetensors');
    writeSafetensors(ckpt, randomStateDict());
    const dataDir = path.join(base, 'data');
    const { model } = await importModel(dataDir, ckpt, { name: 'full' });
    rmSync(ckpt);
    const library = openLibrary(dataDir);
    addFolders(library, [root]);
    await runIndex({ library, model, roots: [root], provider: 'cpu', thumbnails: false });
    const encoder = encoderFor(model, { provider: 'cpu' });
    const ctx = { model, encoder, library };

    // Baseline: one plain embedding (what a query costs), against the same with the tokens fetched too.
    const audioIn = encoder.audioInput(await decodeAudio(wav));
    const imageIn = encoder.imageInput(await decodeImageRgb(png));
    await encoder.encode('audio', audioIn);
    await encoder.encode('visual', imageIn);
    const embedAudio = await timed(RUNS, () => encoder.encode('audio', audioIn));
    const embedAudioTokens = await timed(RUNS, () => encoder.encode('audio', audioIn, ['tokens']));
    const embedVisual = await timed(RUNS, () => encoder.encode('visual', imageIn));
    const embedVisualTokens = await timed(RUNS, () => encoder.encode('visual', imageIn, ['tokens']));

    const target = [{ kind: 'moment' as const, file: clip, at: 12 }];
    const direction = async (query: LocaliseQuery): Promise<{ coldMs: number; newResultMs: number; cachedMs: number }> => {
      const once = (): Promise<unknown> => localiseMoments(ctx, query, target);
      const cold = await timed(RUNS, once, () => tokenCache.clear());
      // A new page: the query is cached, the result's side is not (empty the cache, then encode the query alone).
      const newResult = await timed(RUNS, once, async () => {
        tokenCache.clear();
        await localiseMoments(ctx, query, []);
      });
      const warm = await timed(RUNS * 4, once);
      return { coldMs: round(cold), newResultMs: round(newResult), cachedMs: round(warm, 3) };
    };
    const soundToPicture = await direction({ side: 'audio', source: { kind: 'file', file: wav } });
    const pictureToSound = await direction({ side: 'visual', source: { kind: 'file', file: png } });

    // Search p50 through the API (stored embeddings of a moment): before any map, with a page of maps cached, and refined.
    library.close();
    await releaseEncoders();
    tokenCache.clear();
    const api = createApi({ dataDir, provider: 'cpu' });
    const search = (refine: boolean): Promise<unknown> => api.call('search', { query: { kind: 'moment', file: clip, at: 3, use: 'visual' }, top: 10, ...(refine ? { refine } : {}) });
    await search(false);
    // Alternating blocks (cache empty / a page of maps cached), so drift in machine load hits both alike.
    const page = { query: { kind: 'moment' as const, file: clip, at: 3, use: 'visual' as const }, targets: [{ file: clip, at: 0 }, { file: clip, at: 10 }, { file: clip, at: 20 }] };
    const before: number[] = [];
    const afterPage: number[] = [];
    for (let round = 0; round < 5; round++) {
      tokenCache.clear();
      before.push(...(await samples(SEARCHES / 5, () => search(false))));
      await api.call('localize', page);
      afterPage.push(...(await samples(SEARCHES / 5, () => search(false))));
    }
    const searchBefore = median(before);
    const searchAfter = median(afterPage);
    tokenCache.clear();
    const searchRefined = await timed(RUNS, () => search(true), () => tokenCache.clear());
    await api.close();

    const result = {
      model: 'full-size random CAV-MAE (768 wide, 11+1 blocks), fp32, ONNX Runtime CPU',
      cpus: os.cpus().length,
      runs: RUNS,
      baseline: { embedAudioMs: round(embedAudio), embedVisualMs: round(embedVisual) },
      tokensOutputCost: { audio: round(embedAudioTokens / embedAudio, 3), visual: round(embedVisualTokens / embedVisual, 3) },
      soundToPicture: { ...soundToPicture, newResultVsEmbed: round(soundToPicture.newResultMs / embedVisual, 2), cachedVsCold: round(soundToPicture.cachedMs / soundToPicture.coldMs, 5) },
      pictureToSound: { ...pictureToSound, newResultVsEmbed: round(pictureToSound.newResultMs / embedAudio, 2), cachedVsCold: round(pictureToSound.cachedMs / pictureToSound.coldMs, 5) },
      searchP50: { beforeMs: round(searchBefore, 2), afterPageOfMapsMs: round(searchAfter, 2), ratio: round(searchAfter / searchBefore, 3), refinedMs: round(searchRefined), refinedRatio: round(searchRefined / searchBefore, 1) },
    };
    console.log(`baseline: one embedding ${embedAudio.toFixed(0)} ms audio, ${embedVisual.toFixed(0)} ms picture; fetching tokens too ×${result.tokensOutputCost.audio} / ×${result.tokensOutputCost.visual}`);
    for (const [name, r] of [['sound → picture (visual map)', result.soundToPicture], ['picture → sound (audio map)', result.pictureToSound]] as const) {
      console.log(`${name}: cold ${r.coldMs} ms, per new result ${r.newResultMs} ms (×${r.newResultVsEmbed} one embedding), cached ${r.cachedMs} ms (×${r.cachedVsCold} cold)`);
    }
    console.log(`search p50: ${result.searchP50.beforeMs} ms before, ${result.searchP50.afterPageOfMapsMs} ms with a page of maps cached (×${result.searchP50.ratio}); refine: ${result.searchP50.refinedMs} ms (×${result.searchP50.refinedRatio})`);
    return result;
  } finally {
    await releaseEncoders();
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchLocalisation();
