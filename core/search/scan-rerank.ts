// The exact re-rank of the int8 scan's candidates, reading no more stored vectors than needed. The scan
// ranks candidates by an approximate cosine (the inner product of int8-coded projections); a candidate
// whose approximation, plus the largest error seen between approximation and exact cosine, stays under
// the k-th best exact cosine found so far cannot enter the top k — and neither can any after it, as they
// come in decreasing approximation. The error is learnt from this collection's own searches: the first
// CALIBRATION searches read every candidate and record it. Reads are most of a search's cost at 1M rows
// (random rows of the embeddings table, bench/search-scale.bench.ts), so fewer reads is lower latency.
// The bound is empirical: a pair erring more than SAFETY × the largest error seen so far could be missed;
// every read pair keeps widening it.

/** Searches that read every candidate before the bound is used. */
export const CALIBRATION = 20;
/** Margin over the largest error seen. */
const SAFETY = 1.5;
/** Candidates read first (at least k), then in blocks of BLOCK. */
const FIRST = 50;
const BLOCK = 25;

export class ScanErrorBound {
  #max = 0;
  #searches = 0;

  get ready(): boolean {
    return this.#searches >= CALIBRATION;
  }

  /** Largest |exact − approximate| allowed for: the largest seen, with margin. */
  get epsilon(): number {
    return this.#max * SAFETY;
  }

  observe(approx: number, exact: number): void {
    if (!Number.isNaN(exact)) this.#max = Math.max(this.#max, Math.abs(exact - approx));
  }

  searched(): void {
    this.#searches++;
  }
}

/**
 * Exact cosines of the candidates `ids` (in decreasing `approx`), read through `read` (NaN where a label
 * has no vector) until the rest cannot reach the top k; unread ones stay NaN. Returns them and how many
 * were read.
 */
export function rerankScanned(
  ids: readonly number[],
  approx: Float32Array,
  k: number,
  bound: ScanErrorBound,
  read: (ids: readonly number[]) => Float32Array,
): { exact: Float32Array; read: number } {
  const exact = new Float32Array(ids.length).fill(Number.NaN);
  const calibrating = !bound.ready;
  let done = 0;
  while (done < ids.length) {
    const size = Math.min(ids.length - done, done === 0 ? Math.max(FIRST, k) : BLOCK);
    exact.set(read(ids.slice(done, done + size)), done);
    for (let i = done; i < done + size; i++) bound.observe(approx[i]!, exact[i]!);
    done += size;
    if (calibrating || done >= ids.length) continue;
    const kth = kthLargest(exact.subarray(0, done), k);
    if (kth !== undefined && approx[done]! + bound.epsilon < kth) break;
  }
  if (done === ids.length) bound.searched();
  return { exact, read: done };
}

/** The k-th largest non-NaN value, or undefined when there are fewer than k. */
function kthLargest(values: Float32Array, k: number): number | undefined {
  const kept = Array.from(values).filter((v) => !Number.isNaN(v));
  if (kept.length < k) return undefined;
  kept.sort((a, b) => b - a);
  return kept[k - 1];
}
