import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRealPowerSpectrum } from '../../native-models/preprocess/fft.ts';

void test('real power spectrum matches a direct DFT (N = 512 and 8)', () => {
  for (const n of [8, 512]) {
    const p = createRealPowerSpectrum(n);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) + Math.cos(i * 1.3) + (i % 7) * 0.1;
    const out = new Float64Array(n / 2 + 1);
    p.power(x, out);
    for (let k = 0; k <= n / 2; k++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < n; j++) {
        re += x[j]! * Math.cos((2 * Math.PI * k * j) / n);
        im -= x[j]! * Math.sin((2 * Math.PI * k * j) / n);
      }
      const ref = re * re + im * im;
      assert.ok(Math.abs(ref - out[k]!) <= 1e-9 * (1 + ref), `N=${n} bin ${k}: ${out[k]} vs ${ref}`);
    }
  }
});

void test('rejects sizes that are not powers of two', () => {
  assert.throws(() => createRealPowerSpectrum(400), RangeError);
});
