// The generated corpus (tests/media/corpus.ts) through probe → plan → decodeWindows: every file gives
// the windows its duration implies with the right modalities, or the right MediaError.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaError } from '../../base/errors.ts';
import { planWindows, toSamples } from '../../base/window-plan.ts';
import type { MediaWindow } from '../../base/window-plan.ts';
import { decodeAudio } from '../../media/audio.ts';
import type { RgbFrame } from '../../media/image.ts';
import { probeMedia } from '../../media/probe.ts';
import type { MediaInfo } from '../../media/probe.ts';
import { decodeWindows, planMediaWindows } from '../../media/decode-windows.ts';
import { HOLD_SECONDS } from '../../media/damage-log.ts';
import { DamagedMediaError } from '../../media/damage.ts';
import type { DecodeWindowsResult, WindowFailure } from '../../media/decode-windows.ts';
import { generateCorpus } from './corpus.ts';
import type { CorpusCase } from './corpus.ts';
import { makeTempDir, rms } from './helpers.ts';

const { dir, cleanup } = makeTempDir();
let corpus: CorpusCase[] = [];
const byName = (name: string): CorpusCase => corpus.find((c) => c.name === name)!;

before(async () => {
  corpus = await generateCorpus(dir);
});
after(cleanup);

interface Got {
  win: MediaWindow;
  audio: Float32Array | null;
  frame: RgbFrame | null;
  failures: readonly WindowFailure[];
}
async function collect(file: string, info: MediaInfo, plan: readonly MediaWindow[], opts: { audio?: boolean; frames?: boolean } = {}): Promise<{ got: Got[]; result: DecodeWindowsResult }> {
  const got: Got[] = [];
  const result = await decodeWindows(file, info, plan, { ...opts, onWindow: (win, audio, frames, failures) => void got.push({ win, audio, frame: frames?.[0] ?? null, failures }) });
  return { got, result };
}

/** Frequency from the zero-crossing rate: exact enough to tell 440 Hz from 1000 Hz or a mix. */
function toneHz(x: Float32Array): number {
  let crossings = 0;
  for (let i = 1; i < x.length; i++) if ((x[i - 1]! < 0) !== (x[i]! < 0)) crossings++;
  return crossings / 2 / (x.length / 16000);
}

const pixel = (f: RgbFrame, x: number, y: number): number[] => Array.from(f.data.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3));

void test('every good corpus file: probe facts, windows, modalities, first channel/track', async (t) => {
  for (const c of corpus) {
    const e = c.expect;
    if (e === undefined || c.name.startsWith('long')) continue;
    await t.test(`${c.name}: ${c.description}`, async () => {
      const info = await probeMedia(c.file);
      const tol = e.durationTolerance ?? 0.01;
      assert.ok(info.duration !== undefined && Math.abs(info.duration - e.duration) <= tol, `duration ${info.duration}`);
      if (e.audio !== undefined) {
        const a = info.audio[0]!;
        assert.deepEqual([a.codec, a.sampleRate, a.channels, info.audio.length], [e.audio.codec, e.audio.sampleRate, e.audio.channels, e.audio.tracks ?? 1]);
      } else {
        assert.equal(info.audio.length, 0);
      }
      if (e.video !== undefined) {
        const v = info.video[0]!;
        assert.deepEqual([v.codec, v.width, v.height, v.rotation], [e.video.codec, e.video.width, e.video.height, e.video.rotation ?? 0]);
        assert.deepEqual([v.displayWidth, v.displayHeight], [e.video.displayWidth ?? e.video.width, e.video.displayHeight ?? e.video.height]);
      } else {
        assert.equal(info.video.length, 0);
      }
      assert.equal(info.attachedPictures, e.attachedPictures ?? 0);

      const plan = planMediaWindows(info);
      assert.equal(plan.length, e.windows.length, `windows ${JSON.stringify(plan)}`);
      plan.forEach((w, k) => {
        assert.equal(w.start, e.windows[k]![0]);
        assert.ok(Math.abs(w.end - e.windows[k]![1]) <= tol, `window ${k} ends at ${w.end}`);
      });

      const { got, result } = await collect(c.file, info, plan);
      assert.equal(got.length, plan.length);
      assert.deepEqual(result.failures, []);
      for (const g of got) {
        assert.equal(g.audio !== null, e.audio !== undefined, 'audio present iff the file has audio');
        assert.equal(g.frame !== null, e.video !== undefined, 'frame present iff the file has (non-cover-art) video');
        if (g.audio !== null) {
          const want = toSamples(g.win.end) - toSamples(g.win.start);
          // Exact, except where the container is longer than its audio stream (webm's 12.607 vs 12.5 s).
          assert.ok(g.audio.length <= want && g.audio.length >= want - toSamples(tol), `audio ${g.audio.length} of ${want}`);
          for (const v of g.audio) assert.ok(v >= -1 && v < 1);
        }
        if (g.frame !== null) {
          assert.deepEqual([g.frame.width, g.frame.height], [info.video[0]!.displayWidth, info.video[0]!.displayHeight]);
        }
      }
      if (e.toneHz !== undefined) {
        const a = got[0]!.audio!;
        const hz = toneHz(a.subarray(0, Math.min(a.length, 32000)));
        assert.ok(Math.abs(hz - e.toneHz) < 0.02 * e.toneHz, `first channel of the first track is ${e.toneHz} Hz, got ${hz.toFixed(1)}`);
      }
    });
  }
});

