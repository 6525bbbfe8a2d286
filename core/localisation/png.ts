// `foley localize --png`: one PNG holding the picture with the visual map over the centre square the
// model sees, the window's spectrogram with the audio map, and a colour bar (low → high) under each.
import { SAMPLE_RATE } from '../../base/window-plan.ts';
import { fbankFrameCount } from '../../native-models/preprocess/fbank.ts';
import { encodePng } from '../indexing/thumbnails.ts';
import { legendBar, pictureWithMap, spectrogramImage, spectrogramWithMap, stack } from './render.ts';
import { loadPicture, loadSound } from './sources.ts';
import type { PictureSource, SoundSource, SourceContext } from './sources.ts';
import type { Localisation } from './types.ts';

export async function localisationPng(ctx: SourceContext, sound: SoundSource, picture: PictureSource, loc: Localisation): Promise<Buffer> {
  const [{ samples }, { frame }] = await Promise.all([loadSound(ctx, sound), loadPicture(ctx, picture)]);
  const [frames, bins] = ctx.encoder.family.inputShape('audio', ctx.encoder.config) as [number, number];
  const realFrames = fbankFrameCount(samples.length, { sampleRate: SAMPLE_RATE, melBins: bins });
  const spectrogram = spectrogramWithMap(spectrogramImage(ctx.encoder.audioInput(samples), frames, bins, realFrames), loc.audio);
  const shown = pictureWithMap(frame, loc.visual, spectrogram.width);
  return encodePng(stack([shown, legendBar(shown.width), spectrogram, legendBar(spectrogram.width)]));
}
