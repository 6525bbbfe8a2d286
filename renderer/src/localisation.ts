// Localisation in the app: which side of a query the results are localised against, how a page's maps
// are asked for (a queue of `localize` calls, a chunk of results each, after the results are shown, the
// one just toggled first) and kept (per query and window), and where a map goes over the part of a
// picture the model saw. No DOM here (draw-map.ts draws), so the unit tests run it under Node.
import type { LocalisedMoment, LocalizeResponse, SearchQuery, SearchResult } from '../../core/api/contract.ts';

/** 'audio': the query is a sound (maps over result pictures); 'visual': a picture (maps over result sounds); null: neither (a name). */
export function querySide(query: SearchQuery): 'audio' | 'visual' | null {
  if (query.kind === 'text') return null;
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
 * A results page's map requests: targets wait in a queue and go to the core a chunk at a time, one
 * call after another (the core localises on the CPU; parallel calls would only compete). A target
 * wanted `first` (the thumbnail just toggled) jumps the queue, so its map never waits behind a page of
 * others. Each chunk's entries are reported as they land; a call that fails as a whole stops the queue
 * and is reported once. `stop` drops what is left (a new page).
 */
export class MapQueue {
  readonly #call: (targets: MapTarget[]) => Promise<Pick<LocalizeResponse, 'results' | 'failures'>>;
  readonly #onChunk: (entries: Array<[string, MapEntry]>) => void;
  readonly #onError: (error: unknown) => void;
  #queue: MapTarget[] = [];
  /** Keys queued, in flight or answered: never asked twice. */
  readonly #seen = new Set<string>();
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(
    call: (targets: MapTarget[]) => Promise<Pick<LocalizeResponse, 'results' | 'failures'>>,
    onChunk: (entries: Array<[string, MapEntry]>) => void,
    onError: (error: unknown) => void,
  ) {
    this.#call = call;
    this.#onChunk = onChunk;
    this.#onError = onError;
  }

  /** Marks keys as known already (cached maps): they are never asked for. */
  known(keys: Iterable<string>): void {
    for (const k of keys) this.#seen.add(k);
  }

  /** Queues the results' windows not asked for yet; with `first`, ahead of the rest (and the already-queued ones move up). */
  want(results: readonly SearchResult[], first = false): void {
    if (this.#stopped) return;
    const targets = results.map((r) => ({ file: r.fileId, at: r.window.start }));
    if (first) {
      const keys = new Set(targets.map((t) => mapKey(t.file, t.at)));
      const moved = this.#queue.filter((t) => keys.has(mapKey(t.file, t.at)));
      this.#queue = [...moved, ...targets.filter((t) => !this.#seen.has(mapKey(t.file, t.at))), ...this.#queue.filter((t) => !keys.has(mapKey(t.file, t.at)))];
    } else {
      this.#queue.push(...targets.filter((t) => !this.#seen.has(mapKey(t.file, t.at))));
    }
    for (const t of targets) this.#seen.add(mapKey(t.file, t.at));
    this.#running ??= this.#pump().finally(() => (this.#running = null));
  }

  stop(): void {
    this.#stopped = true;
    this.#queue = [];
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const targets = this.#queue.splice(0, CHUNK);
        const res = await this.#call(targets);
        if (!this.#stopped) this.#onChunk(pageEntries(targets, res));
      }
    } catch (e) {
      if (!this.#stopped) this.#onError(e);
      this.stop();
    }
  }

  /** Settles when nothing waits and no call is out. */
  async settled(): Promise<void> {
    while (this.#running !== null) await this.#running;
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
