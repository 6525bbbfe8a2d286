// The few models training needs, with hand-written gradients (checked against finite differences and
// PyTorch autograd goldens in tests/training/gradients.test.ts):
//   - a multi-label logistic head: z[n,l] = w_l·x_n + b_l, weighted binary cross-entropy, plus
//     (λ/2)·Σ_l ||w_l − w0_l||² (regularised towards the zero-shot prior w0, not towards zero);
//   - a cross-modal adapter: z_a = normalise(W_a a), z_v = normalise(W_v v), logits z_a·z_vᵀ/τ,
//     symmetric InfoNCE with soft targets (the pair itself plus windows that share a positive label),
//     plus (λ/2)·(||W_a − I||² + ||W_v − I||²).
// Plain loops over Float32Array/Float64Array: no dependency, and fast enough for D=768 (see bench/).

/** Deterministic PRNG (mulberry32): the same seed gives the same split and batches, so a resumed run
 * repeats exactly what the interrupted one would have done. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^z), stable. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

// ---------------------------------------------------------------- logistic head

/**
 * Head parameters for L labels over F features: w is L×F row-major, then L biases, in one array
 * (what Adam updates and what is stored): params = [w (L·F), b (L)].
 */
export interface HeadShape {
  readonly labels: number;
  readonly features: number;
}

export interface HeadBatch {
  /** N×F features, row-major. */
  readonly x: Float32Array;
  /** N×L targets in {0, 1}. */
  readonly y: Float32Array;
  /** N×L example weights (0: unknown for that label). */
  readonly m: Float32Array;
  readonly n: number;
}

/** Logits N×L. */
export function headLogits(shape: HeadShape, params: Float32Array, x: Float32Array, n: number, out = new Float32Array(n * shape.labels)): Float32Array {
  const { labels: L, features: F } = shape;
  for (let i = 0; i < n; i++) {
    const xo = i * F;
    for (let l = 0; l < L; l++) {
      const wo = l * F;
      let s = params[L * F + l]!;
      for (let f = 0; f < F; f++) s += params[wo + f]! * x[xo + f]!;
      out[i * L + l] = s;
    }
  }
  return out;
}

/**
 * Loss = Σ m·BCE(σ(z), y) / Σ m + (λ/2) Σ_l ||w_l − w0_l||²; grad (same layout as params) is
 * overwritten. w0 has the layout of w (L×F); biases are not regularised.
 */
export function headLossGrad(shape: HeadShape, params: Float32Array, w0: Float32Array, lambda: number, batch: HeadBatch, grad: Float32Array): number {
  const { labels: L, features: F } = shape;
  const { x, y, m, n } = batch;
  grad.fill(0);
  const z = headLogits(shape, params, x, n);
  let total = 0;
  for (let i = 0; i < n * L; i++) total += m[i]!;
  const norm = total > 0 ? 1 / total : 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * F;
    for (let l = 0; l < L; l++) {
      const k = i * L + l;
      const mk = m[k]!;
      if (mk === 0) continue;
      const zk = z[k]!;
      // BCE with logits: softplus(z) − y·z.
      loss += mk * (softplus(zk) - y[k]! * zk) * norm;
      const dz = mk * (sigmoid(zk) - y[k]!) * norm;
      const wo = l * F;
      for (let f = 0; f < F; f++) grad[wo + f] = grad[wo + f]! + dz * x[xo + f]!;
      grad[L * F + l] = grad[L * F + l]! + dz;
    }
  }
  let reg = 0;
  for (let i = 0; i < L * F; i++) {
    const d = params[i]! - w0[i]!;
    reg += d * d;
    grad[i] = grad[i]! + lambda * d;
  }
  return loss + 0.5 * lambda * reg;
}

// ---------------------------------------------------------------- adapter

/** Adapter parameters: W_a then W_v, each D×D row-major (u = W x). */
export function identityAdapter(d: number): Float32Array {
  const p = new Float32Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    p[i * d + i] = 1;
    p[d * d + i * d + i] = 1;
  }
  return p;
}

/** u = W x for B rows of x (B×D), W at params[offset…]; returns B×D. Row r of W stays in L1 while
 * every x row streams past it, four at a time. */
function project(params: Float32Array, offset: number, x: Float32Array, b: number, d: number, out: Float32Array): Float32Array {
  for (let r = 0; r < d; r++) {
    const w = params.subarray(offset + r * d, offset + (r + 1) * d);
    let i = 0;
    for (; i + 4 <= b; i += 4) {
      const o0 = i * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < d; c++) {
        const wc = w[c]!;
        s0 += wc * x[o0 + c]!;
        s1 += wc * x[o1 + c]!;
        s2 += wc * x[o2 + c]!;
        s3 += wc * x[o3 + c]!;
      }
      out[o0 + r] = s0;
      out[o1 + r] = s1;
      out[o2 + r] = s2;
      out[o3 + r] = s3;
    }
    for (; i < b; i++) {
      let s0 = 0;
      for (let c = 0; c < d; c++) s0 += w[c]! * x[i * d + c]!;
      out[i * d + r] = s0;
    }
  }
  return out;
}

