// The floors rule (lint/floors.js) refuses a planted wrong-way import, allows the right ones, and the
// whole tree has none. The tree check lints with the floors rule alone (no type information), so it
// takes seconds; `npm run lint` runs the same rule with the rest.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
// @ts-expect-error -- a plain ES module without types (eslint.config.js loads it the same way)
import floors from '../../lint/floors.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function floorsOnly(): ESLint {
  return new ESLint({
    cwd: ROOT,
    // eslint-disable comments cannot switch the rule off for this check.
    allowInlineConfig: false,
    overrideConfigFile: true,
    overrideConfig: [
      { ignores: ['node_modules/**', 'dist/**', 'renderer/dist/**', 'tests/fixtures/**'] },
      {
        files: ['**/*.ts', '**/*.cts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { foley: floors as ESLint.Plugin },
        rules: { 'foley/floors': 'error' },
      },
    ],
  });
}

async function messages(file: string, code: string): Promise<string[]> {
  const [r] = await floorsOnly().lintText(code, { filePath: path.join(ROOT, file) });
  return (r?.messages ?? []).map((m) => m.message);
}

test('a planted wrong-way import fails the lint, naming both ends', async () => {
  const up = await messages('db/planted.ts', "import { openLibrary } from '../core/library/handle.ts';\nexport const x = openLibrary;\n");
  assert.equal(up.length, 1);
  assert.match(up[0]!, /^db\/ may not import core\/library\/handle\.ts/);
  const sideways = await messages('media/planted.ts', "import { openDatabase } from '../db/connection.ts';\nexport const x = openDatabase;\n");
  assert.match(sideways[0] ?? '', /media\/ may not import db\/connection\.ts/);
  const skipping = await messages('cli/commands/planted.ts', "import { listRoots } from '../../db/roots.ts';\nexport const x = listRoots;\n");
  assert.match(skipping[0] ?? '', /cli\/ may not import db\/roots\.ts/);
  const base = await messages('base/planted.ts', "export { planWindows } from '../media/audio.ts';\n");
  assert.match(base[0] ?? '', /base\/ may not import media\/audio\.ts: base\/ imports only packages/);
  const dynamic = await messages('native-models/planted.ts', "export const m = await import('../core/status.ts');\n");
  assert.equal(dynamic.length, 1);
});

test('packages stay on their floor; type-only Electron imports load nothing and pass', async () => {
  assert.match((await messages('core/planted.ts', "import Database from 'better-sqlite3';\nexport const d = Database;\n"))[0] ?? '', /only db\/ does/);
  assert.match((await messages('cli/planted.ts', "import * as ort from 'onnxruntime-node';\nexport const o = ort;\n"))[0] ?? '', /only native-models\/ does/);
  assert.deepEqual(await messages('core/planted.ts', "import type { BrowserWindow } from 'electron';\nexport type W = BrowserWindow;\n"), []);
});

test('imports down the floors pass', async () => {
  assert.deepEqual(await messages('db/planted.ts', "import { FoleyError } from '../base/errors.ts';\nexport const e = FoleyError;\n"), []);
  assert.deepEqual(await messages('core/planted.ts', "import { openDatabase } from '../db/connection.ts';\nexport const e = openDatabase;\n"), []);
  assert.deepEqual(await messages('renderer/src/planted.ts', "import type { Method } from '../../core/api/contract.ts';\nexport type M = Method;\n"), []);
  assert.deepEqual(await messages('tests/planted.ts', "import { openDatabase } from '../db/connection.ts';\nexport const e = openDatabase;\n"), []);
});

test('the tree has no wrong-way import', async () => {
  const results = await floorsOnly().lintFiles(['base', 'db', 'media', 'native-models', 'core', 'cli', 'server', 'electron', 'renderer/src']);
  const wrong = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'foley/floors').map((m) => `${path.relative(ROOT, r.filePath)}:${m.line} ${m.message}`));
  assert.deepEqual(wrong, []);
  assert.ok(results.length > 100, `linted ${results.length} files`);
});
