// Localisation in the app: which side of a query the results are localised against, how a page's maps
// are asked for (one `localize` call per chunk of results, after the results are shown) and kept (per
// query and window), and where a map goes over the part of a picture the model saw. No DOM here
// (draw-map.ts draws), so the unit tests run it under Node.
import type { ApiQuery, LocalisedMoment, LocalizeResponse, SearchResult } from '../../core/api/contract.ts';

/** 'audio': the query is a sound (maps over result pictures); 'visual': a picture (maps over result sounds). */
export function querySide(query: ApiQuery): 'audio' | 'visual' | null {
  if (query.kind === 'pcm') return 'audio';
  if (query.kind === 'upload') return query.media === 'image' ? 'visual' : 'audio';
  return query.use ?? null;
}

/** Results show a heatmap over their picture (sound query) or a spectrogram map (picture query) when that side matched. */
export function localisable(side: 'audio' | 'visual' | null, r: SearchResult): boolean {
  if (side === 'audio') return r.matched !== 'audio';
  if (side === 'visual') return r.matched !== 'visual';
  return false;
}

export function mapKey(fileId: number, windowStart: number): string {
  return `${fileId}|${Math.round(windowStart * 1000)}`;
}

/** Results per `localize` call: the first ones appear quickly, a page never needs more than a few calls. */
export const CHUNK = 8;

/** A target moment as `localize` takes it (by file id: the results know theirs). */
export interface MapTarget {
  readonly file: number;
  readonly at: number;
}

/** A window's map, or why the core could not make it (its file gone, no picture there …). */
export type MapEntry = { readonly ok: true; readonly moment: LocalisedMoment } | { readonly ok: false; readonly error: string };

/**
 * Pairs each asked target with its answer. The response lists the localised targets in the order asked
 * and the failed ones apart (as asked: file id and time), so a failure never shifts the others.
 */
export function pageEntries(targets: readonly MapTarget[], res: Pick<LocalizeResponse, 'results' | 'failures'>): Array<[string, MapEntry]> {
  const failed = new Map<string, string>();
  for (const f of res.failures ?? []) if (typeof f.file === 'number') failed.set(mapKey(f.file, f.at), f.error);
  let next = 0;
  return targets.map((t): [string, MapEntry] => {
    const key = mapKey(t.file, t.at);
    const error = failed.get(key);
    if (error !== undefined) return [key, { ok: false, error }];
    const moment = res.results[next++];
    return [key, moment === undefined ? { ok: false, error: 'not localised' } : { ok: true, moment }];
  });
}

/**
 * Asks for the maps of `results` not yet known, chunk by chunk, reporting each chunk as it lands. A call
 * that fails as a whole (the query itself, the server) rejects; a target that fails is an entry.
 */
export async function loadMaps(
  results: readonly SearchResult[],
  known: (key: string) => boolean,
  call: (targets: MapTarget[]) => Promise<Pick<LocalizeResponse, 'results' | 'failures'>>,
  onChunk: (entries: Array<[string, MapEntry]>) => void,
): Promise<void> {
  const todo = results.filter((r) => !known(mapKey(r.fileId, r.window.start)));
  for (let i = 0; i < todo.length; i += CHUNK) {
    const targets = todo.slice(i, i + CHUNK).map((r) => ({ file: r.fileId, at: r.window.start }));
    onChunk(pageEntries(targets, await call(targets)));
  }
}

/**
 * The maps already made in this session, per (query, model, window): running a query again, or
 * coming back to it from the recent list, draws its maps without asking the core. Failures are not
 * kept (the next page or run tries again). Bounded: the oldest go first.
 */
export class MapCache {
  readonly #maps = new Map<string, LocalisedMoment>();
  readonly limit: number;

  constructor(limit = 600) {
    this.limit = limit;
  }

  #key(queryId: string, model: string, key: string): string {
    return `${model}\u0000${queryId}\u0000${key}`;
  }

  get(queryId: string, model: string, key: string): LocalisedMoment | undefined {
    return this.#maps.get(this.#key(queryId, model, key));
  }

  set(queryId: string, model: string, key: string, moment: LocalisedMoment): void {
    const k = this.#key(queryId, model, key);
    this.#maps.delete(k);
    this.#maps.set(k, moment);
    for (const oldest of this.#maps.keys()) {
      if (this.#maps.size <= this.limit) break;
      this.#maps.delete(oldest);
    }
  }

  get size(): number {
    return this.#maps.size;
  }
}

/** The app's one cache (module state: it outlives result pages and the components showing them). */
export const mapCache = new MapCache();

/** Seconds as m:ss.t (h:mm:ss.t past an hour): where in a file a sound is heard. */
export function tenthsText(seconds: number): string {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths % 36_000) / 600);
  const s = Math.floor((tenths % 600) / 10);
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}.${tenths % 10}`;
}

/**
 * The centre square of a picture (what the model sees) inside a box showing it with object-fit
 * cover or contain: left, top and side in the box's pixels (it may overflow the box under cover).
 */
export function centreSquare(picture: { width: number; height: number }, box: { width: number; height: number }, fit: 'cover' | 'contain'): { left: number; top: number; side: number } {
  const sx = box.width / picture.width;
  const sy = box.height / picture.height;
  const scale = fit === 'cover' ? Math.max(sx, sy) : Math.min(sx, sy);
  const side = Math.min(picture.width, picture.height) * scale;
  return { left: (box.width - side) / 2, top: (box.height - side) / 2, side };
}
