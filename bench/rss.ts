// Peak resident memory of this process image, for benches that isolate a measurement in a child.
// Not getrusage's maxrss: on Linux it survives fork+exec, so a child reports its parent's peak when
// that was higher (the model bench's parent builds ~700 MB of graphs). VmHWM belongs to this image.
import { readFileSync } from 'node:fs';

export function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // Not Linux: the best there is.
  }
  return process.resourceUsage().maxRSS / 1024;
}
