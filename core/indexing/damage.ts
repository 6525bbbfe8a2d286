// A damaged file in words: what was wrong and what of it was indexed ("indexed 0–41 s of 60 s"), from the
// windows an index run kept and the DamagedMediaErrors decoding reported for the ones it could not keep
// whole (media/decode-windows.ts). The file stays indexed for its intact part; this text is stored as
// its last_error, which is what marks an indexed file as damaged (db/status.ts).
import type { WindowFailure } from '../../media/decode-windows.ts';
import { DamagedMediaError } from '../../media/damage.ts';

/** A window as kept: its span and which modalities it has. */
export interface KeptWindow {
  readonly startS: number;
  readonly endS: number;
  readonly hasAudio: boolean;
  readonly hasVisual: boolean;
}

export type Span = readonly [number, number];

/** Spans of consecutive or overlapping windows, merged, in order. */
export function mergeSpans(windows: readonly { readonly startS: number; readonly endS: number }[]): Span[] {
  const sorted = [...windows].sort((a, b) => a.startS - b.startS);
  const out: [number, number][] = [];
  for (const w of sorted) {
    const last = out.at(-1);
    if (last !== undefined && w.startS <= last[1] + 1e-6) last[1] = Math.max(last[1], w.endS);
    else out.push([w.startS, w.endS]);
  }
  return out;
}

/** 41 → "41", 2.4 → "2.4", 59.96 → "60". */
function seconds(x: number): string {
  return String(Number(x.toFixed(1)));
}

export function formatSpans(spans: readonly Span[]): string {
  return spans.map(([a, b]) => `${seconds(a)}–${seconds(b)}`).join(', ');
}

/**
 * "indexed 0–41 s of 60 s", or per modality when they differ ("indexed: sound 0–2, 4–6 s; pictures
 * 0–6 s of 6 s"). `duration` is what the file's header promises.
 */
export function describeIndexed(windows: readonly KeptWindow[], duration: number | null): string {
  const of = duration !== null && duration > 0 ? ` of ${seconds(duration)} s` : '';
  const sound = mergeSpans(windows.filter((w) => w.hasAudio));
  const pictures = mergeSpans(windows.filter((w) => w.hasVisual));
  const all = mergeSpans(windows);
  const same = (a: readonly Span[]): boolean => formatSpans(a) === formatSpans(all);
  if (all.length === 0) return `nothing indexed${of}`;
  if ((sound.length === 0 || same(sound)) && (pictures.length === 0 || same(pictures))) return `indexed ${formatSpans(all)} s${of}`;
  const parts = [sound.length > 0 ? `sound ${formatSpans(sound)} s` : 'no sound', pictures.length > 0 ? `pictures ${formatSpans(pictures)} s` : 'no pictures'];
  return `indexed: ${parts.join('; ')}${of}`;
}

/**
 * What was wrong, in one line: a cut first (the pictures missing past it go without saying), else the
 * first damage per modality, and how many more damaged spots there were. Undefined when nothing was
 * damaged (a stream that simply ends before another is not damage).
 */
export function damageReason(file: string, failures: readonly WindowFailure[]): string | undefined {
  const text = (f: WindowFailure): string => f.error.message.replace(`${file}: `, '');
  let damaged = failures.filter((f) => f.error instanceof DamagedMediaError);
  if (damaged.length === 0) return undefined;
  const cut = damaged.find((f) => text(f).startsWith('the file is cut short'));
  if (cut !== undefined) damaged = damaged.filter((f) => !(f.what === 'frame' && text(f).startsWith('no picture at')));
  // Pictures missing past where the video data ends are one problem, however many windows it takes.
  const key = (f: WindowFailure): string => (text(f).startsWith('no picture at') ? 'video ends early' : text(f));
  const distinct = [...new Set(damaged.map(key))];
  const first = [cut, ...(['audio', 'frame'] as const).map((what) => damaged.find((f) => f.what === what))].filter((f) => f !== undefined);
  const firsts = [...new Set(first.map(text))];
  const more = distinct.length - new Set(first.map(key)).size;
  return `${firsts.join('; ')}${more > 0 ? ` (and ${more} more damaged spot${more === 1 ? '' : 's'})` : ''}`;
}

/** The line stored and shown for a damaged file: reason, then what was indexed. Undefined when undamaged. */
export function damageSummary(file: string, failures: readonly WindowFailure[], kept: readonly KeptWindow[], duration: number | null): string | undefined {
  const reason = damageReason(file, failures);
  return reason === undefined ? undefined : `${reason}; ${describeIndexed(kept, duration)}`;
}
