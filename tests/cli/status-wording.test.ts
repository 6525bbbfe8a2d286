// `foley status` names how a collection without a stored graph is searched, by the same size
// thresholds the search engine picks its method with (core/search/engine.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unstored } from '../../cli/commands/status.ts';
import { EXACT_MAX_VECTORS, PROJECT_FROM_VECTORS } from '../../core/search/engine.ts';

test('status names the exact search, the int8 scan or a missing graph by collection size', () => {
  assert.ok(EXACT_MAX_VECTORS < PROJECT_FROM_VECTORS);
  assert.equal(unstored(0), 'none needed (searched exactly)');
  assert.equal(unstored(EXACT_MAX_VECTORS), 'none needed (searched exactly)');
  // Between the two: a graph is built and stored when first searched; until then there is none.
  assert.equal(unstored(EXACT_MAX_VECTORS + 1), 'not built');
  assert.equal(unstored(PROJECT_FROM_VECTORS - 1), 'not built');
  assert.equal(unstored(PROJECT_FROM_VECTORS), 'int8 scan, built from the vectors when first searched');
  assert.equal(unstored(10 * PROJECT_FROM_VECTORS), 'int8 scan, built from the vectors when first searched');
});
