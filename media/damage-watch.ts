// Damage located in time. ffmpeg's damage lines carry no timestamp, so the indexing decode adds two
// cheap outputs that copy the audio and video packets, undecoded, into ffmpeg's per-packet checksum
// formats on stderr (framecrc for audio, framehash with adler32 for video: the same cheap checksum,
// printed with and without "0x", so the form tells them apart),
// flushed per packet so they interleave with the log lines in order. ffmpeg 5.1 prints a parser's
// complaint while reading a packet and a decoder's while decoding it, both before that packet's
// checksum line, so a damage line belongs to the next packet line of its stream. Cost: one short line
// per packet (≈ 4 KB per second of media); no decoding.
import type { DamageReport } from './damage-log.ts';
import { cleanLine, damageStream, isDamageLine } from './damage.ts';

/** Extra ffmpeg outputs (after the decoding one) that list the packets; `limit` is the same `-t` as it. */
export function packetListArgs(limit: readonly string[], video: boolean): string[] {
  const out = [...limit, '-map', '0:a:0', '-c', 'copy', '-flush_packets', '1', '-f', 'framecrc', 'pipe:2'];
  if (video) out.push(...limit, '-map', '0:V:0?', '-c', 'copy', '-flush_packets', '1', '-f', 'framehash', '-hash', 'adler32', 'pipe:2');
  return out;
}

const PACKET = /^\s*\d+,\s*(-?\d+),\s*(-?\d+|NOPTS),\s*-?\d+,\s*\d+,\s*(0x)?[0-9a-f]{8}\b/i;

type Kind = 'audio' | 'video';

/** Reads the stderr of a decode with packetListArgs: damage lines out, each at its packet's time. */
export class PacketClock {
  private readonly file: string;
  private readonly streams: { readonly audio?: number; readonly video?: number };
  private readonly onDamage: (r: DamageReport) => void;
  private readonly timeBase: Partial<Record<Kind, number>> = {};
  private pendingTimeBase: number | undefined;
  private readonly last: Partial<Record<Kind, number>> = {};
  private origin: number | undefined;
  private pending: Array<{ line: string; stream: DamageReport['stream'] }> = [];

  constructor(file: string, streams: { readonly audio?: number; readonly video?: number }, onDamage: (r: DamageReport) => void) {
    this.file = file;
    this.streams = streams;
    this.onDamage = onDamage;
  }

  /** One stderr line; true when it was the packet listing's (not a message to keep). */
  line(text: string): boolean {
    // ~70 packet lines per second of media: the common case first, no allocation unless damage waits.
    const p = PACKET.exec(text);
    if (p !== null) {
      const kind: Kind = p[3] !== undefined ? 'audio' : 'video';
      const ts = Number(p[2] === 'NOPTS' ? p[1] : p[2]) * (this.timeBase[kind] ?? 0);
      this.origin ??= ts;
      const at = ts - this.origin;
      this.last[kind] = at;
      if (this.pending.length > 0) this.place(kind, at);
      return true;
    }
    if (text.startsWith('#')) {
      const header = /^#(tb|media_type) \d+: (.+)$/.exec(text.trim());
      if (header?.[1] === 'tb') {
        const [n, d] = header[2]!.split('/').map(Number);
        this.pendingTimeBase = n !== undefined && d !== undefined && d > 0 ? n / d : undefined;
      } else if ((header?.[2] === 'audio' || header?.[2] === 'video') && this.pendingTimeBase !== undefined) {
        this.timeBase[header[2]] = this.pendingTimeBase;
      }
      return true;
    }
    if (isDamageLine(text)) this.pending.push({ line: cleanLine(text, this.file), stream: damageStream(text, this.streams) });
    return false;
  }

  /** Damage lines waiting for a packet of `kind` are at `at`. */
  private place(kind: Kind, at: number): void {
    this.pending = this.pending.filter((d) => {
      if (d.stream !== kind && d.stream !== 'unknown') return true;
      this.onDamage({ at, stream: d.stream, line: d.line });
      return false;
    });
  }

  /** The stream ended: lines still waiting belong to the last packet seen. */
  end(): void {
    for (const d of this.pending) {
      const at = d.stream === 'unknown' ? Math.max(this.last.audio ?? 0, this.last.video ?? 0) : (this.last[d.stream] ?? 0);
      this.onDamage({ at, stream: d.stream, line: d.line });
    }
    this.pending = [];
  }
}
