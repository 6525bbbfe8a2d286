import { readFileSync } from 'node:fs';
import { spawnerPid } from '../media/spawner/spawn-tool.ts';
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
 * CPU milliseconds (user + system) of the tools this process started that have exited (ffmpeg, ffprobe):
 * /proc/self/stat's cutime and cstime, plus the spawner helper's (media/spawner/), which starts them on
 * Linux — its own CPU and that of the tools it has reaped. Undefined off Linux.
 */
export function childrenCpuMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const fields = (file: string): string[] => {
    const stat = readFileSync(file, 'utf8');
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15, cutime 16
    // and cstime 17, in USER_HZ (100) ticks.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  const own = fields('/proc/self/stat');
  let ms = (Number(own[13]) + Number(own[14])) * 10;
  const helper = spawnerPid();
  if (helper !== undefined) {
    try {
      const f = fields(`/proc/${helper}/stat`);
      ms += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
    } catch {
      // It exited between the two reads; then its CPU is in our cutime.
    }
  }
  return ms;
}
