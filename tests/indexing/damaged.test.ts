// Damaged media through the real front door: `foley index` and `foley status --json` (real ffmpeg, the
// tiny model's ONNX sessions, a real SQLite file) over cut, bit-flipped, zeroed and one-stream-damaged
// files. Each is indexed for its intact part and shown as damaged with what was indexed, or fails with
// its reason when nothing is intact; clean files, short ones included, are not called damaged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importModel } from '../../core/models/store.ts';
import type { LibraryStatus } from '../../core/status.ts';
import { foley } from '../helpers/cli.ts';
import { cavmaeDir } from '../helpers/fixtures.ts';
import { makeDamagedCorpus } from './damaged-corpus.ts';
import type { DamagedCase } from './damaged-corpus.ts';

let base: string;
let dataDir: string;
let cases: DamagedCase[];
let status: LibraryStatus;
let summary: string;

before(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'foley-damaged-'));
  dataDir = path.join(base, 'data');
  mkdirSync(path.join(base, 'library'));
  cases = await makeDamagedCorpus(base);
  await importModel(dataDir, path.join(cavmaeDir('pre-d32-11x1'), 'checkpoint.pth'), { name: 'tiny', heads: 1 });
  // 2-s windows: three per 6-s clip, so "the intact part" has parts.
  const run = await foley(['index', path.join(base, 'library'), '--window', '2', '--threads', '1', '--data-dir', dataDir]);
  assert.equal(run.code, 0, run.stderr);
  summary = run.stdout;
  const st = await foley(['status', '--json', '--data-dir', dataDir]);
  assert.equal(st.code, 0, st.stderr);
  status = JSON.parse(st.stdout) as LibraryStatus;
});
after(() => rmSync(base, { recursive: true, force: true }));

test('every case ends in its expected state, with its reason', () => {
  const damaged = new Map(status.damaged.map((d) => [d.path, d]));
  const failed = new Map(status.failures.map((f) => [f.path, f.error]));
  const report: string[] = [];
  for (const c of cases) {
    const d = damaged.get(c.file);
    const f = failed.get(c.file);
    const state = d !== undefined ? 'damaged' : f !== undefined ? 'failed' : 'indexed';
    const reason = d?.error ?? f ?? '';
    report.push(`${c.name}: ${state}${reason !== '' ? ` — ${reason}` : ''}`);
    assert.equal(state, c.state, `${c.name}: ${reason}`);
    if (c.reason !== undefined) assert.match(reason, c.reason, c.name);
    assert.ok(!reason.includes(base), `${c.name}: the reason names no path: ${reason}`);
    if (d !== undefined) {
      assert.match(d.error, /; indexed:? .*of 6 s$/, `${c.name}: says what was indexed`);
      assert.equal(d.duration, 6);
      const problem = c.check?.({ indexed: d.indexed, sound: d.sound, pictures: d.pictures });
      assert.equal(problem, undefined, `${c.name}: ${problem} (${JSON.stringify(d)})`);
    }
  }
  console.log(report.join('\n'));
  assert.equal(status.files.damaged, cases.filter((c) => c.state === 'damaged').length);
  assert.equal(status.files.failed, cases.filter((c) => c.state === 'failed').length);
  assert.equal(status.files.indexed, cases.filter((c) => c.state !== 'failed').length);
});

test('the cut at 40 % (index at the front) reads as the issue asks: what was indexed, of how long', () => {
  const d = status.damaged.find((x) => x.path.endsWith('cut40-moov-front.mp4'))!;
  const m = /^the file is cut short: sound ends at (\d+\.\d) s of 6\.0 s; indexed 0–(\d+(?:\.\d)?) s of 6 s$/.exec(d.error);
  assert.ok(m, d.error);
  assert.ok(Number(m[2]) <= Number(m[1]) + 0.05, d.error);
  assert.deepEqual(d.indexed, [[0, Number(m[2])]]);
});

test('the CLI summary counts and names the damaged files', () => {
  const damagedCount = cases.filter((c) => c.state === 'damaged').length;
  assert.match(summary, new RegExp(`${cases.filter((c) => c.state === 'failed').length} failed, ${damagedCount} damaged \\(indexed in part\\)`));
  for (const c of cases.filter((x) => x.state === 'damaged')) assert.match(summary, new RegExp(`damaged: .*${c.name.replace('.', '\\.')}: .*; indexed`));
  for (const c of cases.filter((x) => x.state === 'failed')) assert.match(summary, new RegExp(`failed: .*${c.name.replace('.', '\\.')}: `));
});

test('a second run leaves damaged files as they are, and plain status text lists them', async () => {
  const again = await foley(['index', path.join(base, 'library'), '--window', '2', '--threads', '1', '--data-dir', dataDir, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const s = JSON.parse(again.stdout) as { indexed: number; damaged: unknown[]; skipped: number };
  assert.deepEqual([s.indexed, s.damaged.length], [0, 0]);
  const text = await foley(['status', '--data-dir', dataDir]);
  assert.match(text.stdout, new RegExp(`\\(\\d+ indexed \\(${status.files.damaged} of them damaged\\)`));
  assert.match(text.stdout, /Damaged files \(indexed in part\):\n(?: {2}.*\n)* {2}\S+cut40-moov-front\.mp4: the file is cut short/);
});
