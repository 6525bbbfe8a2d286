// spawnTool: how every ffmpeg and ffprobe of Foley starts. On Linux through the spawner helper
// (host.ts says why: forking a process that holds the inference sessions costs the inference threads
// ≈230 ms of CPU per spawn); elsewhere — macOS's libuv uses posix_spawn, Windows CreateProcess —
// and with FOLEY_SPAWNER=0, directly. A helper that cannot start or dies is reported once on stderr, and
// tools start directly from then on.
import { SpawnerClient } from './client.ts';
import type { ToolStdio } from './protocol.ts';
import { ToolRun, spawnDirect } from './tool-process.ts';
import type { ToolProcess } from './tool-process.ts';

export type { ToolProcess } from './tool-process.ts';
export type { ToolStdio } from './protocol.ts';

let client: SpawnerClient | undefined;
let starting: Promise<SpawnerClient | undefined> | undefined;
let disabled: string | undefined;

export function spawnerWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.platform === 'linux' && env['FOLEY_SPAWNER'] !== '0' && disabled === undefined;
}

function helper(): SpawnerClient | Promise<SpawnerClient | undefined> | undefined {
  if (client !== undefined && client.gone === undefined) return client;
  if (client !== undefined) {
    // It died: say so once, and start tools directly from now on rather than restart a helper that
    // may die again mid-run.
    disabled = client.gone;
    process.emitWarning(`foley: ${disabled}; starting ffmpeg directly from now on`);
    client = undefined;
    return undefined;
  }
  starting ??= SpawnerClient.start().then(
    (c) => {
      client = c;
      starting = undefined;
      return c;
    },
    (e: unknown) => {
      disabled = e instanceof Error ? e.message : String(e);
      process.emitWarning(`foley: ${disabled}; starting ffmpeg directly`);
      starting = undefined;
      return undefined;
    },
  );
  return starting;
}

/**
 * Start `bin args` with stdin ignored and `stdio` for fd 1, 2, 3, …. Never throws: a tool that cannot
 * start emits 'error' (then 'close').
 */
export function spawnTool(bin: string, args: readonly string[], stdio: readonly ToolStdio[], env: NodeJS.ProcessEnv): ToolProcess {
  const run = new ToolRun(stdio);
  const via = spawnerWanted() ? helper() : undefined;
  if (via instanceof SpawnerClient) via.spawn(run, bin, args, env);
  else if (via === undefined) spawnDirect(run, bin, args, env);
  // The helper is starting: the tool starts when it is ready, or directly if it never is.
  else void via.then((c) => (c === undefined || c.gone !== undefined ? spawnDirect(run, bin, args, env) : c.spawn(run, bin, args, env)));
  return run;
}

/**
 * Start the helper now if it will be wanted: before a run loads its sessions, the one fork the helper
 * costs is a small process's.
 */
export function startSpawner(): void {
  if (spawnerWanted() && client === undefined) void helper();
}

/** Stop this process's helper (tests; the helper also exits by itself when this process does). */
export function closeSpawner(): void {
  client?.close();
  client = undefined;
}

/** The helper's pid while one runs (tests). */
export function spawnerPid(): number | undefined {
  return client?.gone === undefined ? client?.pid : undefined;
}
