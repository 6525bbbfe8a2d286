// The product's search in a process of its own (bench/search-scale.bench.ts runs it): opens the bench's
// SQLite library the way the app does (db/connection.ts), lets a fresh ModalityEngine pick and load its
// method, then answers each query with the exact re-rank. A process of its own because the bench's
// process is nothing like the app's: gigabytes of bench rows, a database it has just written.
// argv: database file, model id, queries file (float32 rows of D), query count; env SCALE_MMAP: bytes of
// a memory map for SQLite's reads (default: none, as in the product). Prints one JSON line: load seconds,
// whether stored codes were there to load, method, RSS after the searches (a mapped page counts once
// touched), latencies, stored vectors each search read to re-rank, window ids found.
import { readFileSync } from 'node:fs';
import { openDatabase } from '../db/connection.ts';
import { ModalityEngine } from '../core/search/engine.ts';
import { readIndexMeta } from '../db/graph-chunks.ts';
import { D, K } from './scale-kernels.ts';

const [file, model, queriesFile, count] = process.argv.slice(2) as [string, string, string, string];
const db = openDatabase(file);
if (process.env.SCALE_MMAP !== undefined) db.pragma(`mmap_size = ${Number(process.env.SCALE_MMAP)}`);
const bytes = readFileSync(queriesFile);
const queries = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const meta = readIndexMeta(db, { modelId: Number(model), modality: 'audio' });
// Whether the scan starts from stored codes (core/search/scan-file.ts) or builds them.
const stored = meta !== undefined && meta.m === 0 && meta.chunkCount > 0;
const e = new ModalityEngine(Number(model), 'audio', D);
const t = performance.now();
e.refresh(db);
const loadS = (performance.now() - t) / 1000;
const latMs: number[] = [];
const reads: number[] = [];
const found: number[][] = [];
for (let i = 0; i < Number(count); i++) {
  const q = queries.slice(i * D, (i + 1) * D);
  const t1 = performance.now();
  const r = e.search(db, q, K);
  latMs.push(performance.now() - t1);
  reads.push(e.lastReads);
  found.push(r.ids);
}
console.log(JSON.stringify({ loadS, stored, method: e.method, mmapBytes: db.pragma('mmap_size', { simple: true }), rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), latMs, reads, found }));
db.close();
process.exit(0);
