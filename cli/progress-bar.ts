// A one-line progress bar on stderr with rate and ETA. Silent when stderr is not a terminal (CI logs,
// pipes) so machine-readable output stays clean; --json output goes to stdout and is never mixed in.
import type { Progress } from '../core/progress.ts';

const WIDTH = 28;

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number): string => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private stage = '';
  private stageStart = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (p.stage !== this.stage) {
      if (this.drawn) this.stream.write('\n');
      this.stage = p.stage;
      this.stageStart = now;
      this.lastDraw = 0;
    }
    const finished = p.total > 0 && p.done >= p.total;
    if (!finished && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const filled = Math.round(frac * WIDTH);
    const elapsed = (now - this.stageStart) / 1000;
    const rate = elapsed > 0 ? p.done / elapsed : 0;
    const eta = rate > 0 && p.total > 0 ? (p.total - p.done) / rate : Number.NaN;
    const amount =
      p.unit === 'bytes'
        ? `${formatBytes(p.done)}/${formatBytes(p.total)} ${formatBytes(rate)}/s`
        : `${p.done}/${p.total}`;
    const line = `${p.label.padEnd(22).slice(0, 22)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${amount} ETA ${formatDuration(eta)}`;
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.enabled && this.drawn) this.stream.write('\n');
    this.drawn = false;
    this.stage = '';
  }
}
