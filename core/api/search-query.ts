// The `search` method over the search service: the API's query kinds (uploaded bytes, microphone
// samples, a moment and which of its embeddings to use) turned into the service's requests.
import { FoleyError } from '../../base/errors.ts';
import type { ProviderName } from '../../base/types.ts';
import { modelRecord } from '../library/handle.ts';
import type { Library } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import { search } from '../search/index.ts';
import { queryEmbeddings } from '../search/query.ts';
import type { SearchRequest, SearchResponse } from '../search/types.ts';
import { encoderFor } from '../embedding/encoders.ts';
import { refinePeaks } from '../localisation/refine.ts';
import type { PictureSource } from '../localisation/sources.ts';
import type { RequestOf, Responses } from './contract.ts';
import { contentKey, withUploadedFile } from './uploads.ts';
import { textSearch } from './text-search.ts';

export interface SearchSession {
  readonly provider?: ProviderName | 'auto';
  readonly threads?: number;
}

/** With `refine`, a picture query's sound results get their peak times (core/localisation/refine.ts). */
async function refined(library: Library, req: RequestOf<'search'>, session: SearchSession, picture: PictureSource | undefined, response: SearchResponse): Promise<SearchResponse> {
  if (req.refine !== true || picture === undefined) return response;
  const model = await resolveModel(library.dataDir, req.model);
  return refinePeaks({ model, encoder: encoderFor(model, session), library }, picture, response);
}

export async function searchMethod(library: Library, req: RequestOf<'search'>, session: SearchSession): Promise<Responses['search']> {
  const base = {
    ...(req.in !== undefined ? { in: req.in } : {}),
    ...(req.top !== undefined ? { top: req.top } : {}),
    ...(req.offset !== undefined ? { offset: req.offset } : {}),
    ...(req.model !== undefined ? { model: req.model } : {}),
    ...(req.class !== undefined ? { classFilter: { text: req.class.text, ...(req.class.min !== undefined ? { min: req.class.min } : {}) } } : {}),
  };
  const q = req.query;
  if (q.kind === 'text') return textSearch(library, req, q.text);
  if (q.kind === 'upload') {
    return withUploadedFile(library, q.bytes, q.media, async (file) => {
      const query: SearchRequest['query'] = q.media === 'image' ? { kind: 'image', file } : { kind: 'audio', file };
      const picture = q.media === 'image' ? { kind: 'file' as const, file, key: contentKey(q.bytes) } : undefined;
      return refined(library, req, session, picture, await search(library, { ...base, query }, session));
    });
  }
  if (q.kind === 'pcm') return search(library, { ...base, query: { kind: 'pcm', samples: q.samples, sampleRate: 16_000 } }, session);
  // A moment. With `use`, only one of its embeddings is the query (frame → sounds, sound → pictures).
  const moment = { kind: 'moment' as const, file: q.file, at: q.at };
  if (q.use === undefined) return refined(library, req, session, moment, await search(library, { ...base, query: moment }, session));
  const model = await resolveModel(library.dataDir, req.model);
  const e = await queryEmbeddings(library.db, model, modelRecord(library, model), { kind: 'moment', file: q.file, at: q.at }, session);
  const v = e[q.use];
  if (v === undefined) throw new FoleyError(`this moment has no ${q.use === 'visual' ? 'picture' : 'sound'} to search from`, { code: 'not_found' });
  const response = await search(library, { ...base, in: req.in ?? (q.use === 'visual' ? 'audio' : 'visual'), query: { kind: 'embedding', [q.use]: Array.from(v) } }, session);
  return refined(library, req, session, q.use === 'visual' ? moment : undefined, { ...response, query: { ...response.query, kind: 'moment' } });
}
