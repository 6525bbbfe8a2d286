// Real media for the crafted localisation checkpoint (scripts/goldens/make_localisation_fixture.py),
// where the answer is known in advance: a loud patch of sound and a red patch of picture give tokens
// along +(1,-1), silence and blue along -(1,-1), so every map cell is a cosine of about ±1.
// Shared by the map-level behaviour test and CLI-level tests. Queries are mean-pooled, so they point
// the way most tokens do: against the mostly blue picture the noise's audio map is all −1, and against
// the mostly silent lowThenSilence clip the all-red picture's visual map is all −1.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES } from '../helpers/fixtures.ts';
import { ffmpeg } from '../indexing/helpers.ts';

/** The crafted D=32 checkpoint (import it with heads: 1). */
export const CRAFTED_CHECKPOINT = path.join(FIXTURES, 'localisation', 'crafted', 'checkpoint.pth');

/**
 * Geometry of `redTopLeft`, in the 14×14 patch grid of the 224×224 centre crop: red covers crop
 * pixels y < 56, x < 112, i.e. rows 0–2 and half of row 3, columns 0–6; wider than tall, so a
 * transposed grid shows. Cells away from the edge: red for row ≤ 2 and column ≤ 6, blue for
 * row ≥ 4 or column ≥ 7.
 */
export const RED_ROWS = 3;
export const RED_COLS = 7;

/**
 * `lowThenSilence` in the 8×64 audio grid (band, time; column t = frames 16t..16t+15, 10 ms each):
 * noise below 586 Hz fills bands 0–1 of columns 0–30; column 31 holds the switch to silence;
 * a 10-s clip has real frames up to column 61, column 62 is 6 real frames and 10 padding rows,
 * column 63 is all padding. Padding rows (+1.133 after normalisation) read as loud in this model.
 */
export const LOUD_BANDS = 2;
export const LOUD_COLUMNS = 31;
export const REAL_COLUMNS = 62;

export interface LocalisationMedia {
  readonly checkpoint: string;
  /** 320×240 PNG: blue, with red in the top-left (x < 160, y < 60). */
  readonly redTopLeft: string;
  /** 320×240 PNG, all red. */
  readonly allRed: string;
  /** 10 s, 16 kHz mono s16 WAV: white noise, amplitude 0.5 (every band loud). */
  readonly noise: string;
  /** 10 s, 16 kHz mono s16 WAV: 5 s of white noise cut off at 586 Hz (bands 0–1 loud), then 5 s of digital silence. */
  readonly lowThenSilence: string;
  /** 10-s videos of the pairs above (x264 4:4:4 lossless picture, PCM sound identical to the WAVs). */
  readonly videoRedTopLeftNoise: string;
  readonly videoRedLowThenSilence: string;
}

const PICTURE = 'color=c=blue:s=320x240:d=1,format=rgb24';

/** Writes the media into `dir` (created if needed) and returns their paths. */
export async function makeLocalisationMedia(dir: string): Promise<LocalisationMedia> {
  mkdirSync(dir, { recursive: true });
  const at = (name: string): string => path.join(dir, name);
  const media: LocalisationMedia = {
    checkpoint: CRAFTED_CHECKPOINT,
    redTopLeft: at('red-top-left.png'),
    allRed: at('all-red.png'),
    noise: at('noise.wav'),
    lowThenSilence: at('low-then-silence.wav'),
    videoRedTopLeftNoise: at('red-top-left-noise.mkv'),
    videoRedLowThenSilence: at('red-low-then-silence.mkv'),
  };
  // The model sees the centre 240×240 square (x 40–280) scaled to 224: x < 160 is its left half, y < 60 its top quarter.
  await ffmpeg(['-f', 'lavfi', '-i', `${PICTURE},drawbox=x=0:y=0:w=160:h=60:color=red:t=fill`, '-frames:v', '1', media.redTopLeft]);
  await ffmpeg(['-f', 'lavfi', '-i', `${PICTURE},drawbox=x=0:y=0:w=320:h=240:color=red:t=fill`, '-frames:v', '1', media.allRed]);
  const wav = ['-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le'];
  await ffmpeg(['-f', 'lavfi', '-i', 'anoisesrc=colour=white:amplitude=0.5:sample_rate=16000:duration=10:seed=1', ...wav, media.noise]);
  // An FFT brick wall (bin 150 of 4096 = 586 Hz) keeps the high bands at the silence floor; afftfilt's
  // first window starts from zeros, so one extra second is made and trimmed off the front.
  const low =
    "anoisesrc=colour=white:amplitude=1:sample_rate=16000:duration=6:seed=2," +
    "afftfilt=real='re*lt(b\\,150)':imag='im*lt(b\\,150)':win_size=4096," +
    'atrim=start=1,asetpts=PTS-STARTPTS,volume=1.5,apad=whole_dur=10';
  await ffmpeg(['-f', 'lavfi', '-i', low, ...wav, media.lowThenSilence]);
  const video = (picture: string, sound: string, out: string): Promise<void> =>
    ffmpeg([
      '-loop', '1', '-framerate', '2', '-i', picture, '-i', sound, '-t', '10',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv444p', '-c:a', 'pcm_s16le', out,
    ]);
  await video(media.redTopLeft, media.noise, media.videoRedTopLeftNoise);
  await video(media.allRed, media.lowThenSilence, media.videoRedLowThenSilence);
  return media;
}
