// Cross-modal search: the one typed entry point the CLI, `foley serve` and Electron call.
//
//   search(library, request) → query embeddings (query.ts) → per index, the best windows with exact
//   cosines (engine.ts) → filters (filters.ts) → threshold → moments, grouping, page (moments.ts).
//
// Directions. For an index of modality m the query uses its own embedding of modality m when it has
// one, else its other one: an audio file searched `in: 'visual'` is audio→visual, an image `in:
// 'audio'` visual→audio, a video moment `in: 'audio'` audio→audio.
//
// Both modalities (`in: 'both'`, the default for a moment): score = wa·cos(qa, a) + wv·cos(qv, v),
// weights [wa, wv] default [0.5, 0.5] (qa/qv as above, so an audio-only query scores both indexes with
// its audio vector). A window with only one modality stored gets only that term (the missing one counts
// 0), so it is still found but ranks below an equally similar window that has both.
import type { Database } from '../../db/connection.ts';
import { listModels } from '../../db/models.ts';
import type { Model } from '../../db/models.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import { resolveModel } from '../models/store.ts';
import type { InstalledModel } from '../models/store.ts';
import { engineFor } from './engine.ts';
import type { Method, ModalityEngine } from './engine.ts';
import { allowedWindows, hasFilters } from './filters.ts';
import { groupByFile, page, toMoments } from './moments.ts';
import { clipScoredWindows } from './clips.ts';
import { latestFrames } from '../../db/runs.ts';
import { labelFrame, labelWindow } from '../../base/window-plan.ts';
import type { ScoredWindow } from './moments.ts';
import { queryEmbeddings } from './query.ts';
import { activeVersion, versionParams } from '../../db/learning.ts';
import { adaptVectors } from '../learning/training/adapter.ts';
import type { QueryEmbeddings } from './query.ts';
import type { SearchIn, SearchRequest, SearchResponse, SearchResult } from './types.ts';
import { windowsOfClass } from './class-filter.ts';
import type { Modality } from '../../base/types.ts';

export const DEFAULT_TOP = 10;
export const MAX_TOP = 1000;
export const DEFAULT_WEIGHTS: readonly [number, number] = [0.5, 0.5];
/** Windows considered per page before merging: max(MIN_POOL, POOL_FACTOR·(offset+top)), grown ×4 until the page fills. */
export const MIN_POOL = 100;
export const POOL_FACTOR = 5;

export function defaultIn(q: SearchRequest['query'], e?: QueryEmbeddings): SearchIn {
  switch (q.kind) {
    case 'audio':
    case 'pcm':
      return 'visual';
    case 'image':
      return 'audio';
    case 'moment':
      return 'both';
    case 'embedding':
      return e?.audio !== undefined && e.visual !== undefined ? 'both' : e?.audio !== undefined ? 'visual' : 'audio';
  }
}

function check(r: SearchRequest): { top: number; offset: number; weights: readonly [number, number] } {
  const top = r.top ?? DEFAULT_TOP;
  const offset = r.offset ?? 0;
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new FoleyError(`top must be an integer from 1 to ${MAX_TOP} (got ${top})`);
  if (!Number.isInteger(offset) || offset < 0) throw new FoleyError(`offset must be an integer >= 0 (got ${offset})`);
  if (r.threshold !== undefined && !Number.isFinite(r.threshold)) throw new FoleyError(`threshold must be a number (got ${r.threshold})`);
  if (r.ef !== undefined && !(Number.isInteger(r.ef) && r.ef >= 1)) throw new FoleyError(`ef must be an integer >= 1 (got ${r.ef})`);
  if (r.in !== undefined && r.in !== 'audio' && r.in !== 'visual' && r.in !== 'both') throw new FoleyError(`in must be audio, visual or both (got ${String(r.in)})`);
  const weights = r.weights ?? DEFAULT_WEIGHTS;
  if (weights.length !== 2 || !weights.every((w) => Number.isFinite(w) && w >= 0) || weights[0] + weights[1] <= 0) {
    throw new FoleyError(`weights must be two numbers >= 0, not both 0 (got ${weights.join(',')})`);
  }
  return { top, offset, weights };
}

/** Searches the library. Model files are needed only for queries that must be embedded. */
export async function search(library: Library, request: SearchRequest, session: SessionOptions = {}): Promise<SearchResponse> {
  check(request);
  const t0 = performance.now();
  const model = await resolveModel(library.dataDir, request.model);
  const modelRow = findModelRow(library.db, model) ?? modelRecord(library, model);
  const q = await queryEmbeddings(library.db, model, modelRow, request.query, session);
  const embedMs = performance.now() - t0;
  const cf = request.classFilter !== undefined ? await windowsOfClass(library, request.classFilter) : undefined;
  const response = searchEmbeddings(library.db, modelRow, q, request, cf?.windows);
  const classFilter = cf === undefined ? {} : { classFilter: { model: cf.model, classes: cf.classes.map((c) => c.name), min: cf.min, windows: cf.windows.size, tagged: cf.tagged, total: cf.total } };
  return { ...response, ...classFilter, query: { ...response.query, kind: request.query.kind }, timings: { embedMs, searchMs: response.timings.searchMs } };
}

