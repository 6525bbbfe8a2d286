// The hand-written gradients of core/learning/training/math.ts against finite differences (central, in float32
// parameters, so tolerances are loose-ish) and against PyTorch autograd goldens
// (scripts/goldens/make_training_goldens.py → tests/fixtures/training/*.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { adapterLossGrad, averagePrecision, headLossGrad, identityAdapter, pairRecall, rng } from '../../core/learning/training/math.ts';
import type { AdapterBatch, HeadBatch, HeadShape } from '../../core/learning/training/math.ts';

const FIX = path.join(import.meta.dirname, '..', 'fixtures', 'training');

interface HeadGolden {
  n: number; features: number; labels: number; lambda: number;
  x: number[]; y: number[]; m: number[]; w: number[]; b: number[]; w0: number[];
  loss: number; grad_w: number[]; grad_b: number[];
}
interface AdapterGolden {
  b: number; d: number; tau: number; lambda: number;
  a: number[]; v: number[]; pos: number[]; wa: number[]; wv: number[];
  loss: number; grad_wa: number[]; grad_wv: number[];
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

/** Central finite differences of f at params (float32 params, so steps of 1e-3). */
function numericGrad(f: (p: Float32Array) => number, params: Float32Array, h = 1e-3): Float64Array {
  const g = new Float64Array(params.length);
  for (let i = 0; i < params.length; i++) {
    const p = params.slice();
    p[i] = params[i]! + h;
    const up = f(p);
    p[i] = params[i]! - h;
    const down = f(p);
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

test('head loss and gradient match PyTorch autograd', () => {
  const g = JSON.parse(readFileSync(path.join(FIX, 'head_golden.json'), 'utf8')) as HeadGolden;
  const shape: HeadShape = { labels: g.labels, features: g.features };
  const params = Float32Array.from([...g.w, ...g.b]);
  const batch: HeadBatch = { x: Float32Array.from(g.x), y: Float32Array.from(g.y), m: Float32Array.from(g.m), n: g.n };
  const grad = new Float32Array(params.length);
  const loss = headLossGrad(shape, params, Float32Array.from(g.w0), g.lambda, batch, grad);
  assert.ok(Math.abs(loss - g.loss) < 1e-5 * (1 + g.loss), `loss ${loss} vs ${g.loss}`);
  close(grad, [...g.grad_w, ...g.grad_b], 1e-5, 'grad');
});

test('head gradient matches finite differences', () => {
  const r = rng(7);
  const shape: HeadShape = { labels: 2, features: 6 };
  const n = 9;
  const x = Float32Array.from({ length: n * 6 }, () => r() * 2 - 1);
  const y = Float32Array.from({ length: n * 2 }, () => (r() > 0.5 ? 1 : 0));
  const m = Float32Array.from({ length: n * 2 }, () => (r() > 0.2 ? r() + 0.1 : 0));
  const params = Float32Array.from({ length: 2 * 6 + 2 }, () => r() - 0.5);
  const w0 = Float32Array.from({ length: 12 }, () => r() - 0.5);
  const grad = new Float32Array(params.length);
  headLossGrad(shape, params, w0, 0.1, { x, y, m, n }, grad);
  const scratch = new Float32Array(params.length);
  const num = numericGrad((p) => headLossGrad(shape, p, w0, 0.1, { x, y, m, n }, scratch), params);
  close(grad, num, 2e-3, 'head fd');
});

test('adapter InfoNCE loss and gradient match PyTorch autograd', () => {
  const g = JSON.parse(readFileSync(path.join(FIX, 'adapter_golden.json'), 'utf8')) as AdapterGolden;
  const params = Float32Array.from([...g.wa, ...g.wv]);
  const batch: AdapterBatch = { a: Float32Array.from(g.a), v: Float32Array.from(g.v), pos: Float32Array.from(g.pos), b: g.b };
  const grad = new Float32Array(params.length);
  const loss = adapterLossGrad(params, g.d, g.tau, g.lambda, batch, grad);
  assert.ok(Math.abs(loss - g.loss) < 1e-5 * (1 + g.loss), `loss ${loss} vs ${g.loss}`);
  close(grad, [...g.grad_wa, ...g.grad_wv], 1e-4, 'grad');
});

test('adapter gradient matches finite differences, identity start included', () => {
  const r = rng(3);
  const d = 5;
  const b = 6;
  const a = Float32Array.from({ length: b * d }, () => r() * 2 - 1);
  const v = Float32Array.from({ length: b * d }, () => r() * 2 - 1);
  const pos = new Float32Array(b * b);
  for (let i = 0; i < b; i++) pos[i * b + i] = 1;
  pos[1 * b + 4] = pos[4 * b + 1] = 1;
  for (const params of [identityAdapter(d), Float32Array.from(identityAdapter(d), (x) => x + (r() - 0.5) * 0.4)]) {
    const grad = new Float32Array(params.length);
    adapterLossGrad(params, d, 0.2, 0.01, { a, v, pos, b }, grad);
    const scratch = new Float32Array(params.length);
    const num = numericGrad((p) => adapterLossGrad(p, d, 0.2, 0.01, { a, v, pos, b }, scratch), params);
    close(grad, num, 3e-3, 'adapter fd');
  }
});

test('average precision and pair recall on hand-made cases', () => {
  assert.equal(averagePrecision([0.9, 0.8, 0.1], [true, false, true]), (1 + 2 / 3) / 2);
  assert.equal(averagePrecision([0.5, 0.5], [true, false]), 0.5, 'ties count against');
  assert.ok(Number.isNaN(averagePrecision([1], [false])));
  const q = Float32Array.from([1, 0, 0, 1]);
  assert.deepEqual(pairRecall(q, q, 2, 2, [1]), [1]);
  assert.deepEqual(pairRecall(q, Float32Array.from([0, 1, 1, 0]), 2, 2, [1, 2]), [0, 1]);
});
