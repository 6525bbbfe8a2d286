// Where in a file ffmpeg saw broken data, and which windows that touches. ffmpeg's damage lines carry no
// timestamp, so a line is placed at how far the audio output had got when it arrived (stdout bytes
// received, media/spawn.ts). That is approximate, in known bounds, and the window test errs towards
// calling a window damaged:
//  - ffmpeg prints before the samples after the bad packet are written; between them and us sit its
//    output buffer (32 KiB), the pipe (64 KiB) and Node's stream buffer (64 KiB): at 16 kHz float32,
//    the damage may lie up to AHEAD seconds after the position;
//  - Node may read a stdout chunk (≤ 64 KiB ≈ 1 s) before the stderr line printed ahead of it: up to
//    BEHIND seconds before;
//  - a video packet is read next to the audio around it, but containers interleave in chunks of up to
//    about a second: INTERLEAVE more either way for video lines.
// A window is decided only once the audio is HOLD seconds past its end, when no later line can still
// concern it (decode-windows.ts).
import { damageStream } from './damage.ts';

const AHEAD = 2.6;
const BEHIND = 1.1;
const INTERLEAVE = 1;
/** Seconds of audio past a window's end before its damage is known. */
export const HOLD_SECONDS = BEHIND + INTERLEAVE + 0.1;

export interface DamageReport {
  /** Seconds of audio output when the line arrived. */
  readonly at: number;
  readonly stream: 'audio' | 'video' | 'unknown';
  /** The line, without ffmpeg's pointer noise or the file's path. */
  readonly line: string;
}

/** Lines that mark the end of the data (a cut file), judged by the decoded length instead. */
const CUT = /partial file|packet corrupt|corrupt input packet/i;

export class DamageLog {
  private readonly reports: DamageReport[] = [];
  private readonly streams: { readonly audio?: number; readonly video?: number };
  /** Where the first end-of-data line arrived; decoder lines just after it belong to the cut. */
  private cutAt: number | undefined;

  constructor(streams: { readonly audio?: number; readonly video?: number }) {
    this.streams = streams;
  }

  add(line: string, at: number): void {
    if (CUT.test(line)) {
      this.cutAt ??= at;
      return;
    }
    // The decoder's complaints about the last, partial packet arrive right after; data that goes on
    // well past the line was no cut, and its later damage counts.
    if (this.cutAt !== undefined && at >= this.cutAt && at < this.cutAt + 1) return;
    this.reports.push({ at, stream: damageStream(line, this.streams), line });
  }

  /** The first line that may concern `what` in [start, end) seconds. */
  find(start: number, end: number, what: 'audio' | 'video'): DamageReport | undefined {
    return this.reports.find((r) => {
      if (r.stream !== what && r.stream !== 'unknown') return false;
      const slack = r.stream === 'audio' ? 0 : INTERLEAVE;
      return r.at - BEHIND - slack < end && r.at + AHEAD + slack > start;
    });
  }
}