/** Normalises rows in place; returns the norms. */
function normaliseRows(u: Float32Array, b: number, d: number): Float64Array {
  const norms = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += u[i * d + c]! ** 2;
    const nrm = Math.sqrt(s) || 1;
    norms[i] = nrm;
    for (let c = 0; c < d; c++) u[i * d + c] = u[i * d + c]! / nrm;
  }
  return norms;
}

/** Applies one map of an adapter (modality 0: audio, 1: visual) to B vectors; rows come back L2-normalised. */
export function applyAdapterMap(params: Float32Array, d: number, which: 0 | 1, x: Float32Array, b: number): Float32Array {
  const u = project(params, which * d * d, x, b, d, new Float32Array(b * d));
  normaliseRows(u, b, d);
  return u;
}

export interface AdapterBatch {
  /** B×D audio and visual embeddings of the same windows (row i of each is a pair). */
  readonly a: Float32Array;
  readonly v: Float32Array;
  /** B×B positive mask (1 on the diagonal at least): soft targets, normalised per row and per column. */
  readonly pos: Float32Array;
  readonly b: number;
}

/**
 * Half the mean soft-target cross-entropy of the B lines of the B×B logits S (rows: lineStride B,
 * stepStride 1; columns: lineStride 1, stepStride B), targets = pos normalised per line. Adds its
 * gradient ½(softmax − T)/B into dS and returns its loss.
 */
function softTargetCrossEntropy(s: Float64Array, pos: Float32Array, b: number, lineStride: number, stepStride: number, dS: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < b; i++) {
    const at = (j: number): number => i * lineStride + j * stepStride;
    let mx = -Infinity;
    for (let j = 0; j < b; j++) mx = Math.max(mx, s[at(j)]!);
    let se = 0;
    for (let j = 0; j < b; j++) se += Math.exp(s[at(j)]! - mx);
    const lse = mx + Math.log(se);
    let tp = 0;
    for (let j = 0; j < b; j++) tp += pos[at(j)]!;
    for (let j = 0; j < b; j++) {
      const k = at(j);
      const t = pos[k]! / tp;
      const p = Math.exp(s[k]! - lse);
      if (t > 0) loss -= (0.5 / b) * t * (s[k]! - lse);
      dS[k] = dS[k]! + (0.5 / b) * (p - t);
    }
  }
  return loss;
}

/**
 * Symmetric InfoNCE: ½(CE over rows of S + CE over columns of S), S = z_a z_vᵀ / τ, targets = pos
 * normalised per row (resp. column), each averaged over B; plus (λ/2)(||W_a − I||² + ||W_v − I||²).
 * grad (layout of params) is overwritten.
 */
export function adapterLossGrad(params: Float32Array, d: number, tau: number, lambda: number, batch: AdapterBatch, grad: Float32Array): number {
  const { a, v, pos, b } = batch;
  const za = project(params, 0, a, b, d, new Float32Array(b * d));
  const zv = project(params, d * d, v, b, d, new Float32Array(b * d));
  const na = normaliseRows(za, b, d);
  const nv = normaliseRows(zv, b, d);
  const s = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < b; j++) {
      let t = 0;
      for (let c = 0; c < d; c++) t += za[i * d + c]! * zv[j * d + c]!;
      s[i * b + j] = t / tau;
    }
  }
  // dS = ½ (softmax_rows − T_rows)/B + ½ (softmax_cols − T_cols)/B
  const dS = new Float64Array(b * b);
  const loss = softTargetCrossEntropy(s, pos, b, b, 1, dS) + softTargetCrossEntropy(s, pos, b, 1, b, dS);
  // dz_a = dS z_v / τ, dz_v = dSᵀ z_a / τ; then through the normalisation: du = (dz − z (z·dz)) / |u|.
  const dza = new Float64Array(b * d);
  const dzv = new Float64Array(b * d);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < b; j++) {
      const g = dS[i * b + j]! / tau;
      if (g === 0) continue;
      for (let c = 0; c < d; c++) {
        dza[i * d + c] = dza[i * d + c]! + g * zv[j * d + c]!;
        dzv[j * d + c] = dzv[j * d + c]! + g * za[i * d + c]!;
      }
    }
  }
  grad.fill(0);
  const back = (z: Float32Array, dz: Float64Array, norms: Float64Array, x: Float32Array, offset: number): void => {
    // du (B×D) first, then dW = duᵀ x with row r of dW in L1 while the x rows stream past.
    const du = new Float32Array(b * d);
    for (let i = 0; i < b; i++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += z[i * d + c]! * dz[i * d + c]!;
      for (let c = 0; c < d; c++) du[i * d + c] = (dz[i * d + c]! - z[i * d + c]! * dot) / norms[i]!;
    }
    for (let r = 0; r < d; r++) {
      const g = grad.subarray(offset + r * d, offset + (r + 1) * d);
      let i = 0;
      for (; i + 4 <= b; i += 4) {
        const g0 = du[i * d + r]!;
        const g1 = du[(i + 1) * d + r]!;
        const g2 = du[(i + 2) * d + r]!;
        const g3 = du[(i + 3) * d + r]!;
        const o0 = i * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        for (let c = 0; c < d; c++) g[c] = g[c]! + g0 * x[o0 + c]! + g1 * x[o1 + c]! + g2 * x[o2 + c]! + g3 * x[o3 + c]!;
      }
      for (; i < b; i++) {
        const g0 = du[i * d + r]!;
        for (let c = 0; c < d; c++) g[c] = g[c]! + g0 * x[i * d + c]!;
      }
    }
  };
  back(za, dza, na, a, 0);
  back(zv, dzv, nv, v, d * d);
  let reg = 0;
  for (let w = 0; w < 2; w++) {
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) {
        const k = w * d * d + r * d + c;
        const diff = params[k]! - (r === c ? 1 : 0);
        reg += diff * diff;
        grad[k] = grad[k]! + lambda * diff;
      }
    }
  }
  return loss + 0.5 * lambda * reg;
}

