// The `foley` executable end to end: real checkpoint files, a real data directory, real ONNX sessions.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { foley } from '../helpers/cli.ts';
import { cavmaeDir, FIXTURES } from '../helpers/fixtures.ts';
import { fakeDrive } from '../helpers/fake-drive.ts';

let dataDir: string;
let work: string;
const ckpt = path.join(cavmaeDir('ft-d32-c10'), 'checkpoint.pth');

before(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'foley-cli-data-'));
  work = mkdtempSync(path.join(os.tmpdir(), 'foley-cli-work-'));
});
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('model import converts once, then reuses the conversion', async () => {
  const first = await foley(['model', 'import', ckpt, '--name', 'tiny', '--heads', '1', '--data-dir', dataDir, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const a = JSON.parse(first.stdout) as { name: string; reused: boolean; kind: string; numClasses: number; graphs: string[] };
  assert.deepEqual([a.name, a.reused, a.kind, a.numClasses], ['tiny', false, 'finetuned', 10]);
  assert.deepEqual(a.graphs, ['audio', 'visual', 'joint', 'head']);
  const second = await foley(['model', 'import', ckpt, '--name', 'tiny', '--heads', '1', '--data-dir', dataDir, '--json']);
  assert.equal((JSON.parse(second.stdout) as { reused: boolean }).reused, true);
  // Other options mean another conversion.
  const int8 = await foley(['model', 'import', ckpt, '--name', 'tiny', '--heads', '1', '--precision', 'int8', '--data-dir', dataDir, '--json']);
  assert.equal((JSON.parse(int8.stdout) as { reused: boolean }).reused, false);
  const back = await foley(['model', 'import', ckpt, '--name', 'tiny', '--heads', '1', '--data-dir', dataDir, '--json']);
  assert.equal((JSON.parse(back.stdout) as { reused: boolean }).reused, false);
});

test('model list reports the model and the provider in use', async () => {
  const r = await foley(['model', 'list', '--data-dir', dataDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { provider: string; default: string; models: Array<{ name: string; bytes: number }> };
  assert.equal(list.provider, 'cpu');
  assert.equal(list.default, 'tiny');
  assert.deepEqual(list.models.map((m) => m.name), ['tiny']);
  assert.ok(list.models[0]!.bytes > 100_000);
  const text = await foley(['model', 'list', '--data-dir', dataDir]);
  assert.match(text.stdout, /Execution provider: cpu/);
  assert.match(text.stdout, /\* tiny/);
});

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

test('embed --audio and --image print normalised embeddings with model and provider', async () => {
  const wav = path.join(work, 'tone.wav');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=12', '-ac', '2', wav]);
  const a = await foley(['embed', '--audio', wav, '--start', '1', '--data-dir', dataDir, '--json']);
  assert.equal(a.code, 0, a.stderr);
  const ea = JSON.parse(a.stdout) as { embedding: number[]; modality: string; model: string; provider: string };
  assert.deepEqual([ea.modality, ea.model, ea.provider, ea.embedding.length], ['audio', 'tiny', 'cpu', 32]);
  assert.ok(Math.abs(norm(ea.embedding) - 1) < 1e-5);

  const png = path.join(work, 'frame.png');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:duration=1', '-frames:v', '1', png]);
  const v = await foley(['embed', '--image', png, '--data-dir', dataDir, '--json']);
  assert.equal(v.code, 0, v.stderr);
  const ev = JSON.parse(v.stdout) as { embedding: number[]; modality: string };
  assert.equal(ev.modality, 'visual');
  assert.equal(ev.embedding.length, 32);
  assert.ok(Math.abs(norm(ev.embedding) - 1) < 1e-5);
});

test('features --json prints the [1024,128] normalised fbank', async () => {
  const wav = path.join(work, 'short.wav');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=16000:duration=3', wav]);
  const r = await foley(['features', '--audio', wav, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout) as { shape: number[]; data: number[] };
  assert.deepEqual(f.shape, [1024, 128]);
  assert.equal(f.data.length, 1024 * 128);
  // 3 s give 298 frames; every later row is padding, (0 + 5.081) / 4.4849.
  assert.ok(Math.abs(f.data[500 * 128 + 7]! - 1.13291) < 1e-4);
  assert.ok(Math.abs(f.data[100 * 128 + 7]! - 1.13291) > 1e-2);
});

test('failures print one line naming the file, with a non-zero exit', async () => {
  const missing = path.join(work, 'nope.pth');
  const r1 = await foley(['model', 'import', missing, '--data-dir', dataDir]);
  assert.equal(r1.code, 1);
  assert.equal(r1.stderr.trim().split('\n').length, 1);
  assert.ok(r1.stderr.includes(missing), r1.stderr);

  const text = path.join(work, 'notes.pth');
  writeFileSync(text, 'this is not a checkpoint\n');
  const r2 = await foley(['model', 'import', text, '--data-dir', dataDir]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, new RegExp(`^foley: ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));

  const hostile = path.join(FIXTURES, 'checkpoints');
  const r3 = await foley(['embed', '--audio', path.join(hostile, 'nope.wav'), '--data-dir', dataDir]);
  assert.equal(r3.code, 1);
  assert.ok(r3.stderr.includes('nope.wav'), r3.stderr);

  const r4 = await foley(['embed', '--bogus', '--data-dir', dataDir]);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /bogus/);

  const r5 = await foley(['embed', '--data-dir', path.join(work, 'empty-data')]);
  assert.equal(r5.code, 2);
  const r6 = await foley(['embed', '--audio', 'x.wav', '--data-dir', path.join(work, 'empty-data')]);
  assert.equal(r6.code, 1);
  assert.match(r6.stderr, /no model installed.*foley model download/);
});

test('model download sync: Drive refusing the file is one line naming the address and the problem', async () => {
  const drive = await fakeDrive(Buffer.alloc(1000), 'quota');
  try {
    const r = await foley(['model', 'download', 'sync', '--url', drive.url, '--data-dir', dataDir]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.includes('\r'));
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(drive.url), lines[0]);
    assert.match(lines[0]!, /Google Drive will not serve .*download quota is used up.*foley model import FILE --name sync/);
  } finally {
    await drive.close();
  }
});

test('--help works for every command', async () => {
  for (const args of [['--help'], ['model', '--help'], ['embed', '--help'], ['features', '--help']]) {
    const r = await foley(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage|foley/);
  }
});
