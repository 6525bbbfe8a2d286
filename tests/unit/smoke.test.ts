import { test } from 'node:test';
import assert from 'node:assert/strict';
test('runs on the Node that Electron 45 embeds', () => {
  assert.ok(Number(process.versions.node.split('.')[0]) >= 24);
});
