// The `localize` method: the API's query kinds (uploaded bytes, microphone samples, a moment and which
// of its sides to use) turned into a localisation query, run against the requested moments.
import { FoleyError } from '../../base/errors.ts';
import { encoderFor } from '../embedding/encoders.ts';
import type { Library } from '../library/handle.ts';
import { localiseMoments } from '../localisation/localise.ts';
import type { LocaliseQuery } from '../localisation/localise.ts';
import { resolveModel } from '../models/store.ts';
import type { RequestOf, Responses } from './contract.ts';
import type { SearchSession } from './search-query.ts';
import { contentKey, withUploadedFile } from './uploads.ts';

export async function localizeMethod(library: Library, req: RequestOf<'localize'>, session: SearchSession): Promise<Responses['localize']> {
  const model = await resolveModel(library.dataDir, req.model);
  const encoder = encoderFor(model, session);
  const ctx = { model, encoder, library };
  const targets = req.targets.map((t) => ({ kind: 'moment' as const, file: t.file, at: t.at }));
  const run = async (query: LocaliseQuery): Promise<Responses['localize']> => {
    const r = await localiseMoments(ctx, query, targets);
    return { model: model.manifest.name, provider: await encoder.provider(r.query), ...r };
  };
  const q = req.query;
  if (q.kind === 'moment') {
    if (q.use === undefined) throw new FoleyError('localize: say which side of the query moment to use ("audio": its sound, "visual": its picture)');
    const source = { kind: 'moment' as const, file: q.file, at: q.at };
    return run(q.use === 'audio' ? { side: 'audio', source } : { side: 'visual', source });
  }
  if (q.kind === 'pcm') {
    const samples = Float32Array.from(q.samples);
    return run({ side: 'audio', source: { kind: 'samples', samples, key: contentKey(new Uint8Array(samples.buffer)) } });
  }
  // Uploaded bytes, named in the token cache by their content, so the next page of the same query
  // reuses its tokens.
  const key = contentKey(q.bytes);
  return withUploadedFile(library, q.bytes, q.media, (file) =>
    run(q.media === 'image' ? { side: 'visual', source: { kind: 'file', file, key } } : { side: 'audio', source: { kind: 'file', file, key } }),
  );
}
