// Kaldi-compatible log-mel filterbank exactly as CAV-MAE calls torchaudio.compliance.kaldi.fbank
// (spec §1): htk_compat, 16 kHz, no energy, symmetric Hann, 128 mel bins, no dither, 10 ms shift.
// The signal path runs in float64; the mel weights reproduce torchaudio's float32 arithmetic because
// those are the weights the model was trained with (a float64 triangle differs by up to 1.6e-3
// relative on the smallest edge weights).
import { createRealPowerSpectrum } from './fft.ts';

export const FBANK_BINS = 128;
export const TARGET_FRAMES = 1024;
/** AudioSet statistics used by every CAV-MAE checkpoint (spec §1.4). */
export const FBANK_MEAN = -5.081;
export const FBANK_STD = 4.4849;

const FRAME_LENGTH_MS = 25;
const FRAME_SHIFT_MS = 10;
const PREEMPHASIS = 0.97;
const LOW_FREQ = 20;
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

const plans = new Map<number, FbankPlan>();

function f32(x: number): number {
  return Math.fround(x);
}

/** torchaudio's mel_scale on a float32 tensor: 1127·ln(1 + f/700), every step rounded to float32. */
function melScaleF32(freq: number): number {
  return f32(1127 * f32(Math.log(f32(1 + f32(freq / 700)))));
}

function buildMelBank(sampleRate: number, fftSize: number): MelBank {
  const numFftBins = fftSize / 2; // the Nyquist bin is appended later with weight 0
  const binWidth = sampleRate / fftSize;
  const highFreq = sampleRate / 2; // high_freq = 0 → Nyquist
  // The scalar edges are Python floats (float64) in torchaudio; the per-bin tensors are float32.
  const melLow = 1127 * Math.log(1 + LOW_FREQ / 700);
  const melHigh = 1127 * Math.log(1 + highFreq / 700);
  const delta = (melHigh - melLow) / (FBANK_BINS + 1);
  const melOfBin = new Float64Array(numFftBins);
  for (let i = 0; i < numFftBins; i++) melOfBin[i] = melScaleF32(f32(binWidth * i));

  const start = new Int32Array(FBANK_BINS);
  const offset = new Int32Array(FBANK_BINS + 1);
  const collected: number[] = [];
  for (let b = 0; b < FBANK_BINS; b++) {
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
  offset[FBANK_BINS] = collected.length;
  return { start, offset, weights: Float64Array.from(collected) };
}

function getPlan(sampleRate: number): FbankPlan {
  const cached = plans.get(sampleRate);
  if (cached) return cached;
  const frameLength = Math.trunc((sampleRate * FRAME_LENGTH_MS) / 1000);
  const frameShift = Math.trunc((sampleRate * FRAME_SHIFT_MS) / 1000);
  let fftSize = 1;
  while (fftSize < frameLength) fftSize <<= 1;
  // Symmetric Hann ('hanning' in torchaudio = torch.hann_window(periodic=False)).
  const window = new Float64Array(frameLength);
  for (let k = 0; k < frameLength; k++) window[k] = 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / (frameLength - 1));
  const plan: FbankPlan = {
    frameLength,
    frameShift,
    fftSize,
    window,
    mel: buildMelBank(sampleRate, fftSize),
    spectrum: createRealPowerSpectrum(fftSize),
    frame: new Float64Array(fftSize),
    power: new Float64Array(fftSize / 2 + 1),
  };
  plans.set(sampleRate, plan);
  return plan;
}

/** Number of frames snip-edges framing yields: 1 + floor((N − 400) / 160), or 0 below one frame. */
export function fbankFrameCount(numSamples: number, sampleRate = 16000): number {
  const { frameLength, frameShift } = getPlan(sampleRate);
  return numSamples < frameLength ? 0 : 1 + Math.floor((numSamples - frameLength) / frameShift);
}

/**
 * Raw log-mel filterbank, [nFrames, 128] row-major (time-major, bin 0 lowest), of a mono clip with
 * samples in [-1, 1). The clip mean is removed first, as the CAV-MAE loader does. A clip shorter
 * than one 25 ms frame gives zero frames.
 */
export function computeFbank(samples: Float32Array, sampleRate = 16000): Float32Array {
  const plan = getPlan(sampleRate);
  const { frameLength, frameShift, window, mel, spectrum, frame, power } = plan;
  const nFrames = fbankFrameCount(samples.length, sampleRate);
  const out = new Float32Array(nFrames * FBANK_BINS);
  if (nFrames === 0) return out;

  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]!;
  const clipMean = sum / samples.length;
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
      frame[j] = (frame[j]! - dc - PREEMPHASIS * (frame[j - 1]! - dc)) * window[j]!;
    }
    frame[0] = (frame[0]! - dc) * (1 - PREEMPHASIS) * window[0]!;

    spectrum.power(frame, power);

    const row = f * FBANK_BINS;
    for (let b = 0; b < FBANK_BINS; b++) {
      let e = 0;
      const s = start[b]!;
      for (let w = offset[b]!, i = s; w < offset[b + 1]!; w++, i++) e += weights[w]! * power[i]!;
      out[row + b] = Math.log(e > LOG_FLOOR ? e : LOG_FLOOR);
    }
  }
  return out;
}

/**
 * Model input [targetFrames, 128]: zero rows appended (in log-mel space) or the first targetFrames
 * kept, then normalised with (x + 5.081) / 4.4849 — padding therefore becomes +1.13291.
 */
export function toModelInput(fbank: Float32Array, nFrames: number, targetFrames = TARGET_FRAMES): Float32Array {
  if (fbank.length < nFrames * FBANK_BINS) {
    throw new RangeError(`fbank holds ${fbank.length / FBANK_BINS} frames, expected at least ${nFrames}`);
  }
  const out = new Float32Array(targetFrames * FBANK_BINS);
  const keep = Math.min(nFrames, targetFrames) * FBANK_BINS;
  for (let i = 0; i < keep; i++) out[i] = (fbank[i]! - FBANK_MEAN) / FBANK_STD;
  out.fill((0 - FBANK_MEAN) / FBANK_STD, keep);
  return out;
}

/** 16 kHz mono samples → the [1024, 128] normalised audio input of CAV-MAE. */
export function audioFeatures(samples: Float32Array, targetFrames = TARGET_FRAMES): Float32Array {
  const fbank = computeFbank(samples, 16000);
  return toModelInput(fbank, fbank.length / FBANK_BINS, targetFrames);
}
