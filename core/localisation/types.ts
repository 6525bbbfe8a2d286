// What localisation answers, as plain JSON (the CLI's --json, `foley serve`, Electron IPC). Maps are
// raw cosines (spec §9); scaling them for display is the drawer's business.
import type { Modality } from '../../base/types.ts';

/** A token grid's cosines, row-major: data[row · shape[1] + col]. */
export interface MapJson {
  readonly shape: readonly [rows: number, cols: number];
  readonly data: readonly number[];
}

/** The sound side of a pair: one window of audio. */
export interface LocalisedSound {
  /** Its file, when it has one (an uploaded clip or microphone samples do not). */
  readonly file?: string;
  /** Seconds into the file where the window starts, and how much real audio it holds. */
  readonly start: number;
  readonly seconds: number;
  /** Seconds of input the model sees (the window padded or cut to the model's input, 10.24 s for CAV-MAE). */
  readonly inputSeconds: number;
  /**
   * Where that input begins, in seconds after `start`: 0 for CAV-MAE; for CAV-MAE Sync the middle
   * frame's 4.16-s stretch begins 3.04 s in. The audio map spans [start + inputStart, + inputSeconds).
   */
  readonly inputStart: number;
  /** Where in the sound the picture is heard: the audio map's best time column, as seconds into the file. */
  readonly peak: number;
}

/** The picture side of a pair: a still image, or a frame of a video. */
export interface LocalisedPicture {
  readonly file?: string;
  /** The frame's time, for a frame of a video. */
  readonly at?: number;
  /** Size of the picture; the visual map covers its centre square (side min(width, height)), which the model sees. */
  readonly width: number;
  readonly height: number;
}

export interface Localisation {
  /** The sound's embedding against each patch token of the picture (14 × 14 for CAV-MAE). */
  readonly visual: MapJson;
  /** The picture's embedding against each patch token of the sound (8 × 64: frequency band × time, band 0 lowest). */
  readonly audio: MapJson;
  readonly sound: LocalisedSound;
  readonly picture: LocalisedPicture;
}

/** One target moment of a `localize` call, localised against the query. */
export interface LocalisedMoment extends Localisation {
  readonly file: string;
  readonly fileId: number;
  /** The moment's window (the sound, or the frame at its middle). */
  readonly window: { readonly start: number; readonly end: number };
}

/** A target that could not be localised: its file is gone or unreadable, its window has no sound or picture. */
export interface LocaliseFailure {
  /** As asked: a file id or path. */
  readonly file: number | string;
  readonly at: number;
  /** The problem, naming the file. */
  readonly error: string;
}

export interface LocalizeResponse {
  readonly model: string;
  readonly provider: string;
  /** Which side the query was: its sound ('audio': maps over the targets' pictures) or its picture ('visual'). */
  readonly query: Modality;
  /** One per target that could be localised, in the order asked. */
  readonly results: readonly LocalisedMoment[];
  /** The others, each with its reason (the rest of the page is still localised). */
  readonly failures: readonly LocaliseFailure[];
}
