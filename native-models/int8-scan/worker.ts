// The int8 scan's own thread: it holds every row's projected int8 code and runs the scan graph
// (graphs.ts) through ONNX Runtime, whose calls are asynchronous; the caller's thread waits for the
// reply (scanner.ts), so to the search engine the scan is an ordinary synchronous call.
import * as ort from 'onnxruntime-node';
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { encodeGraph, scanGraph } from './graphs.ts';
import type { ScanReply, ScanRequest } from './protocol.ts';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

/** Rows removed beyond this share of the stored ones are squeezed out (they cost scan time). */
const COMPACT_AT = 0.2;

interface State {
  readonly dim: number;
  readonly d: number;
  readonly basis: Float32Array;
  readonly scales: Float32Array;
  readonly encode: ort.InferenceSession;
  readonly scan: ort.InferenceSession;
  codes: Uint8Array;
  /** Label of each stored row; NaN for a removed one. */
  labels: Float64Array;
  /** Stored rows, removed ones included. */
  rows: number;
  dead: number;
  readonly rowOf: Map<number, number>;
}

let state: State | undefined;

function must(): State {
  if (state === undefined) throw new Error('the scan was not initialised');
  return state;
}

async function init(r: Extract<ScanRequest, { op: 'init' }>): Promise<void> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: r.threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning after a scan: the caller's thread re-ranks right
    // after it, and on 2 cores spinning threads took the core from those reads. 1M rows, 300 queries × 9
    // runs each way, alternating: re-rank reads' p99 11.4 against 15.8 ms, search p99 22.9 against 25.5;
    // the scan's own p50 unchanged (6.0–6.4 ms).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const encode = await ort.InferenceSession.create(encodeGraph(r.basis, r.dim, r.d, r.scales), options);
  const scan = await ort.InferenceSession.create(scanGraph(r.d), options);
  await state?.encode.release();
  await state?.scan.release();
  state = { dim: r.dim, d: r.d, basis: r.basis, scales: r.scales, encode, scan, codes: new Uint8Array(0), labels: new Float64Array(0), rows: 0, dead: 0, rowOf: new Map() };
}

function reserve(s: State, more: number): void {
  if (s.rows + more <= s.labels.length) return;
  const cap = Math.max(1024, s.rows + more, Math.ceil(s.labels.length * 1.5));
  const codes = new Uint8Array(cap * s.d);
  codes.set(s.codes.subarray(0, s.rows * s.d));
  const labels = new Float64Array(cap);
  labels.set(s.labels.subarray(0, s.rows));
  s.codes = codes;
  s.labels = labels;
}

async function add(r: Extract<ScanRequest, { op: 'add' }>): Promise<void> {
  const s = must();
  const n = r.labels.length;
  if (r.rows.length !== n * s.dim) throw new Error(`${n} labels but ${r.rows.length / s.dim} rows of ${s.dim}`);
  if (n === 0) return;
  const out = await s.encode.run({ rows: new ort.Tensor('float32', r.rows, [n, s.dim]) });
  put(s, r.labels, out.codes!.data as Uint8Array);
}

/** Stores coded rows under their labels (replacing a label's row when it has one). */
function put(s: State, labels: Float64Array, codes: Uint8Array): void {
  const n = labels.length;
  if (codes.length !== n * s.d) throw new Error(`${n} labels but ${codes.length / s.d} codes of ${s.d}`);
  reserve(s, n);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    let row = s.rowOf.get(label);
    if (row === undefined) {
      row = s.rows++;
      s.rowOf.set(label, row);
      s.labels[row] = label;
    }
    s.codes.set(codes.subarray(i * s.d, (i + 1) * s.d), row * s.d);
  }
}

function remove(labels: Float64Array): number {
  const s = must();
  let removed = 0;
  for (const label of labels) {
    const row = s.rowOf.get(label);
    if (row === undefined) continue;
    s.rowOf.delete(label);
    s.labels[row] = Number.NaN;
    s.dead++;
    removed++;
  }
  if (s.dead > COMPACT_AT * s.rows) compact(s);
  return removed;
}

/** The live rows, compacted first so both arrays are plain copies. */
function exportRows(s: State): { labels: Float64Array; codes: Uint8Array } {
  if (s.dead > 0) compact(s);
  return { labels: s.labels.slice(0, s.rows), codes: s.codes.slice(0, s.rows * s.d) };
}