/** The model's row without a write (ensureModel takes the write lock, which an indexer may hold). */
function findModelRow(db: Database, model: InstalledModel): Model | undefined {
  const m = model.manifest;
  return listModels(db).find((r) => r.name === m.name && r.checkpointSha256 === m.source.sha256 && r.precision === m.precision);
}

/**
 * Everything after the query embedding (the part benches time): exact or HNSW search per index,
 * filters, threshold, merging, grouping, paging. `only`, when given, also limits the windows.
 */
export function searchEmbeddings(db: Database, modelRow: Model, q: QueryEmbeddings, request: SearchRequest, only?: ReadonlySet<number>): SearchResponse {
  const { top, offset, weights } = check(request);
  const t0 = performance.now();
  const into = request.in ?? defaultIn(request.query, q);
  const targets: Modality[] = into === 'both' ? ['audio', 'visual'] : [into];
  const queryFor = (m: Modality): Float32Array => {
    const v = q[m] ?? q[m === 'audio' ? 'visual' : 'audio'];
    if (v === undefined) throw new FoleyError('the query has no embedding');
    return v;
  };
  const engines = new Map<Modality, ModalityEngine>();
  for (const m of targets) {
    const e = engineFor(db, modelRow.id, m, modelRow.dim, modelRow.frameLevel);
    e.refresh(db, request.method !== undefined ? { method: request.method } : {});
    engines.set(m, e);
  }
  // `only`: windows a class filter let through (resolved by the caller, which has the library).
  const byFilters = hasFilters(request.filters) ? allowedWindows(db, request.filters) : undefined;
  const allowed = only === undefined ? byFilters : byFilters === undefined ? only : new Set([...only].filter((id) => byFilters.has(id)));
  const self = request.query.kind === 'moment' && request.excludeSelf !== false ? q.selfWindowId : undefined;
  const accept = allowed === undefined && self === undefined ? undefined : (id: number): boolean => id !== self && (allowed === undefined || allowed.has(id));
  const threshold = request.threshold ?? -Infinity;
  const ef = request.ef;
  const total = Math.max(...[...engines.values()].map((e) => e.size));
  const want = offset + top;

  const adapter = request.adapter === false ? undefined : activeAdapter(db, modelRow);
  let pool = Math.max(MIN_POOL, POOL_FACTOR * want);
  // A frame-level model's moment query compares whole windows (clip score); other queries find frames.
  const clip = modelRow.frameLevel && (q.audioFrames !== undefined || q.visualFrames !== undefined);
  const framesPerWindow = modelRow.frameLevel ? latestFrames(db, modelRow.id) : 1;
  let found: { items: SearchResult[]; hasMore: boolean } | undefined;
  while (found === undefined) {
    const windows = clip
      ? clipScoredWindows(db, { ...(q.audioFrames ? { audio: q.audioFrames } : {}), ...(q.visualFrames ? { visual: q.visualFrames } : {}) }, { engines, targets, weights, pool, ef, accept })
      : frameHits(scoredWindows(db, engines, targets, queryFor, weights, pool, ef, accept, crossModal(q, targets) ? adapter : undefined), modelRow.frameLevel);
    const passing = windows.filter((w) => w.score >= threshold);
    const exhausted = pool >= total || passing.length < windows.length || windows.length < pool;
    const moments = toMoments(db, passing, into, request.merge !== false, framesPerWindow);
    const ranked = request.groupByFile === true ? groupByFile(moments) : moments;
    if (ranked.length > want || exhausted) found = { items: page(ranked, offset, top), hasMore: ranked.length > want };
    else pool *= 4;
  }
  const { items, hasMore } = found;
  const methods = [...engines.values()].map((e) => e.method);
  const method: Method = methods.includes('scan') ? 'scan' : methods.includes('hnsw') ? 'hnsw' : 'exact';
  const searched: Partial<Record<Modality, number>> = {};
  for (const [m, e] of engines) searched[m] = e.size;
  const directions = targets.map((m) => `${q[m] !== undefined ? m : m === 'audio' ? 'visual' : 'audio'}→${m}`);
  return {
    results: items,
    query: { kind: request.query.kind, in: into, directions, model: modelRow.name, ...(q.windows !== undefined ? { windows: q.windows } : {}), cached: q.cached },
    method,
    ...(adapter !== undefined && crossModal(q, targets) ? { adapter: adapter.versionId } : {}),
    searched,
    offset,
    top,
    hasMore,
    timings: { embedMs: 0, searchMs: performance.now() - t0 },
  };
}

/** A frame-level model's hits are frame labels: their windows and frames. */
function frameHits(hits: ScoredWindow[], frameLevel: boolean): ScoredWindow[] {
  return frameLevel ? hits.map((h) => ({ ...h, id: labelWindow(h.id), frame: labelFrame(h.id) })) : hits;
}

