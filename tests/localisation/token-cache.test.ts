// The token cache: bounded by bytes (least recently used out first), one computation per key even
// when requests overlap, and a failed computation is not remembered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenCache } from '../../core/localisation/token-cache.ts';
import type { EncodedItem } from '../../core/localisation/token-cache.ts';

/** An item of `floats` float32 values in all (embedding 4 + tokens). */
function item(floats: number, tag: number): EncodedItem<number> {
  return { embedding: new Float32Array(4).fill(tag), tokens: new Float32Array(floats - 4), grid: [1, (floats - 4) / 4], meta: tag };
}

test('keeps the most recently used items within its byte budget', async () => {
  const cache = new TokenCache(3 * 64 * 4); // three 64-float items
  for (const k of [1, 2, 3]) await cache.get(`k${k}`, async () => item(64, k));
  await cache.get('k1', async () => assert.fail('k1 is cached'));
  await cache.get('k4', async () => item(64, 4)); // evicts k2, the least recently used
  assert.equal(cache.size, 3);
  let recomputed = false;
  await cache.get('k2', async () => ((recomputed = true), item(64, 2)));
  assert.ok(recomputed, 'k2 was evicted');
  assert.equal((await cache.get('k4', async () => item(64, 99))).meta, 4);
  // An item larger than the whole budget is returned but not kept.
  await cache.get('big', async () => item(4 * 64, 5));
  assert.equal(cache.size, 3);
});

test('overlapping requests for one key share one computation; failures are not cached', async () => {
  const cache = new TokenCache(1 << 20);
  let runs = 0;
  const slow = async (): Promise<EncodedItem<number>> => {
    runs++;
    await new Promise((r) => setTimeout(r, 20));
    return item(8, 1);
  };
  const [a, b] = await Promise.all([cache.get('x', slow), cache.get('x', slow)]);
  assert.equal(runs, 1);
  assert.equal(a, b);
  await assert.rejects(cache.get('bad', async () => Promise.reject(new Error('decode failed'))), /decode failed/);
  assert.equal((await cache.get('bad', async () => item(8, 7))).meta, 7);
  assert.deepEqual([cache.hits, cache.misses], [0, 3]);
});