/** Moves the live rows together, in their order. */
function compact(s: State): void {
  let to = 0;
  for (let from = 0; from < s.rows; from++) {
    const label = s.labels[from]!;
    if (Number.isNaN(label)) continue;
    if (to !== from) {
      s.codes.copyWithin(to * s.d, from * s.d, (from + 1) * s.d);
      s.labels[to] = label;
      s.rowOf.set(label, to);
    }
    to++;
  }
  s.rows = to;
  s.dead = 0;
}

/**
 * The query in the codes' space: projected, each dimension scaled like the codes, then to int8. `unit`
 * turns an integer scan score back into an inner product of the projections: the codes stand for
 * projection ÷ step and the query's values for projection · step · 127 ÷ max, so the sum is the inner
 * product · 127 ÷ max.
 */
function queryCode(s: State, q: Float32Array): { code: Int8Array; unit: number } {
  if (q.length !== s.dim) throw new Error(`query has ${q.length} numbers, the scan ${s.dim}`);
  const p = new Float32Array(s.d);
  let max = 0;
  for (let k = 0; k < s.d; k++) {
    const o = k * s.dim;
    let a = 0;
    for (let j = 0; j < s.dim; j++) a += s.basis[o + j]! * q[j]!;
    // code·scale ≈ projection, so Σ code·(p·scale) ≈ Σ projection·p: the scale moves onto the query.
    p[k] = a * s.scales[k]!;
    max = Math.max(max, Math.abs(p[k]!));
  }
  const code = new Int8Array(s.d);
  if (max > 0) for (let k = 0; k < s.d; k++) code[k] = Math.round((p[k]! / max) * 127);
  return { code, unit: max / 127 };
}

async function search(r: Extract<ScanRequest, { op: 'search' }>): Promise<{ labels: Float64Array; scores: Float32Array }> {
  const s = must();
  const live = s.rows - s.dead;
  const want = Math.min(r.k, live);
  if (want <= 0) return { labels: new Float64Array(0), scores: new Float32Array(0) };
  // Removed rows still score: ask for enough that k live ones remain.
  const k = Math.min(s.rows, want + s.dead);
  const query = queryCode(s, r.query);
  const out = await s.scan.run({
    codes: new ort.Tensor('uint8', s.codes.subarray(0, s.rows * s.d), [s.rows, s.d]),
    query: new ort.Tensor('int8', query.code, [s.d, 1]),
    k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
  });
  const rows = out.rows!.data as BigInt64Array;
  const values = out.scores!.data as Float32Array;
  const labels = new Float64Array(want);
  const scores = new Float32Array(want);
  let n = 0;
  for (let i = 0; i < rows.length && n < want; i++) {
    const label = s.labels[Number(rows[i]!)]!;
    if (Number.isNaN(label)) continue;
    labels[n] = label;
    scores[n++] = values[i]! * query.unit;
  }
  return { labels: labels.subarray(0, n), scores: scores.subarray(0, n) };
}

async function handle(r: ScanRequest): Promise<ScanReply> {
  let extra: Partial<Extract<ScanReply, { ok: true }>> = {};
  if (r.op === 'init') await init(r);
  else if (r.op === 'add') await add(r);
  else if (r.op === 'addCodes') put(must(), r.labels, r.codes);
  else if (r.op === 'remove') extra = { removed: remove(r.labels) };
  else if (r.op === 'export') extra = exportRows(must());
  else extra = await search(r);
  const s = must();
  return { ok: true, count: s.rows - s.dead, bytes: s.codes.byteLength + s.labels.byteLength, ...extra };
}

port.on('message', (r: ScanRequest) => {
  void handle(r)
    .catch((e: unknown): ScanReply => ({ ok: false, message: e instanceof Error ? e.message : String(e) }))
    .then((reply) => {
      // An export's arrays are fresh copies: hand them over rather than clone them again.
      port.postMessage(reply, reply.ok && reply.codes !== undefined && reply.labels !== undefined ? [reply.codes.buffer as ArrayBuffer, reply.labels.buffer as ArrayBuffer] : []);
      // After the post: the caller reads the reply as soon as it sees the flag.
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    });
});
