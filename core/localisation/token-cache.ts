// Tokens of the windows and pictures on screen, kept so that toggling a heatmap, paging back, or
// localising the same query against the next page never runs the encoder again. An LRU bounded by
// bytes, not entries: a full-size audio window's tokens are 1.5 MB, a tiny test model's 64 KB.
// Concurrent requests for the same key share one computation.

/** One stream's encoder output for one item, plus what the caller needs to know about its source. */
export interface EncodedItem<M> {
  /** L2-normalised pooled embedding (D). */
  readonly embedding: Float32Array;
  /** Patch tokens, row-major over `grid` (N·D). */
  readonly tokens: Float32Array;
  readonly grid: readonly [rows: number, cols: number];
  readonly meta: M;
}

const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

function maxBytesFromEnv(): number {
  const mb = Number(process.env.FOLEY_TOKEN_CACHE_MB);
  return Number.isFinite(mb) && mb >= 0 ? mb * 2 ** 20 : DEFAULT_MAX_BYTES;
}

export class TokenCache {
  private readonly entries = new Map<string, EncodedItem<unknown>>();
  private readonly pending = new Map<string, Promise<EncodedItem<unknown>>>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  private readonly maxBytes: number;

  constructor(maxBytes: number = maxBytesFromEnv()) {
    this.maxBytes = maxBytes;
  }

  /** The cached item for `key`, else `compute()`'s, remembered. */
  async get<M>(key: string, compute: () => Promise<EncodedItem<M>>): Promise<EncodedItem<M>> {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit as EncodedItem<M>;
    }
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return (await inFlight) as EncodedItem<M>;
    this.misses++;
    const p = compute();
    this.pending.set(key, p);
    try {
      const item = await p;
      this.put(key, item);
      return item;
    } finally {
      this.pending.delete(key);
    }
  }

  private put(key: string, item: EncodedItem<unknown>): void {
    const size = sizeOf(item);
    if (size > this.maxBytes) return;
    this.entries.set(key, item);
    this.bytes += size;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= sizeOf(v);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.hits = 0;
    this.misses = 0;
  }
}

function sizeOf(item: EncodedItem<unknown>): number {
  return item.embedding.byteLength + item.tokens.byteLength;
}

/** The process's cache (the app, `foley serve`, one CLI command). */
export const tokenCache = new TokenCache();
