// Public surface of the search service.
export { search, searchEmbeddings, defaultIn, DEFAULT_TOP, DEFAULT_WEIGHTS } from './search.ts';
export { EXACT_MAX_VECTORS, SEARCH_EF } from './engine.ts';
export { clearQueryCache } from './query.ts';
export type * from './types.ts';
