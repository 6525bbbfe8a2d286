// core/tagging/probability.ts: the logits stored for several pictures give back, through the model's
// activation, the mean of the pictures' probabilities; nothing overflows or saturates at |z| = 30.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rng } from '../db/helpers.ts';
import { activationFor, aggregateLogits, logSumExp, probabilities, probabilityOfRank, rankValue } from '../../core/tagging/probability.ts';

const mean = (vs: readonly Float32Array[]): Float64Array => {
  const out = new Float64Array(vs[0]!.length);
  for (const v of vs) v.forEach((x, i) => (out[i]! += x / vs.length));
  return out;
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('309 classes are VGGSound (softmax); any other count is multi-label (sigmoid)', () => {
  assert.equal(activationFor(309), 'softmax');
  assert.equal(activationFor(527), 'sigmoid');
  assert.equal(activationFor(10), 'sigmoid');
});

test('aggregateLogits round-trips: its probabilities are the mean of the per-picture probabilities', () => {
  const next = rng(7).uniform;
  for (const activation of ['sigmoid', 'softmax'] as const) {
    for (const k of [2, 3, 10]) {
      const perFrame = Array.from({ length: k }, () => Float32Array.from({ length: 50 }, () => (next() - 0.5) * 16));
      const got = probabilities(aggregateLogits(perFrame, activation), activation);
      const want = mean(perFrame.map((z) => probabilities(z, activation)));
      assert.ok(maxAbsDiff(got, want) < 1e-6, `${activation} K=${k}: ${maxAbsDiff(got, want)}`);
    }
  }
  const one = Float32Array.from([1, -2, 3]);
  assert.equal(aggregateLogits([one], 'sigmoid'), one, 'one picture: the logits as they are');
  assert.throws(() => aggregateLogits([], 'sigmoid'), /at least one/);
});

test('stable at |z| = 30: finite logits, exact extremes, order kept', () => {
  const perFrame = [Float32Array.from([30, -30, 30, -30, 0]), Float32Array.from([30, -30, -30, 30, 0])];
  for (const activation of ['sigmoid', 'softmax'] as const) {
    const z = aggregateLogits(perFrame, activation);
    assert.ok(z.every(Number.isFinite), `${activation}: ${[...z].join(', ')}`);
    const got = probabilities(z, activation);
    const want = mean(perFrame.map((v) => probabilities(v, activation)));
    assert.ok(maxAbsDiff(got, want) < 1e-6, activation);
  }
  const sig = aggregateLogits(perFrame, 'sigmoid');
  assert.ok(Math.abs(sig[0]! - 30) < 1e-4, 'both pictures sure: still 30');
  assert.ok(Math.abs(sig[1]! + 30) < 1e-4);
  assert.ok(Math.abs(sig[2]!) < 1e-4, 'one sure yes, one sure no: 0.5');
  // Ranking by logits keeps an order that float32 probabilities (both 1.0) would lose.
  const high = Float32Array.from([30, 25]);
  assert.ok(rankValue(high, 0, 'sigmoid') > rankValue(high, 1, 'sigmoid'));
  assert.equal(Math.fround(probabilityOfRank(30, 'sigmoid')), Math.fround(probabilityOfRank(25, 'sigmoid')));
  assert.ok(Math.abs(probabilityOfRank(rankValue(high, 0, 'softmax'), 'softmax') - probabilities(high, 'softmax')[0]!) < 1e-7);
  assert.equal(logSumExp([1000, 1000]), 1000 + Math.log(2));
  assert.equal(logSumExp([]), -Infinity);
});