interface Adapter {
  readonly versionId: number;
  readonly params: Float32Array;
  readonly dim: number;
}

/** The active trained adapter of this model (core/learning/training/adapter.ts), if the learning job kept one. */
function activeAdapter(db: Database, modelRow: Model): Adapter | undefined {
  const v = activeVersion(db, modelRow.id, 'adapter');
  return v === undefined ? undefined : { versionId: v.id, params: versionParams(db, v.id), dim: modelRow.dim };
}

/** One index searched with the other modality's query embedding: where the adapter applies. */
function crossModal(q: QueryEmbeddings, targets: readonly Modality[]): boolean {
  return targets.length === 1 && q[targets[0]!] === undefined;
}

/**
 * Cross-modal search through the adapter: the plain index proposes ADAPTER_POOL_FACTOR× more
 * candidates (the adapter starts at the identity and stays near it, so the right windows are among
 * them), which are re-scored in the adapted space: cos(W_q·q, W_m·v).
 */
const ADAPTER_POOL_FACTOR = 4;

function adaptedScores(
  db: Database,
  engine: ModalityEngine,
  query: Float32Array,
  queryModality: Modality,
  ids: readonly number[],
  adapter: Adapter,
): Float32Array {
  const q = adaptVectors(adapter.params, adapter.dim, queryModality, query);
  const { vectors, found } = engine.vectorsOf(db, ids);
  const adapted = adaptVectors(adapter.params, adapter.dim, engine.modality, vectors);
  const out = new Float32Array(ids.length).fill(Number.NaN);
  for (let i = 0; i < ids.length; i++) {
    if (!found[i]) continue;
    let dot = 0;
    for (let j = 0; j < adapter.dim; j++) dot += adapted[i * adapter.dim + j]! * q[j]!;
    out[i] = dot;
  }
  return out;
}

/**
 * The best `pool` entries (accepted windows only) with exact scores, best first. Entries are the
 * engines' labels: windows, or a frame-level model's frames (frameHits turns those into windows).
 * With both modalities a frame scores with its own sound and picture.
 */
function scoredWindows(
  db: Database,
  engines: Map<Modality, ModalityEngine>,
  targets: readonly Modality[],
  queryFor: (m: Modality) => Float32Array,
  weights: readonly [number, number],
  pool: number,
  /** Undefined: each engine picks efFor(its size). */
  ef: number | undefined,
  accept: ((id: number) => boolean) | undefined,
  adapter?: Adapter,
): ScoredWindow[] {
  const opts = { ...(ef !== undefined ? { ef } : {}), ...(accept !== undefined ? { accept } : {}) };
  if (targets.length === 1 && adapter !== undefined) {
    const m = targets[0]!;
    const e = engines.get(m)!;
    const query = queryFor(m);
    const ids = e.search(db, query, pool * ADAPTER_POOL_FACTOR, opts).ids;
    const scores = adaptedScores(db, e, query, m === 'audio' ? 'visual' : 'audio', ids, adapter);
    const out: ScoredWindow[] = [];
    ids.forEach((id, i) => {
      if (!Number.isNaN(scores[i]!)) out.push({ id, score: scores[i]!, scores: { [m]: scores[i]! } });
    });
    out.sort((x, y) => y.score - x.score || x.id - y.id);
    return out.slice(0, pool);
  }
  if (targets.length === 1) {
    const m = targets[0]!;
    const r = engines.get(m)!.search(db, queryFor(m), pool, opts);
    return r.ids.map((id, i) => ({ id, score: r.scores[i]!, scores: { [m]: r.scores[i]! } }));
  }
  // Both: candidates from each index (all windows when exact), then both cosines of every candidate.
  const audio = engines.get('audio')!;
  const visual = engines.get('visual')!;
  const candidates = new Set<number>();
  for (const [m, e] of [['audio', audio], ['visual', visual]] as const) {
    const all = e.allIds();
    const ids = all !== undefined ? all.filter((id) => accept === undefined || accept(e.windowOf(id))) : e.search(db, queryFor(m), pool, opts).ids;
    for (const id of ids) candidates.add(id);
  }
  const ids = [...candidates];
  const sa = audio.scoreIds(db, queryFor('audio'), ids);
  const sv = visual.scoreIds(db, queryFor('visual'), ids);
  const [wa, wv] = weights;
  const out: ScoredWindow[] = ids.map((id, i) => {
    const a = sa[i]!;
    const v = sv[i]!;
    const score = (Number.isNaN(a) ? 0 : wa * a) + (Number.isNaN(v) ? 0 : wv * v);
    return { id, score, scores: { ...(Number.isNaN(a) ? {} : { audio: a }), ...(Number.isNaN(v) ? {} : { visual: v }) } };
  });
  out.sort((x, y) => y.score - x.score || x.id - y.id);
  return out.slice(0, pool);
}
