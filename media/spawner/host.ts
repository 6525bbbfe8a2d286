// The spawner helper: a small Node process that starts ffmpeg and ffprobe for the process that forked it
// (client.ts). Why a helper: on Linux libuv starts a child with fork(), and forking the indexing process
// (≈1.5 GB: the inference lanes' sessions) copies its page tables and write-protects all of its memory;
// every page the inference threads then write faults once more. Measured (one lane, a trivial `true`
// spawned every 5 encoder pairs): 3,300 page faults and +46 ms of inference CPU per pair, ≈230 ms per
// spawn, on top of the fork's own 32 ms. This process stays ≈50 MB, so its forks cost what a small
// process's do, and the big one is never forked.
//
// Started with the client's socket path as its argument and the token in FOLEY_SPAWNER_TOKEN. Each
// request's piped descriptors become connections to that socket (header first), handed to the tool as
// its stdio; this process keeps no copy, so the tool's output reaches the client directly and the client
// sees end-of-file when the tool exits. When the client goes away, its tools are killed and this exits.
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import net from 'node:net';
import { encodeHeader } from './protocol.ts';
import type { HostReport, HostRequest, SpawnRequest } from './protocol.ts';

const socketPath = process.argv[2];
const token = Buffer.from(process.env['FOLEY_SPAWNER_TOKEN'] ?? '', 'hex');
delete process.env['FOLEY_SPAWNER_TOKEN'];
if (socketPath === undefined || token.length === 0 || process.send === undefined) {
  console.error('foley spawner: start me through media/spawner/client.ts');
  process.exit(2);
}

const running = new Map<number, ChildProcess>();
/** Spawns still connecting their outputs, and kills asked for meanwhile. */
const connecting = new Set<number>();
const killFirst = new Map<number, NodeJS.Signals>();

function report(r: HostReport): void {
  process.send?.(r);
}

function connect(id: number, fd: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath!);
    socket.once('error', reject);
    socket.once('connect', () => {
      // The header must be in the socket before the tool can write after it.
      socket.write(encodeHeader(token, id, fd), (err) => (err ? reject(err) : resolve(socket)));
    });
  });
}

async function start(req: SpawnRequest): Promise<void> {
  connecting.add(req.id);
  const early = (): NodeJS.Signals | undefined => {
    const signal = killFirst.get(req.id);
    killFirst.delete(req.id);
    connecting.delete(req.id);
    return signal;
  };
  const opened = await Promise.allSettled(req.stdio.map((s, i) => (s === 'pipe' ? connect(req.id, i + 1) : Promise.resolve(undefined))));
  const sockets = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed !== undefined) {
    early();
    for (const s of sockets) s?.destroy();
    report({ type: 'error', id: req.id, message: `could not connect its output: ${String(failed.reason)}` });
    return;
  }
  const killed = early();
  if (killed !== undefined) {
    // Killed before it started: it never runs.
    for (const s of sockets) s?.destroy();
    report({ type: 'exit', id: req.id, code: null, signal: killed });
    return;
  }
  const stdio: StdioOptions = ['ignore', ...sockets.map((s) => s ?? 'ignore')];
  let child: ChildProcess;
  try {
    child = spawn(req.bin, [...req.args], { stdio, env: req.env, windowsHide: true });
  } catch (e) {
    for (const s of sockets) s?.destroy();
    report({ type: 'error', id: req.id, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
    return;
  }
  // The tool holds its own copies now; ours would keep the client from seeing end-of-file.
  for (const s of sockets) s?.destroy();
  running.set(req.id, child);
  child.once('error', (e: NodeJS.ErrnoException) => {
    running.delete(req.id);
    report({ type: 'error', id: req.id, message: e.message, code: e.code });
  });
  child.once('exit', (code, signal) => {
    running.delete(req.id);
    report({ type: 'exit', id: req.id, code, signal });
  });
  if (child.pid !== undefined) report({ type: 'spawned', id: req.id, pid: child.pid });
}

process.on('message', (msg: HostRequest) => {
  if (msg.type === 'spawn') {
    void start(msg);
  } else if (msg.type === 'kill') {
    const child = running.get(msg.id);
    if (child !== undefined) child.kill(msg.signal);
    else if (connecting.has(msg.id)) killFirst.set(msg.id, msg.signal);
  }
});

process.on('disconnect', () => {
  for (const child of running.values()) child.kill('SIGKILL');
  process.exit(0);
});

report({ type: 'ready' });
