// Search results of a picture query refined in time: each result's best window is localised against
// the query picture and the moment gets `peak`, the second its sound matches the picture best. Only on
// request (it encodes every result's window again, with tokens), so plain search latency is unchanged.
import type { SearchResponse, SearchResult } from '../search/types.ts';
import { localiseMoments } from './localise.ts';
import type { PictureSource, SourceContext } from './sources.ts';

export async function refinePeaks(ctx: SourceContext, picture: PictureSource, response: SearchResponse): Promise<SearchResponse> {
  const withSound = response.results.filter((r) => r.matched !== 'visual' || r.scores.audio !== undefined);
  if (withSound.length === 0) return response;
  const targets = withSound.map((r) => ({ kind: 'moment' as const, file: r.fileId, at: r.window.start }));
  const { results } = await localiseMoments(ctx, { side: 'visual', source: picture }, targets);
  const peaks = new Map(results.map((l) => [`${l.fileId}|${l.window.start}`, l.sound.peak]));
  const refined = response.results.map((r): SearchResult => {
    const peak = peaks.get(`${r.fileId}|${r.window.start}`);
    return peak === undefined ? r : { ...r, peak };
  });
  return { ...response, results: refined };
}