void test('5.1 AAC: channel 0 is front-left, at its own level (not a down-mix)', async () => {
  const c = byName('surround.mkv');
  const { got } = await collect(c.file, await probeMedia(c.file), planWindows(10));
  const level = rms(got[0]!.audio!, 8000, 150000);
  assert.ok(Math.abs(level - 0.5 / Math.SQRT2) < 0.02, `FL rms ${level}`);
});

void test('rotated phone video: frames upright (red half at the bottom after 270° clockwise)', async () => {
  const c = byName('rotated.mp4');
  const { got } = await collect(c.file, await probeMedia(c.file), planWindows(4));
  const f = got[0]!.frame!;
  assert.deepEqual([f.width, f.height], [90, 160]);
  assert.ok(pixel(f, 45, 150)[0]! > 180 && pixel(f, 45, 150)[2]! < 80, `bottom ${pixel(f, 45, 150)}`);
  assert.ok(pixel(f, 45, 10)[2]! > 180 && pixel(f, 45, 10)[0]! < 80, `top ${pixel(f, 45, 10)}`);
});

void test('VFR: each middle gets the first frame at or after it (grey level = 30·t)', async () => {
  const c = byName('vfr.mp4');
  const info = await probeMedia(c.file);
  const plan = planWindows(info.duration!, { window: 2.5 });
  assert.deepEqual(plan.map((w) => w.middle), [1.25, 3.75, 6.25]);
  const { got } = await collect(c.file, info, plan);
  // 3 fps part: 1.25 → frame at 1.333 (40); 3.75 → the first 10-fps frame at 4.0 (120, not 3.667's 110);
  // 6.25 → 6.3 (189).
  const levels = got.map((g) => pixel(g.frame!, 32, 24)[1]!);
  [40, 120, 189].forEach((want, k) => assert.ok(Math.abs(levels[k]! - want) <= 4, `window ${k}: level ${levels[k]}, want ≈${want}`));
});

void test('30-min file: 180 windows streamed with a bounded buffer; frames on a coarse plan', async () => {
  const c = byName('long30min.mkv');
  const info = await probeMedia(c.file);
  const plan = planMediaWindows(info);
  assert.equal(plan.length, 180);
  assert.deepEqual([plan[179]!.start, plan[179]!.end], [1790, 1800]);
  const lengths: number[] = [];
  const r = await decodeWindows(c.file, info, plan, { frames: false, onWindow: (_w, a, f) => void lengths.push(a!.length, f === null ? 0 : 1) });
  assert.equal(r.windows, 180);
  assert.ok(lengths.every((n, i) => (i % 2 === 0 ? n === 160000 : n === 0)));
  assert.equal(r.audioSamples, 1800 * 16000);
  // Never more than one window + the hold for damage lines + one 2-s decode chunk in memory (the whole
  // file is 28.8 M samples).
  assert.ok(r.peakBufferedSamples <= 160000 + toSamples(HOLD_SECONDS) + 32000, `peak ${r.peakBufferedSamples}`);
  const coarse = planWindows(info.duration!, { window: 600 });
  const { got } = await collect(c.file, info, coarse, { audio: false });
  assert.deepEqual(got.map((g) => [g.win.middle, g.audio, g.frame?.width]), [[300, null, 64], [900, null, 64], [1500, null, 64]]);
});

void test('audio slices equal decodeAudio(file, {start, duration}) of the same window', async () => {
  // The streamed slice and a separately seeked decode differ only where the seeked decode starts
  // cold: its resampler (and, for AAC/MP3, the decoder's overlap) has no history. Away from the cut
  // the two agree to float rounding.
  const cases: [string, number, number][] = [
    // file, samples skipped at each edge, tolerance on the rest
    ['stereo48k.wav', 64, 1e-6],
    ['odd.flac', 64, 1e-6],
    ['h264_aac.mp4', 1024, 1e-4],
  ];
  for (const [name, edge, tol] of cases) {
    const c = byName(name);
    const info = await probeMedia(c.file);
    const plan = planWindows(info.duration!, { window: 1.7, hop: 1.3 });
    const { got } = await collect(c.file, info, plan, { frames: false });
    let worst = 0;
    for (const g of got.slice(0, 6)) {
      const ref = await decodeAudio(c.file, { start: g.win.start, duration: g.win.end - g.win.start });
      assert.equal(g.audio!.length, ref.length, `${name} window ${g.win.index} length`);
      for (let i = edge; i < ref.length - edge; i++) worst = Math.max(worst, Math.abs(g.audio![i]! - ref[i]!));
    }
    console.log(`${name}: streamed vs seeked decode, interior max |diff| ${worst.toExponential(2)} (edge ${edge} samples)`);
    assert.ok(worst <= tol, `${name}: interior max |diff| ${worst} > ${tol}`);
  }
});

