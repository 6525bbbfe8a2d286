// Golden test: our float64 fbank against torchaudio.compliance.kaldi.fbank with CAV-MAE's arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { audioInput, FBANK, fbankInput, MEL_BINS } from '../../native-models/cavmae/preprocess.ts';
import { computeFbank, fbankFrameCount } from '../../native-models/preprocess/fbank.ts';
import { FBANK_DIR, readF32, readJson, readS16 } from './fixtures.ts';

interface SignalEntry {
  name: string;
  samples: number;
  frames: number;
  norm: boolean;
}

const manifest = readJson(join(FBANK_DIR, 'manifest.json')) as { signals: SignalEntry[] };
// Near-silent cells: torchaudio's float32 power spectrum has too few significant bits there.
const QUIET = -12;
const TOL = 1e-3;
const TOL_QUIET = 1e-2;

interface Errors {
  max: number;
  maxQuiet: number;
  sum: number;
  n: number;
}

function compareNormalised(actual: Float32Array, expected: Float32Array, rawExpected: Float32Array): Errors {
  const e: Errors = { max: 0, maxQuiet: 0, sum: 0, n: actual.length };
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    e.sum += d;
    // Padded rows have no raw value: they are exact zeros in log-mel space, i.e. not quiet.
    const raw = i < rawExpected.length ? rawExpected[i]! : 0;
    if (raw < QUIET) e.maxQuiet = Math.max(e.maxQuiet, d);
    else e.max = Math.max(e.max, d);
  }
  return e;
}

for (const s of manifest.signals) {
  const samples = readS16(join(FBANK_DIR, `${s.name}.s16`));
  const rawExpected = readF32(join(FBANK_DIR, `${s.name}.raw.f32`));
  const fb = computeFbank(samples, FBANK);
  const nFrames = fb.length / MEL_BINS;
  // Compare in normalised units, the model's input, whether or not the fixture stores them.
  const expected = s.norm ? readF32(join(FBANK_DIR, `${s.name}.norm.f32`)) : fbankInput(rawExpected, s.frames);
  const actual = fbankInput(fb, nFrames);
  const e = compareNormalised(actual, expected, rawExpected);
  const label = `max ${e.max.toExponential(2)}, quiet max ${e.maxQuiet.toExponential(2)}, mean ${(e.sum / e.n).toExponential(2)}`;
  void test(`fbank ${s.name} matches torchaudio (${label})`, () => {
    assert.equal(samples.length, s.samples);
    assert.equal(nFrames, s.frames, 'snip-edges frame count');
    assert.ok(e.max <= TOL, `max error ${e.max} > ${TOL}`);
    assert.ok(e.maxQuiet <= TOL_QUIET, `quiet-cell max error ${e.maxQuiet} > ${TOL_QUIET}`);
  });
}

void test('10 s gives 998 frames; 1024 frames need 164 080 samples', () => {
  assert.equal(fbankFrameCount(160000, FBANK), 998);
  assert.equal(fbankFrameCount(164080, FBANK), 1024);
  assert.equal(fbankFrameCount(164079, FBANK), 1023);
  assert.equal(fbankFrameCount(399, FBANK), 0);
  assert.equal(fbankFrameCount(400, FBANK), 1);
});

void test('mel bin 3 is empty: constant ln(eps) = -15.9424 on every frame', () => {
  const samples = readS16(join(FBANK_DIR, 'speech.s16'));
  const fb = computeFbank(samples, FBANK);
  for (let f = 0; f < fb.length / MEL_BINS; f++) assert.ok(Math.abs(fb[f * MEL_BINS + 3]! - -15.9424) < 1e-4);
});

void test('padding rows normalise to +1.13291, cut keeps the first 1024 frames', () => {
  const short = audioInput(readS16(join(FBANK_DIR, 'short_0p3s.s16')));
  assert.equal(short.length, 1024 * MEL_BINS);
  for (let i = 28 * MEL_BINS; i < short.length; i++) assert.ok(Math.abs(short[i]! - 1.13291) < 1e-5);
  const long = readS16(join(FBANK_DIR, 'long_12s.s16'));
  const full = computeFbank(long, FBANK);
  const cut = audioInput(long);
  assert.equal(cut.length, 1024 * MEL_BINS);
  assert.ok(Math.abs(cut[1023 * MEL_BINS + 50]! - (full[1023 * MEL_BINS + 50]! + 5.081) / 4.4849) < 1e-6);
});

void test('a clip shorter than one frame gives zero frames and all-padding input', () => {
  assert.equal(computeFbank(new Float32Array(399), FBANK).length, 0);
  const x = audioInput(new Float32Array(100));
  assert.ok(x.every((v) => Math.abs(v - 1.13291) < 1e-5));
});

void test('fbank speed per 10-s window', () => {
  const samples = readS16(join(FBANK_DIR, 'ten_seconds.s16'));
  audioInput(samples); // warm up the JIT and the cached plan
  const runs = 20;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) audioInput(samples);
  const ms = (performance.now() - t0) / runs;
  console.log(`fbank: ${ms.toFixed(2)} ms per 10-s window`);
  assert.ok(ms < 200);
});