// ---------------------------------------------------------------- Adam

/** Adam state in one array: [m (P), v (P), t] — so it checkpoints as one blob with the params. */
export interface Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  t: number;
}

export function adam(size: number): Adam {
  return { m: new Float32Array(size), v: new Float32Array(size), t: 0 };
}

export function adamStep(state: Adam, params: Float32Array, grad: Float32Array, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
  state.t++;
  const c1 = 1 - beta1 ** state.t;
  const c2 = 1 - beta2 ** state.t;
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grad[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * g;
    v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
    params[i] = params[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
  }
}

/** params, Adam m and v, step count, in one Float32Array (a checkpoint). */
export function packState(params: Float32Array, state: Adam): Float32Array {
  const p = params.length;
  const out = new Float32Array(3 * p + 1);
  out.set(params, 0);
  out.set(state.m, p);
  out.set(state.v, 2 * p);
  out[3 * p] = state.t;
  return out;
}

export function unpackState(packed: Float32Array, size: number): { params: Float32Array; state: Adam } | undefined {
  if (packed.length !== 3 * size + 1) return undefined;
  return {
    params: packed.slice(0, size),
    state: { m: packed.slice(size, 2 * size), v: packed.slice(2 * size, 3 * size), t: packed[3 * size]! },
  };
}

// ---------------------------------------------------------------- metrics

/** Average precision of a ranking by score (ties broken pessimistically: negatives first). NaN without positives. */
export function averagePrecision(scores: ArrayLike<number>, relevant: ArrayLike<boolean>, idx?: readonly number[]): number {
  const order = idx !== undefined ? [...idx] : Array.from({ length: scores.length }, (_, i) => i);
  order.sort((p, q) => scores[q]! - scores[p]! || Number(relevant[p]) - Number(relevant[q]));
  let hits = 0;
  let sum = 0;
  order.forEach((k, rank) => {
    if (relevant[k]) {
      hits++;
      sum += hits / (rank + 1);
    }
  });
  return hits === 0 ? NaN : sum / hits;
}

/** Recall@k of cross-modal retrieval among n pairs: query i of q (n×d) should find row i of g (n×d). */
export function pairRecall(q: Float32Array, g: Float32Array, n: number, d: number, ks: readonly number[]): number[] {
  const hits = ks.map(() => 0);
  for (let i = 0; i < n; i++) {
    let self = 0;
    for (let c = 0; c < d; c++) self += q[i * d + c]! * g[i * d + c]!;
    let better = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < d; c++) s += q[i * d + c]! * g[j * d + c]!;
      if (s > self) better++;
    }
    ks.forEach((k, t) => {
      if (better < k) hits[t] = hits[t]! + 1;
    });
  }
  return hits.map((h) => (n > 0 ? h / n : NaN));
}

/**
 * 1-D weighted logistic regression y ~ σ(α s + b) by Newton's method, with a ridge pulling α towards 1
 * (a little by default; more where a few labels would otherwise separate perfectly and send α off).
 */
export function calibrate(s: readonly number[], y: readonly number[], m: readonly number[], ridge = 1e-3): { alpha: number; bias: number } {
  let alpha = 1;
  let bias = 0;
  for (let it = 0; it < 50; it++) {
    let ga = ridge * (alpha - 1);
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = 1e-6;
    for (let i = 0; i < s.length; i++) {
      const p = sigmoid(alpha * s[i]! + bias);
      const r = m[i]! * (p - y[i]!);
      const h = m[i]! * p * (1 - p);
      ga += r * s[i]!;
      gb += r;
      haa += h * s[i]! * s[i]!;
      hab += h * s[i]!;
      hbb += h;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    alpha -= Math.max(-20, Math.min(20, da));
    bias -= Math.max(-20, Math.min(20, db));
    if (Math.abs(da) + Math.abs(db) < 1e-6) break;
  }
  // A non-positive α would reverse the baseline's ranking: keep its direction.
  return { alpha: Math.max(alpha, 1e-3), bias };
}
