import { readFileSync } from 'node:fs';
// Small figures the benches share.

/** The p-quantile (0–1) of xs, nearest rank, to 3 decimals. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3));
}

/** This process's CPU seconds so far (user + system, every thread). */
export function cpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * CPU milliseconds (user + system) of this process's children that have exited (ffmpeg, ffprobe), from
 * /proc/self/stat's cutime and cstime; undefined off Linux.
 */
export function childrenCpuMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the ")" that closes the command name: state is field 3, cutime 16 and cstime 17, in USER_HZ (100) ticks.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}
