// Localisation of one sound against one picture (spec §9): the sound's pooled embedding against the
// picture's patch tokens (where in the picture the sound is) and the picture's embedding against the
// sound's patch tokens (where in the sound, in time and frequency, the picture is heard). A query
// against a page of indexed moments encodes the query once and each moment's other side once.
import { FoleyError } from '../../base/errors.ts';
import type { Modality } from '../../base/types.ts';
import { cosineMap, peakSeconds } from './maps.ts';
import type { TokenMap } from './maps.ts';
import { encodePicture, encodeSound, resolveMoment } from './sources.ts';
import type { EncodedPicture, EncodedSound, MomentRef, PictureSource, SoundSource, SourceContext } from './sources.ts';
import type { LocaliseFailure, LocalisedMoment, Localisation, MapJson } from './types.ts';

/** Frame hop of the fbank every family uses (10 ms). */
const FRAME_SECONDS = 0.01;

function toJson(map: TokenMap): MapJson {
  return { shape: [map.shape[0], map.shape[1]], data: Array.from(map.data) };
}

/** Both maps of an encoded pair, and the sound's peak time. */
export function localisePair(ctx: SourceContext, sound: EncodedSound, picture: EncodedPicture): Localisation {
  const visual = cosineMap(sound.embedding, picture.tokens, picture.grid);
  const audio = cosineMap(picture.embedding, sound.tokens, sound.grid);
  const inputFrames = ctx.encoder.family.inputShape('audio', ctx.encoder.config)[0]!;
  // A frame-level model (Sync) hears its middle frame's stretch of the window, not all of it.
  const level = ctx.encoder.frameLevel();
  const inputStart = level === undefined ? 0 : level.soundSpan(level.defaultFrame)[0];
  const peak = sound.meta.start + inputStart + peakSeconds(audio, inputFrames, Math.max(0, sound.meta.seconds - inputStart));
  return {
    visual: toJson(visual),
    audio: toJson(audio),
    sound: { ...sound.meta, inputSeconds: Math.round(inputFrames * FRAME_SECONDS * 1e6) / 1e6, inputStart: Math.round(inputStart * 1e6) / 1e6, peak },
    picture: picture.meta,
  };
}

/** One sound against one picture (`foley localize`). */
export async function localise(ctx: SourceContext, sound: SoundSource, picture: PictureSource): Promise<Localisation> {
  const [s, p] = await Promise.all([encodeSound(ctx, sound), encodePicture(ctx, picture)]);
  return localisePair(ctx, s, p);
}

export type LocaliseQuery = { readonly side: 'audio'; readonly source: SoundSource } | { readonly side: 'visual'; readonly source: PictureSource };

export interface MomentsLocalised {
  readonly query: Modality;
  readonly results: LocalisedMoment[];
  /** Targets that could not be localised (gone from disk, no picture there …); the others still are. */
  readonly failures: LocaliseFailure[];
}

/**
 * The query against each target moment: a sound query meets each moment's frame, a picture query
 * each moment's sound. Targets go one after another (the encoder is CPU-bound); a failing target is
 * reported and skipped, never the whole page, unless the query itself fails.
 */
export async function localiseMoments(ctx: SourceContext, query: LocaliseQuery, targets: readonly MomentRef[]): Promise<MomentsLocalised> {
  const q = query.side === 'audio' ? await encodeSound(ctx, query.source) : await encodePicture(ctx, query.source);
  const results: LocalisedMoment[] = [];
  const failures: LocaliseFailure[] = [];
  for (const target of targets) {
    try {
      const moment = resolveMoment(ctx.library, target);
      const pair =
        query.side === 'audio'
          ? localisePair(ctx, q as EncodedSound, await encodePicture(ctx, target))
          : localisePair(ctx, await encodeSound(ctx, target), q as EncodedPicture);
      results.push({ ...pair, file: moment.path, fileId: moment.fileId, window: { start: moment.start, end: moment.end } });
    } catch (e) {
      // A target's own problem (its file gone or unreadable, no picture there) is its failure alone;
      // anything else (the model, a bug) is everyone's and stops the call.
      if (!(e instanceof FoleyError)) throw e;
      failures.push({ file: target.file, at: target.at, error: e.message });
    }
  }
  return { query: query.side, results, failures };
}
