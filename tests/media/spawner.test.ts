// The spawner helper (media/spawner/): on Linux every tool is started by a small helper process, not by
// the process that holds the inference sessions, and its outputs come back over unix sockets. Real
// processes throughout: the helper, sh, sleep and ffmpeg.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { closeSpawner, spawnTool, spawnerPid, startSpawner } from '../../media/spawner/spawn-tool.ts';
import type { ToolProcess, ToolStdio } from '../../media/spawner/spawn-tool.ts';
import { runTool } from '../../media/spawn.ts';
import { findTool } from '../../media/ffmpeg-binaries.ts';

const linux = process.platform === 'linux';

afterEach(() => {
  delete process.env['FOLEY_SPAWNER'];
});

interface Finished {
  readonly outputs: Buffer[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: NodeJS.ErrnoException;
}

/** Run to 'close', collecting every piped output (fd 1, 2, 3, …). */
function finish(tool: ToolProcess, stdio: readonly ToolStdio[], read: (fd: number, out: Readable) => void = () => undefined): Promise<Finished> {
  const chunks: Buffer[][] = stdio.map(() => []);
  stdio.forEach((s, i) => {
    const out = tool.output(i + 1);
    if (s === 'ignore') assert.equal(out, null);
    else {
      out!.on('data', (c: Buffer) => chunks[i]!.push(c));
      read(i + 1, out!);
    }
  });
  let error: NodeJS.ErrnoException | undefined;
  tool.on('error', (e) => (error = e));
  return new Promise((resolve) =>
    tool.on('close', (code, signal) => resolve({ outputs: chunks.map((c) => Buffer.concat(c)), code, signal, ...(error ? { error } : {}) })),
  );
}

function run(bin: string, args: string[], stdio: ToolStdio[] = ['pipe', 'pipe']): Promise<Finished> {
  return finish(spawnTool(bin, args, stdio, process.env), stdio);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

void test('on Linux tools are started by the spawner helper, a small process of its own; FOLEY_SPAWNER=0 starts them directly', { skip: !linux }, async () => {
  const viaHelper = await run('sh', ['-c', 'echo $PPID']);
  const helper = spawnerPid();
  assert.ok(helper !== undefined && helper !== process.pid);
  assert.equal(Number(viaHelper.outputs[0]!.toString()), helper, 'the tool is the helper\'s child');
  assert.equal(parentOf(helper), process.pid, 'and the helper is ours');
  // Small: it never loads what this process loads (sessions, SQLite); a fork of it stays cheap.
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${helper}/status`, 'utf8'))![1]);
  assert.ok(rssKiB < 120 * 1024, `helper RSS ${rssKiB} KiB`);

  process.env['FOLEY_SPAWNER'] = '0';
  const direct = await run('sh', ['-c', 'echo $PPID']);
  assert.equal(Number(direct.outputs[0]!.toString()), process.pid);
});

void test('every piped descriptor reaches its own stream; exit codes come back', async () => {
  const stdio: ToolStdio[] = ['pipe', 'pipe', 'pipe', 'ignore', 'pipe'];
  const r = await finish(spawnTool('sh', ['-c', 'echo out; echo err >&2; echo three >&3; echo five >&5; exit 3'], stdio, process.env), stdio);
  assert.deepEqual(r.outputs.map((b) => b.toString()), ['out\n', 'err\n', 'three\n', '', 'five\n']);
  assert.equal(r.code, 3);
  assert.equal(r.signal, null);
});

void test('a large output arrives whole and in order through a paused, slow reader', async () => {
  // 24 MiB of numbered lines, far beyond any socket buffer: the tool must block while we pause.
  const script = 'i=0; while [ $i -lt 24 ]; do head -c 1048576 /dev/zero | tr "\\0" "$((i % 10))"; i=$((i+1)); done';
  const stdio: ToolStdio[] = ['pipe', 'pipe'];
  const tool = spawnTool('sh', ['-c', script], stdio, process.env);
  let pauses = 0;
  const r = await finish(tool, stdio, (fd, out) => {
    if (fd !== 1) return;
    out.on('data', () => {
      if (pauses++ % 50 !== 0) return;
      out.pause();
      setTimeout(() => out.resume(), 5);
    });
  });
  assert.equal(r.code, 0);
  const got = r.outputs[0]!;
  assert.equal(got.length, 24 * 2 ** 20);
  const expected = Buffer.concat(Array.from({ length: 24 }, (_, i) => Buffer.alloc(2 ** 20, String(i % 10))));
  assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(expected).digest('hex'));
  assert.ok(pauses > 50);
});

void test('kill stops a running tool, and one killed as soon as it is asked for', async () => {
  const t0 = performance.now();
  const tool = spawnTool('sleep', ['30'], ['pipe', 'pipe'], process.env);
  setTimeout(() => tool.kill('SIGKILL'), 200);
  const r = await finish(tool, ['pipe', 'pipe']);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(performance.now() - t0 < 10_000);
  assert.equal(tool.kill(), false, 'nothing left to kill');

  // Killed at once: the helper either never starts it or kills it in its sleep; it never prints.
  const early = spawnTool('sh', ['-c', 'sleep 5; echo ran'], ['pipe', 'pipe'], process.env);
  early.kill('SIGKILL');
  const e = await finish(early, ['pipe', 'pipe']);
  assert.equal(e.outputs[0]!.toString(), '');
  assert.equal(e.signal, 'SIGKILL');
});

void test('a kill asked for while the helper is still starting reaches the tool', { skip: !linux }, async () => {
  closeSpawner();
  const t0 = performance.now();
  const tool = spawnTool('sleep', ['30'], ['pipe', 'pipe'], process.env);
  assert.equal(spawnerPid(), undefined, 'the helper is not up yet');
  assert.equal(tool.kill('SIGKILL'), true);
  const r = await finish(tool, ['pipe', 'pipe']);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(performance.now() - t0 < 10_000);
});

void test('a tool that cannot start is an error naming why, and runTool says which tool', async () => {
  const r = await run('/nonexistent/ffmpeg', ['-version']);
  assert.equal(r.error?.code, 'ENOENT');
  await assert.rejects(
    runTool('/nonexistent/ffmpeg', ['-version'], { file: 'a.mp4', what: 'probing' }),
    (e: unknown) => e instanceof Error && /a\.mp4/.test(e.message) && /could not start \/nonexistent\/ffmpeg/.test(e.message) && /ENOENT/.test(e.message),
  );
});

void test('ffmpeg through the helper gives the bytes it gives directly', async () => {
  const args = ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-f', 'f32le', '-ac', '1', '-ar', '16000', 'pipe:1'];
  const a = await runTool(findTool('ffmpeg'), args, { file: 'sine', what: 'decoding' });
  process.env['FOLEY_SPAWNER'] = '0';
  const b = await runTool(findTool('ffmpeg'), args, { file: 'sine', what: 'decoding' });
  assert.equal(a.stdout.length, 3 * 16000 * 4);
  assert.ok(a.stdout.equals(b.stdout));
});

void test('startSpawner starts the helper before any tool is asked for (runIndex calls it before loading sessions)', { skip: !linux }, async () => {
  closeSpawner();
  assert.equal(spawnerPid(), undefined);
  startSpawner();
  const t0 = performance.now();
  while (spawnerPid() === undefined && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
  assert.ok(spawnerPid() !== undefined);
  assert.equal(parentOf(spawnerPid()!), process.pid);
});

void test('when the helper dies, its running tools fail with the reason and later ones start directly', { skip: !linux }, async () => {
  closeSpawner();
  await run('true', []);
  const helper = spawnerPid()!;
  const stdio: ToolStdio[] = ['pipe', 'pipe'];
  const sleeping = spawnTool('sh', ['-c', 'echo $$; exec sleep 30'], stdio, process.env);
  let sleeperPid: number | undefined;
  const done = finish(sleeping, stdio, (fd, out) => {
    if (fd === 1) out.once('data', (c: Buffer) => (sleeperPid = Number(c.toString())));
  });
  while (sleeperPid === undefined) await new Promise((r) => setTimeout(r, 20));
  const warnings: string[] = [];
  const onWarning = (w: Error): number => warnings.push(w.message);
  process.on('warning', onWarning);
  process.kill(helper, 'SIGKILL');
  const r = await done;
  assert.match(r.error?.message ?? '', /spawner helper exited/);
  // Its tool does not outlive it: gone, or dead and waiting for init to reap it.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(!alive(sleeperPid!), `tool ${sleeperPid} still runs`);
  const after = await run('sh', ['-c', 'echo $PPID']);
  assert.equal(Number(after.outputs[0]!.toString()), process.pid);
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  assert.ok(warnings.some((w) => /starting ffmpeg directly/.test(w)), warnings.join('; '));
});
