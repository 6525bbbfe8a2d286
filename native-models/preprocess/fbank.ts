// Kaldi-compatible log-mel filterbank, as torchaudio.compliance.kaldi.fbank computes it with
// htk_compat, no energy term, no dither, snip-edges framing and window_type='hanning' (a symmetric
// Hann, not Kaldi's povey). Rate, mel bins, frame timing, pre-emphasis and the lowest mel edge are
// options: a model family passes the arguments its training code used (see
// cavmae/preprocess.ts). The signal path runs in float64; the mel weights reproduce torchaudio's
// float32 arithmetic because those are the weights models were trained with (a float64 triangle
// differs by up to 1.6e-3 relative on the smallest edge weights).
import { createRealPowerSpectrum } from './fft.ts';

export interface FbankOptions {
  readonly sampleRate: number;
  readonly melBins: number;
  readonly frameLengthMs?: number;
  readonly frameShiftMs?: number;
  readonly preemphasis?: number;
  /** Lowest mel edge in Hz; the highest is always Nyquist (torchaudio's high_freq = 0). */
  readonly lowFreq?: number;
  /**
   * Subtract the whole clip's mean before framing (what some models' loaders do to the waveform).
   * Done here rather than by the caller so the subtraction happens in float64, not on float32 samples.
   */
  readonly subtractClipMean?: boolean;
}

// torchaudio's defaults for the options a caller may leave out.
const DEFAULTS = { frameLengthMs: 25, frameShiftMs: 10, preemphasis: 0.97, lowFreq: 20, subtractClipMean: false };
// torch.finfo(torch.float32).eps: the floor torchaudio applies before the log.
const LOG_FLOOR = 1.1920928955078125e-7;

interface MelBank {
  /** First FFT bin each filter touches. */
  readonly start: Int32Array;
  /** Weights of filter b live in weights[offset[b] .. offset[b+1]). */
  readonly offset: Int32Array;
  readonly weights: Float64Array;
}

interface FbankPlan {
  readonly melBins: number;
  readonly preemphasis: number;
  readonly subtractClipMean: boolean;
  readonly frameLength: number;
  readonly frameShift: number;
  readonly fftSize: number;
  readonly window: Float64Array;
  readonly mel: MelBank;
  readonly spectrum: ReturnType<typeof createRealPowerSpectrum>;
  // Scratch buffers reused across frames and calls (the library is single-threaded per plan).
  readonly frame: Float64Array;
  readonly power: Float64Array;
}

const plans = new Map<string, FbankPlan>();

function f32(x: number): number {
  return Math.fround(x);
}

/** torchaudio's mel_scale on a float32 tensor: 1127·ln(1 + f/700), every step rounded to float32. */
function melScaleF32(freq: number): number {
  return f32(1127 * f32(Math.log(f32(1 + f32(freq / 700)))));
}

function buildMelBank(sampleRate: number, fftSize: number, melBins: number, lowFreq: number): MelBank {
  const numFftBins = fftSize / 2; // the Nyquist bin is appended later with weight 0
  const binWidth = sampleRate / fftSize;
  const highFreq = sampleRate / 2; // high_freq = 0 → Nyquist
  // The scalar edges are Python floats (float64) in torchaudio; the per-bin tensors are float32.
  const melLow = 1127 * Math.log(1 + lowFreq / 700);
  const melHigh = 1127 * Math.log(1 + highFreq / 700);
  const delta = (melHigh - melLow) / (melBins + 1);
  const melOfBin = new Float64Array(numFftBins);
  for (let i = 0; i < numFftBins; i++) melOfBin[i] = melScaleF32(f32(binWidth * i));

  const start = new Int32Array(melBins);
  const offset = new Int32Array(melBins + 1);
  const collected: number[] = [];
  for (let b = 0; b < melBins; b++) {
    const left = f32(melLow + f32(b * delta));
    const center = f32(melLow + f32((b + 1) * delta));
    const right = f32(melLow + f32((b + 2) * delta));
    const upDen = f32(center - left);
    const downDen = f32(right - center);
    let first = -1;
    const ws: number[] = [];
    for (let i = 0; i < numFftBins; i++) {
      const m = melOfBin[i]!;
      const up = f32(f32(m - left) / upDen);
      const down = f32(f32(right - m) / downDen);
      const w = Math.max(0, Math.min(up, down));
      if (w > 0) {
        if (first < 0) first = i;
        // Triangles are convex, so the non-zero weights are contiguous; fill any gap defensively.
        while (first + ws.length < i) ws.push(0);
        ws.push(w);
      }
    }
    start[b] = first < 0 ? 0 : first;
    offset[b] = collected.length;
    collected.push(...ws);
  }
  offset[melBins] = collected.length;
  return { start, offset, weights: Float64Array.from(collected) };
}

