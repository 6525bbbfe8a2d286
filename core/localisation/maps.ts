// Sound-source localisation maps (spec §9): the cosine between one modality's pooled, L2-normalised
// embedding and each L2-normalised patch token of the other modality. Raw cosines, no rescaling, so
// maps from different clips stay comparable; display scaling belongs to whoever draws them.
import { FoleyError } from '../../base/errors.ts';

export interface TokenMap {
  /** [rows, columns] of the family's token grid, row-major. */
  readonly shape: readonly [number, number];
  readonly data: Float32Array;
}

/**
 * Cosine of `embedding` (length D) against each of the `rows·cols` tokens in `tokens` (row-major,
 * length rows·cols·D). A zero token (or a zero embedding) gives 0 rather than NaN.
 */
export function cosineMap(embedding: Float32Array, tokens: Float32Array, shape: readonly [number, number]): TokenMap {
  const d = embedding.length;
  const n = shape[0] * shape[1];
  if (d === 0 || tokens.length !== n * d) {
    throw new FoleyError(`tokens have ${tokens.length} values, expected ${n}×${d} for a ${shape[0]}×${shape[1]} grid`);
  }
  let ee = 0;
  for (let k = 0; k < d; k++) ee += embedding[k]! * embedding[k]!;
  const eNorm = Math.sqrt(ee);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * d;
    let tt = 0;
    let et = 0;
    for (let k = 0; k < d; k++) {
      const t = tokens[off + k]!;
      tt += t * t;
      et += t * embedding[k]!;
    }
    const denom = Math.sqrt(tt) * eNorm;
    data[i] = denom > 0 ? et / denom : 0;
  }
  return { shape: [shape[0], shape[1]], data };
}

/** Spectrogram frame hop of the CAV-MAE fbank (10 ms), spec §3.4. */
const FRAME_SECONDS = 0.01;

/**
 * Where in the window the picture is heard: the time column whose mean over frequency bands is
 * highest, as the seconds at that column's centre. Column t covers input frames [t·f, (t+1)·f) with
 * f = inputFrames / cols. Only columns whose frames are all real audio compete: a window is padded out
 * to the full input (a 10-s window has 998 of 1024 frames), and the padding tokens are whatever the
 * model makes of a constant, often "loud", so a column touching them may win without any sound
 * there. A window shorter than one column still has column 0. The centre is clamped to the window.
 */
export function peakSeconds(audio: TokenMap, inputFrames: number, windowSeconds: number): number {
  const [rows, cols] = audio.shape;
  const framesPerColumn = inputFrames / cols;
  const realFrames = fbankFrames(windowSeconds);
  const realColumns = Math.min(cols, Math.max(1, Math.floor(realFrames / framesPerColumn)));
  let best = 0;
  let bestSum = -Infinity;
  for (let t = 0; t < realColumns; t++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += audio.data[r * cols + t]!;
    if (sum > bestSum) {
      bestSum = sum;
      best = t;
    }
  }
  const centre = (best + 0.5) * framesPerColumn * FRAME_SECONDS;
  return Math.min(Math.max(centre, 0), windowSeconds);
}

/** Fbank frames of `seconds` of 16-kHz audio: whole 25-ms frames every 10 ms (spec §1.2). */
function fbankFrames(seconds: number): number {
  const samples = Math.round(seconds * 16_000);
  return samples < 400 ? 0 : 1 + Math.floor((samples - 400) / 160);
}
