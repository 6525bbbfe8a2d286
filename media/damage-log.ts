// Where in a file decoding met broken data (placed by media/damage-watch.ts, to the packet), and which
// windows that touches. A window loses a modality when a damaged packet of that stream lies inside it,
// give or take SLACK (a packet's length, and frames a decoder holds back). The audio half of
// decode-windows.ts hands a window over only once its samples are HOLD_SECONDS past the window's end:
// by then every line that can concern it has arrived (Node may read up to a 64-KiB stdout chunk,
// ≈ 1 s of 16-kHz float32, before the stderr line printed ahead of it, and containers interleave video
// with audio in chunks of up to about a second).
export const HOLD_SECONDS = 2.2;
const SLACK = 0.05;

export interface DamageReport {
  /** Seconds into the file of the packet concerned. */
  readonly at: number;
  readonly stream: 'audio' | 'video' | 'unknown';
  /** The line, without ffmpeg's pointer noise or the file's path. */
  readonly line: string;
}

/** Lines that mark the end of the data (a cut file), judged by the decoded length instead. */
const CUT = /partial file|packet corrupt|corrupt input packet/i;

export class DamageLog {
  private readonly reports: DamageReport[] = [];
  /** Where the first end-of-data line was; decoder lines about the packets right after belong to the cut. */
  private cutAt: number | undefined;

  add(r: DamageReport): void {
    if (CUT.test(r.line)) {
      this.cutAt ??= r.at;
      return;
    }
    // The decoder's complaints about the last, partial packet come with it; data that goes on well
    // past the line was no cut, and its later damage counts.
    if (this.cutAt !== undefined && r.at >= this.cutAt - SLACK && r.at < this.cutAt + 1) return;
    this.reports.push(r);
  }

  /** The first damage that concerns `what` in [start, end) seconds. */
  find(start: number, end: number, what: 'audio' | 'video'): DamageReport | undefined {
    return this.reports.find((r) => (r.stream === what || r.stream === 'unknown') && r.at - SLACK < end && r.at + SLACK >= start);
  }
}
