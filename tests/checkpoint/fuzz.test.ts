// Deterministic fuzzing: every mangled file must yield a well-formed state dict or a CheckpointError naming the
// file, promptly, without another error type and without large allocations. Seeds are fixed so failures replay.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readStateDict } from '../../native-models/checkpoint/index.ts';
import { unpickle } from '../../native-models/checkpoint/pickle.ts';
import { assertSafeOutcome, fixCrc, fixture, locateEntry, rng, tempDir } from './helpers.ts';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const target = join(dir, 'mutant.pt');
// Mutants are a few KB; anything near this means a declared size was trusted.
const RSS_LIMIT = 1024 * 1024 * 1024;
const TIMEOUT = { timeout: 20_000 };

interface Tally { ok: number; refused: number }

async function check(bytes: Uint8Array, tally: Tally): Promise<void> {
  writeFileSync(target, bytes);
  tally[await assertSafeOutcome(readStateDict(target), target)]++;
  assert.ok(process.memoryUsage.rss() < RSS_LIMIT, 'memory grew past the limit');
}

const original = (name: string): Buffer => readFileSync(fixture(name));

void test('truncation at many offsets', TIMEOUT, async () => {
  for (const name of ['plain.pt', 'views.pt', 'plain.safetensors']) {
    const whole = original(name);
    const tally = { ok: 0, refused: 0 };
    // Every offset near the end (zip directories live there), every 4th elsewhere.
    for (let len = 0; len < whole.length; len += len >= whole.length - 200 ? 1 : 4) await check(whole.subarray(0, len), tally);
    assert.equal(tally.ok, 0, `${name}: a truncated file must never read as complete`);
  }
});

void test('random byte flips inside data.pkl (CRC patched so the unpickler sees them)', TIMEOUT, async () => {
  const random = rng(1);
  for (const [name, entry] of [['plain.pt', 'plain/data.pkl'], ['views.pt', 'views/data.pkl']] as const) {
    const whole = original(name);
    const at = locateEntry(whole, entry);
    const tally = { ok: 0, refused: 0 };
    for (let i = 0; i < 250; i++) {
      const mutant = Buffer.from(whole);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) mutant[at.dataStart + Math.floor(random() * at.size)] = Math.floor(random() * 256);
      fixCrc(mutant, at);
      await check(mutant, tally);
    }
    assert.ok(tally.refused > 0);
  }
});

void test('huge declared lengths, indices and counts at every position of data.pkl', TIMEOUT, async () => {
  const whole = original('views.pt');
  const at = locateEntry(whole, 'views/data.pkl');
  const tally = { ok: 0, refused: 0 };
  for (let i = 0; i + 4 <= at.size; i++) {
    const mutant = Buffer.from(whole);
    mutant.writeUInt32LE(i % 2 === 0 ? 0xffffffff : 0x7fffffff, at.dataStart + i);
    fixCrc(mutant, at);
    await check(mutant, tally);
  }
  assert.ok(tally.refused > 0);
});

void test('random byte flips and huge sizes in the zip directories', TIMEOUT, async () => {
  const random = rng(2);
  const whole = original('plain.pt');
  const cd = whole.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'), whole.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1')));
  const firstCentral = whole.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
  assert.ok(firstCentral > 0 && cd >= firstCentral);
  const tally = { ok: 0, refused: 0 };
  for (let i = 0; i < 250; i++) {
    const mutant = Buffer.from(whole);
    const pos = firstCentral + Math.floor(random() * (whole.length - firstCentral));
    if (i % 2 === 0) mutant[pos] = Math.floor(random() * 256);
    else mutant.writeUInt32LE([0xffffffff, 0x80000000, 0x7fffffff, 0][i % 4]!, Math.min(pos, whole.length - 4));
    await check(mutant, tally);
  }
  // Local headers too: their name/extra lengths decide where yauzl says the data starts.
  for (const entry of ['plain/data.pkl', 'plain/data/0', 'plain/version']) {
    const at = locateEntry(whole, entry);
    for (let off = 0; off < 30; off += 2) {
      const mutant = Buffer.from(whole);
      mutant.writeUInt16LE(0xffff, at.localHeader + off);
      await check(mutant, tally);
    }
  }
  assert.ok(tally.refused > 0);
});

void test('random byte flips in a safetensors header', TIMEOUT, async () => {
  const random = rng(3);
  const whole = original('plain.safetensors');
  const headerEnd = 8 + Number(whole.readBigUInt64LE(0));
  const tally = { ok: 0, refused: 0 };
  for (let i = 0; i < 250; i++) {
    const mutant = Buffer.from(whole);
    mutant[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
    await check(mutant, tally);
  }
  assert.ok(tally.refused > 0);
});

void test('random byte strings, bare and behind each format magic', TIMEOUT, async () => {
  const random = rng(4);
  const magics = [[], [0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x05, 0x06], [0x80, 0x02], [16, 0, 0, 0, 0, 0, 0, 0, 0x7b]];
  const tally = { ok: 0, refused: 0 };
  for (let i = 0; i < 300; i++) {
    const body = Array.from({ length: Math.floor(random() * 2048) }, () => Math.floor(random() * 256));
    await check(Uint8Array.from([...magics[i % magics.length]!, ...body]), tally);
  }
  assert.equal(tally.ok, 0);
});

void test('in-memory unpickler fuzz: only its own refusals escape', TIMEOUT, () => {
  const random = rng(5);
  const whole = original('views.pt');
  const at = locateEntry(whole, 'views/data.pkl');
  const pickle = whole.subarray(at.dataStart, at.dataStart + at.size);
  class Refused extends Error {}
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const mutant = Buffer.from(pickle);
    const flips = 1 + Math.floor(random() * 8);
    for (let f = 0; f < flips; f++) mutant[Math.floor(random() * mutant.length)] = Math.floor(random() * 256);
    try {
      unpickle(mutant, (m) => new Refused(m));
    } catch (err) {
      assert.ok(err instanceof Refused, `unexpected ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > 0);
});