function getPlan(options: FbankOptions): FbankPlan {
  const o = { ...DEFAULTS, ...options };
  const key = JSON.stringify([o.sampleRate, o.melBins, o.frameLengthMs, o.frameShiftMs, o.preemphasis, o.lowFreq, o.subtractClipMean]);
  const cached = plans.get(key);
  if (cached) return cached;
  const frameLength = Math.trunc((o.sampleRate * o.frameLengthMs) / 1000);
  const frameShift = Math.trunc((o.sampleRate * o.frameShiftMs) / 1000);
  let fftSize = 1;
  while (fftSize < frameLength) fftSize <<= 1;
  // Symmetric Hann ('hanning' in torchaudio = torch.hann_window(periodic=False)).
  const window = new Float64Array(frameLength);
  for (let k = 0; k < frameLength; k++) window[k] = 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / (frameLength - 1));
  const plan: FbankPlan = {
    melBins: o.melBins,
    preemphasis: o.preemphasis,
    subtractClipMean: o.subtractClipMean,
    frameLength,
    frameShift,
    fftSize,
    window,
    mel: buildMelBank(o.sampleRate, fftSize, o.melBins, o.lowFreq),
    spectrum: createRealPowerSpectrum(fftSize),
    frame: new Float64Array(fftSize),
    power: new Float64Array(fftSize / 2 + 1),
  };
  plans.set(key, plan);
  return plan;
}

/** Number of frames snip-edges framing yields: 1 + floor((N − length) / shift), or 0 below one frame. */
export function fbankFrameCount(numSamples: number, options: FbankOptions): number {
  const { frameLength, frameShift } = getPlan(options);
  return numSamples < frameLength ? 0 : 1 + Math.floor((numSamples - frameLength) / frameShift);
}

/**
 * Raw log-mel filterbank, [nFrames, melBins] row-major (time-major, bin 0 lowest), of a mono clip
 * with samples in [-1, 1). A clip shorter than one frame gives zero frames.
 */
export function computeFbank(samples: Float32Array, options: FbankOptions): Float32Array {
  const plan = getPlan(options);
  const { melBins, preemphasis, frameLength, frameShift, window, mel, spectrum, frame, power } = plan;
  const nFrames = fbankFrameCount(samples.length, options);
  const out = new Float32Array(nFrames * melBins);
  if (nFrames === 0) return out;

  let clipMean = 0;
  if (plan.subtractClipMean) {
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i]!;
    clipMean = sum / samples.length;
  }
  // frame[frameLength..fftSize) stays zero: that is the zero padding to the FFT size.
  frame.fill(0);
  const { start, offset, weights } = mel;

  for (let f = 0; f < nFrames; f++) {
    const base = f * frameShift;
    let frameSum = 0;
    for (let j = 0; j < frameLength; j++) {
      const v = samples[base + j]! - clipMean;
      frame[j] = v;
      frameSum += v;
    }
    const dc = frameSum / frameLength;
    // Pre-emphasis runs backwards so frame[j-1] is still the DC-removed input; sample 0 uses itself.
    for (let j = frameLength - 1; j > 0; j--) {
      frame[j] = (frame[j]! - dc - preemphasis * (frame[j - 1]! - dc)) * window[j]!;
    }
    frame[0] = (frame[0]! - dc) * (1 - preemphasis) * window[0]!;

    spectrum.power(frame, power);

    const row = f * melBins;
    for (let b = 0; b < melBins; b++) {
      let e = 0;
      const s = start[b]!;
      for (let w = offset[b]!, i = s; w < offset[b + 1]!; w++, i++) e += weights[w]! * power[i]!;
      out[row + b] = Math.log(e > LOG_FLOOR ? e : LOG_FLOOR);
    }
  }
  return out;
}

export interface FrameFit {
  readonly melBins: number;
  readonly targetFrames: number;
  readonly mean: number;
  readonly std: number;
}

/**
 * A fixed-length model input [targetFrames, melBins] from nFrames rows of fbank: zero rows appended
 * (in log-mel space, so padding becomes (0 − mean) / std) or the first targetFrames kept, then
 * normalised with (x − mean) / std.
 */
export function fitAndNormalise(fbank: Float32Array, nFrames: number, fit: FrameFit): Float32Array {
  const { melBins, targetFrames, mean, std } = fit;
  if (fbank.length < nFrames * melBins) {
    throw new RangeError(`fbank holds ${fbank.length / melBins} frames, expected at least ${nFrames}`);
  }
  const out = new Float32Array(targetFrames * melBins);
  const keep = Math.min(nFrames, targetFrames) * melBins;
  for (let i = 0; i < keep; i++) out[i] = (fbank[i]! - mean) / std;
  out.fill((0 - mean) / std, keep);
  return out;
}