void test('overlapping windows (hop < window) are exact slices of one continuous decode', async () => {
  const c = byName('h264_aac.mp4');
  const info = await probeMedia(c.file);
  const whole = await decodeAudio(c.file, { duration: 25 });
  const plan = planWindows(25, { hop: 5 });
  const { got, result } = await collect(c.file, info, plan, { frames: false });
  assert.deepEqual(got.map((g) => [g.win.start, g.win.end]), [[0, 10], [5, 15], [10, 20], [15, 25]]);
  for (const g of got) assert.deepEqual(g.audio, whole.subarray(toSamples(g.win.start), toSamples(g.win.end)));
  assert.ok(result.peakBufferedSamples <= 160000 + toSamples(HOLD_SECONDS) + 32000, `peak ${result.peakBufferedSamples}`);
});

void test('per-window failures are reported: a plan past the end of the media', async () => {
  const c = byName('h264_aac.mp4');
  const info = await probeMedia(c.file);
  const { got, result } = await collect(c.file, info, planWindows(40));
  // Window 2 ([20, 30)) has audio but no frame at its middle (25 s, the video's last frame is at 24.8 s);
  // window 3 ([30, 40)) has neither: not delivered. Every failure names the file.
  assert.equal(got.length, 3);
  assert.equal(got[2]!.frame, null);
  assert.deepEqual(got[2]!.failures.map((f) => f.what), ['frame']);
  assert.deepEqual(result.failures.map((f) => [f.index, f.what]), [[2, 'frame'], [3, 'audio'], [3, 'frame']]);
  for (const f of result.failures) assert.ok(f.error instanceof MediaError && f.error.file === c.file, f.error.message);
  assert.match(result.failures[1]!.error.message, /no audio for window 3/);
  assert.match(result.failures[2]!.error.message, /no video frame at 35/);
  // Video-only 15-s file, 30-s plan: the middles 15 and 25 s lie past its last frame (14.8 s); those
  // windows have nothing to deliver and are reported instead.
  const n = byName('noaudio.mp4');
  const r2 = await collect(n.file, await probeMedia(n.file), planWindows(30));
  assert.deepEqual([r2.got.length, r2.result.failures.map((f) => [f.index, f.what])], [1, [[1, 'frame'], [2, 'frame']]]);
});

void test('broken files: the right MediaError, naming the file', async () => {
  const trunc = byName('truncated.mp4');
  const info = await probeMedia(trunc.file); // the index is intact: probing works
  // Cut at 60 % of 25 s: the first window is whole, the second ends at the cut, the third is lost.
  const { got, result } = await collect(trunc.file, info, planMediaWindows(info));
  assert.deepEqual(got.map((g) => g.win.start), [0, 10]);
  assert.ok(got[1]!.win.end > 11 && got[1]!.win.end < 16, `shortened to ${got[1]!.win.end}`);
  assert.equal(got[1]!.audio!.length, toSamples(got[1]!.win.end) - toSamples(10));
  assert.ok(result.failures.some((f) => f.index === 2 && f.error instanceof DamagedMediaError && trunc.error!.test(f.error.message)), JSON.stringify(result.failures.map((f) => f.error.message)));
  for (const name of ['empty.mp4', 'text.mp4']) {
    const c = byName(name);
    await assert.rejects(probeMedia(c.file), (e: unknown) => e instanceof MediaError && e.file === c.file && e.message.startsWith(c.file) && c.error!.test(e.message));
  }
});

void test('consumer errors pass through unchanged; abort and timeouts end in MediaErrors', async () => {
  const c = byName('h264_aac.mp4');
  const info = await probeMedia(c.file);
  const plan = planMediaWindows(info);
  const boom = new Error('database is locked');
  await assert.rejects(decodeWindows(c.file, info, plan, { onWindow: () => { throw boom; } }), (e: unknown) => e === boom);
  const ac = new AbortController();
  await assert.rejects(
    decodeWindows(c.file, info, plan, { signal: ac.signal, onWindow: () => ac.abort() }),
    (e: unknown) => e instanceof MediaError && e.file === c.file && /cancelled/.test(e.message),
  );
  const n = byName('noaudio.mp4');
  const ac2 = new AbortController();
  await assert.rejects(
    decodeWindows(n.file, await probeMedia(n.file), planWindows(15), { signal: ac2.signal, onWindow: () => ac2.abort() }),
    (e: unknown) => e instanceof MediaError && e.file === n.file && /cancelled/.test(e.message),
    'video-only files stop too',
  );
  await assert.rejects(
    decodeWindows(c.file, info, plan, { timeoutMs: 1, onWindow: () => undefined }),
    (e: unknown) => e instanceof MediaError && e.file === c.file && /stalled|timed out/.test(e.message),
  );
});
