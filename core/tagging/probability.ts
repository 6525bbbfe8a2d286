// From stored logits to class probabilities. An AudioSet classifier is multi-label (sigmoid per class);
// a VGGSound one was trained single-label (softmax over the classes), spec §2.1. The official
// inference averages the probabilities over a clip's pictures, not the logits; `aggregateLogits`
// returns logits whose probabilities are that mean, so one stored vector per window serves both
// (exact up to float32 rounding of the result, computed in float64 with log-sum-exp).
// Pure: no I/O.

export type Activation = 'sigmoid' | 'softmax';

/** The activation for a classifier with `numClasses` outputs: 309 is VGGSound (softmax), anything else multi-label. */
export function activationFor(numClasses: number): Activation {
  return numClasses === 309 ? 'softmax' : 'sigmoid';
}

/** log(Σ exp(x_i)) without overflow. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

/** log σ(x) = −softplus(−x), stable at both ends. */
function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** Probabilities of one window's logits. */
export function probabilities(logits: Float32Array, activation: Activation): Float32Array {
  if (activation === 'sigmoid') return logits.map((z) => 1 / (1 + Math.exp(-z)));
  const lse = logSumExp(logits);
  return logits.map((z) => Math.exp(z - lse));
}

/**
 * A monotone stand-in for a class's probability, for ranking windows by it: the logit itself for
 * sigmoid (no saturation near 1, unlike the probability in float32), log-probability for softmax.
 */
export function rankValue(logits: Float32Array, classIndex: number, activation: Activation, lse?: number): number {
  const z = logits[classIndex]!;
  return activation === 'sigmoid' ? z : z - (lse ?? logSumExp(logits));
}

/** The probability a rank value stands for. */
export function probabilityOfRank(value: number, activation: Activation): number {
  return activation === 'sigmoid' ? 1 / (1 + Math.exp(-value)) : Math.exp(value);
}

/**
 * Logits whose probabilities are the mean of the per-picture probabilities of `perFrame` (each a
 * logits vector of the same length). One picture: returned as is.
 *   sigmoid: z = log(mean σ(z_f)) − log(mean σ(−z_f))   (σ(z) is then that mean)
 *   softmax: z = log(mean softmax(z_f))                  (already normalised, so softmax(z) is the mean)
 */
export function aggregateLogits(perFrame: readonly Float32Array[], activation: Activation): Float32Array {
  if (perFrame.length === 0) throw new Error('aggregateLogits needs at least one vector');
  if (perFrame.length === 1) return perFrame[0]!;
  const n = perFrame[0]!.length;
  const k = perFrame.length;
  const out = new Float32Array(n);
  const logK = Math.log(k);
  if (activation === 'sigmoid') {
    const pos = new Float64Array(k);
    const neg = new Float64Array(k);
    for (let c = 0; c < n; c++) {
      for (let f = 0; f < k; f++) {
        const z = perFrame[f]![c]!;
        pos[f] = logSigmoid(z);
        neg[f] = logSigmoid(-z);
      }
      out[c] = logSumExp(pos) - logSumExp(neg);
    }
    return out;
  }
  const lse = perFrame.map((z) => logSumExp(z));
  const terms = new Float64Array(k);
  for (let c = 0; c < n; c++) {
    for (let f = 0; f < k; f++) terms[f] = perFrame[f]![c]! - lse[f]!;
    out[c] = logSumExp(terms) - logK;
  }
  return out;
}
