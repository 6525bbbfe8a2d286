// The int8 scan's stored form (core/search/scan-file.ts): a round trip keeps every array and the learnt
// error bound; stop 26's "FOLEYSC1" codes (no bound) are still read; damaged or mismatched bytes are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeScan, encodeScan } from '../../core/search/scan-file.ts';
import type { ScanSnapshot } from '../../core/search/scan-file.ts';

const dim = 6;
const d = 3;
const snap: ScanSnapshot = {
  projection: { dim, d, basis: Float32Array.from({ length: d * dim }, (_, i) => i / 10), energy: 0.93 },
  steps: Float32Array.of(0.01, 0.02, 0.03),
  fitCount: 5,
  labels: Float64Array.of(7, 8, 2 ** 40),
  codes: Uint8Array.from({ length: 3 * d }, (_, i) => 120 + i),
  error: 0.0123,
};

function same(a: ScanSnapshot, b: ScanSnapshot): void {
  assert.deepEqual(Array.from(a.projection.basis), Array.from(b.projection.basis));
  assert.equal(a.projection.energy, Math.fround(b.projection.energy));
  assert.deepEqual([a.fitCount, Array.from(a.steps), Array.from(a.labels), Array.from(a.codes)], [b.fitCount, Array.from(b.steps), Array.from(b.labels), Array.from(b.codes)]);
}

test('a round trip keeps the codes, labels, projection and the learnt error', () => {
  const back = decodeScan(encodeScan(snap), dim, d);
  assert.ok(typeof back !== 'string', String(back));
  same(back, snap);
  assert.equal(back.error, Math.fround(0.0123));
  const none = decodeScan(encodeScan({ ...snap, error: undefined }), dim, d);
  assert.ok(typeof none !== 'string');
  assert.equal(none.error, undefined);
});

test('stop 26 codes ("FOLEYSC1", no error field) are read without a bound', () => {
  const v2 = encodeScan(snap);
  // The same bytes as stop 26 wrote them: the old magic, and no 4-byte error after the energy.
  const v1 = Buffer.concat([Buffer.from('FOLEYSC1'), v2.subarray(8, 28), v2.subarray(32)]);
  const back = decodeScan(v1, dim, d);
  assert.ok(typeof back !== 'string', String(back));
  same(back, snap);
  assert.equal(back.error, undefined);
});

test('other bytes are refused with the reason', () => {
  const bytes = encodeScan(snap);
  assert.equal(decodeScan(Buffer.from('HNSWGRAPH...........................'), dim, d), 'not an int8 scan');
  assert.equal(decodeScan(bytes, 8, d), 'stored for 6 → 3 dims, not 8 → 3');
  assert.match(String(decodeScan(bytes.subarray(0, bytes.length - 1), dim, d)), /bytes, expected \d+ for 3 rows/);
});
