// The exact re-rank of the int8 scan's candidates, reading no more stored vectors than needed. The scan
// ranks candidates by an approximate cosine (the inner product of int8-coded projections); a candidate
// whose approximation, plus the largest error seen between approximation and exact cosine, stays under
// the k-th best exact cosine found so far cannot enter the top k — and neither can any after it, as they
// come in decreasing approximation. The error is learnt when the scan's codes are built (projected-scan.ts
// searches a sample of the collection's own vectors and of the paired modality's, reading every candidate)
// and stored with the codes, so no user search pays for it; codes stored without one (before stop 27) learn
// it from their first CALIBRATION searches instead, which read every candidate. Reads are most of a search's
// cost at 1M rows (random rows of the embeddings table, bench/search-scale.bench.ts), so fewer reads is lower
// latency. The bound is empirical: a pair erring more than SAFETY × the largest error seen so far could be
// missed; every read pair keeps widening it.

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
  #pairs = 0;

  /** `learnt`: the largest error a calibration found (then the bound is ready at once). */
  constructor(learnt?: number) {
    if (learnt !== undefined && Number.isFinite(learnt) && learnt >= 0) {
      this.#max = learnt;
      this.#searches = CALIBRATION;
    }
  }

  /** The largest |exact − approximate| seen, or undefined while calibrating. */
  get learnt(): number | undefined {
    return this.ready ? this.#max : undefined;
  }

  get ready(): boolean {
    return this.#searches >= CALIBRATION;
  }

  /** Largest |exact − approximate| allowed for: the largest seen, with margin. */
  get epsilon(): number {
    return this.#max * SAFETY;
  }

  /** Pairs (query, candidate) compared in this process. */
  get observed(): number {
    return this.#pairs;
  }

  observe(approx: number, exact: number): void {
    if (Number.isNaN(exact)) return;
    this.#max = Math.max(this.#max, Math.abs(exact - approx));
    this.#pairs++;
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

/**
 * Calibrates `bound` off the search path: every candidate of each query read and compared with its
 * approximation. Marks the bound ready once at least one query had candidates.
 */
export function calibrateBound(
  bound: ScanErrorBound,
  queries: readonly Float32Array[],
  search: (q: Float32Array) => { labels: readonly number[]; approx: Float32Array },
  exact: (q: Float32Array, ids: readonly number[]) => Float32Array,
): void {
  let searched = 0;
  for (const q of queries) {
    const hits = search(q);
    if (hits.labels.length === 0) continue;
    const e = exact(q, hits.labels);
    hits.labels.forEach((_, i) => bound.observe(hits.approx[i]!, e[i]!));
    searched++;
  }
  if (searched > 0) while (!bound.ready) bound.searched();
}
