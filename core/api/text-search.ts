// The `search` method's text queries: a class name ranked by the probability a fine-tuned model gives
// it (core/search/class-search.ts), through the model that tags the library unless the request names
// one (the default model is usually pretrained, with no classes). Answered in the shape of every
// search, so the app shows the moments with the same Results, each with the class it matched.
import type { Library } from '../library/handle.ts';
import { searchByClass } from '../search/class-search.ts';
import { textSearchModel } from '../tagging/tagging-model.ts';
import type { RequestOf, Responses } from './contract.ts';
import { ApiError } from './errors.ts';

export async function textSearch(library: Library, req: RequestOf<'search'>, text: string): Promise<Responses['search']> {
  // `in` has nothing to choose (a class's probability reads sound and pictures as the model does); refine would need a picture.
  if (req.refine === true) throw new ApiError('bad_request', 'search.refine: a text query has no picture to localise');
  if (req.class !== undefined) throw new ApiError('bad_request', 'search.class: a text query is a class already (the class filter goes with sound and picture queries)');
  const model = await textSearchModel(library.dataDir, req.model);
  const r = await searchByClass(library, { text, model, ...(req.top !== undefined ? { top: req.top } : {}), ...(req.offset !== undefined ? { offset: req.offset } : {}) });
  return {
    // ClassSearchResult is a SearchResult with its class: the service's results go out as they are.
    results: r.results,
    query: { kind: 'text', in: 'both', directions: ['text→classes'], model: r.query.model, cached: false, text: { text: r.query.text, classes: r.query.classes, names: r.query.names, tagged: r.tagged, windows: r.windows } },
    // Every tagged window is ranked (in memory, the top ones from their stored logits): exact.
    method: 'exact',
    searched: {},
    offset: r.offset,
    top: r.top,
    hasMore: r.hasMore,
    // Nothing is embedded for a text query: the class's stored scores are ranked.
    timings: { embedMs: 0, searchMs: r.timings.searchMs },
  };
}
