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
