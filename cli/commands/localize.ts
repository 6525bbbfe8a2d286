import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { extent } from '../../base/colormap.ts';
import { encoderFor, releaseEncoders } from '../../core/embedding/encoders.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { localise } from '../../core/localisation/localise.ts';
import { localisationPng } from '../../core/localisation/png.ts';
import type { MomentRef, PictureSource, SoundSource } from '../../core/localisation/sources.ts';
import type { Localisation, MapJson } from '../../core/localisation/types.ts';
import { resolveModel } from '../../core/models/store.ts';
import { dataDirFrom, momentArg, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

export const LOCALIZE_HELP = `Usage:
  foley localize (--audio FILE [--start SECONDS] | --at FILE@SECONDS) (--image FILE | --at FILE@SECONDS)
                 [--model NAME] [--json] [--png OUT.png]

Shows where a sound is in a picture and where in the sound the picture is heard (CAV-MAE's
sound-source localisation):
  visual map  the sound's embedding against each 16×16 patch of the picture's centre square (the part
              the model sees): 14 × 14 cosines, row-major from the top left.
  audio map   the picture's embedding against each patch of the sound's spectrogram: 8 × 64 cosines,
              frequency band × time step (token f·64 + t, band 0 the lowest), over the model's 10.24-s
              input; its best time column gives the time the picture is heard ("peak").
  --audio FILE        a 10-s window of a sound, audio or video file, from --start (default 0)
  --image FILE        a picture (or the first frame of a video)
  --at FILE@SECONDS   a moment of an indexed file: its window's sound and/or the frame at its middle;
                      stands for whichever of --audio and --image is not given (or both)
--json prints {"visual":{"shape":[14,14],"data":[…]},"audio":{"shape":[8,64],"data":[…]},"model","provider",
"sound":{…,"peak"},"picture":{…}} with raw cosines. --png writes the picture with its heatmap over the
centre square (the rest dimmed) and the spectrogram (lowest band at the bottom) with the audio map.

Options: --data-dir DIR, --provider auto|cpu|cuda|dml|coreml|webgpu, --threads N, --help`;

const SHADES = ' .:-=+*#%@';

/** A map as rows of shade characters, scaled min-max (top row first; the audio map's highest band first). */
function asciiMap(map: MapJson, lowestAtBottom: boolean): string[] {
  const [rows, cols] = map.shape;
  const { min, max } = extent(map.data);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = lowestAtBottom ? rows - 1 - r : r;
    let line = '';
    for (let c = 0; c < cols; c++) {
      const t = max > min ? (map.data[row * cols + c]! - min) / (max - min) : 0.5;
      line += SHADES[Math.min(SHADES.length - 1, Math.floor(t * SHADES.length))]!.repeat(lowestAtBottom ? 1 : 2);
    }
    lines.push(`  |${line}|`);
  }
  return lines;
}

function printHuman(loc: Localisation, model: string, provider: string): void {
  const v = extent(loc.visual.data);
  const a = extent(loc.audio.data);
  const picture = loc.picture.at !== undefined ? `${loc.picture.file} (frame at ${loc.picture.at.toFixed(2)} s)` : (loc.picture.file ?? 'the picture');
  console.log(`sound ${loc.sound.file ?? ''} ${loc.sound.start.toFixed(2)}–${(loc.sound.start + loc.sound.seconds).toFixed(2)} s · picture ${picture} · model ${model} · ${provider}`);
  console.log(`where the sound is in the picture (${loc.visual.shape.join('×')} over its centre square; cosine ${v.min.toFixed(3)} … ${v.max.toFixed(3)}):`);
  for (const l of asciiMap(loc.visual, false)) console.log(l);
  console.log(`where the picture is heard (${loc.audio.shape.join('×')}, time →, lowest band at the bottom; cosine ${a.min.toFixed(3)} … ${a.max.toFixed(3)}):`);
  for (const l of asciiMap(loc.audio, true)) console.log(l);
  console.log(`heard most at ${loc.sound.peak.toFixed(2)} s`);
}

export async function localizeCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    audio: { type: 'string' },
    image: { type: 'string' },
    at: { type: 'string' },
    start: { type: 'string' },
    png: { type: 'string' },
    ...RUNTIME_OPTIONS,
  });
  if (values.help === true) {
    console.log(LOCALIZE_HELP);
    return;
  }
  const moment: MomentRef | undefined = values.at !== undefined ? { kind: 'moment', ...momentArg(values.at) } : undefined;
  if (values.audio !== undefined && values.image !== undefined && moment !== undefined) throw new UsageError('--at stands for --audio or --image: give at most two of the three');
  if (values.audio === undefined && moment === undefined) throw new UsageError('localize needs a sound: --audio FILE or --at FILE@SECONDS');
  if (values.image === undefined && moment === undefined) throw new UsageError('localize needs a picture: --image FILE or --at FILE@SECONDS');
  if (values.start !== undefined && values.audio === undefined) throw new UsageError('--start applies to --audio only');
  const start = numberOption('start', values.start, { min: 0 });
  const sound: SoundSource = values.audio !== undefined ? { kind: 'file', file: values.audio, ...(start !== undefined ? { start } : {}) } : moment!;
  const picture: PictureSource = values.image !== undefined ? { kind: 'file', file: values.image } : moment!;
  const dataDir = dataDirFrom(values);
  const model = await resolveModel(dataDir, values.model);
  let library: Library | undefined;
  try {
    if (moment !== undefined) library = openLibrary(dataDir);
    const encoder = encoderFor(model, runtimeFrom(values));
    const ctx = { model, encoder, ...(library !== undefined ? { library } : {}) };
    const loc = await localise(ctx, sound, picture);
    const provider = await encoder.provider('visual');
    if (values.png !== undefined) await writeFile(path.resolve(values.png), await localisationPng(ctx, sound, picture, loc));
    if (values.json === true) printJson({ visual: loc.visual, audio: loc.audio, model: model.manifest.name, provider, sound: loc.sound, picture: loc.picture });
    else printHuman(loc, model.manifest.name, provider);
    if (values.png !== undefined && values.json !== true) console.log(`wrote ${path.resolve(values.png)}`);
  } finally {
    library?.close();
    await releaseEncoders();
  }
}
