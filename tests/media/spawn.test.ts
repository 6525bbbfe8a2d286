import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaError } from '../../base/errors.ts';
import { findTool, resetToolCache, toolEnv } from '../../media/ffmpeg-binaries.ts';
import { lastErrorLine, runTool } from '../../media/spawn.ts';

const savedPath = process.env['PATH'];
afterEach(() => {
  delete process.env['FOLEY_FFMPEG'];
  delete process.env['FOLEY_FFPROBE'];
  process.env['PATH'] = savedPath;
  resetToolCache();
});

void test('finds ffmpeg and ffprobe on PATH, or via FOLEY_FFMPEG', () => {
  assert.match(findTool('ffmpeg'), /ffmpeg(\.exe)?$/);
  assert.match(findTool('ffprobe'), /ffprobe(\.exe)?$/);
  resetToolCache();
  process.env['FOLEY_FFMPEG'] = '/usr/bin/ffmpeg';
  assert.equal(findTool('ffmpeg'), '/usr/bin/ffmpeg');
});

void test('a missing ffmpeg explains how to install it', () => {
  process.env['PATH'] = '/nonexistent';
  assert.throws(() => findTool('ffmpeg'), (e: unknown) => e instanceof MediaError && /apt-get install ffmpeg/.test(e.message) && /brew/.test(e.message) && /winget/.test(e.message));
  process.env['FOLEY_FFPROBE'] = '/nonexistent/ffprobe';
  assert.throws(() => findTool('ffprobe'), (e: unknown) => e instanceof MediaError && /FOLEY_FFPROBE/.test(e.message));
});

void test('timeout kills a long ffmpeg run with SIGKILL and says so', async () => {
  const t0 = Date.now();
  await assert.rejects(
    runTool(findTool('ffmpeg'), ['-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'sine=d=3600', '-f', 'null', '-'], {
      file: 'long.wav',
      what: 'decoding audio',
      timeoutMs: 300,
    }),
    (e: unknown) => e instanceof MediaError && e.message === 'long.wav: decoding audio timed out after 0.3 s',
  );
  assert.ok(Date.now() - t0 < 5000);
});

void test('non-zero exit reports the last ffmpeg error line, without the pointer noise', async () => {
  await assert.rejects(
    runTool(findTool('ffmpeg'), ['-nostdin', '-v', 'error', '-i', '/nonexistent/x.mp4', '-f', 'null', '-'], { file: '/nonexistent/x.mp4', what: 'decoding' }),
    (e: unknown) => e instanceof MediaError && /decoding failed: No such file or directory/.test(e.message),
  );
  assert.equal(lastErrorLine('a\n[mov,mp4,m4a @ 0x55d0a1b2c3d0] moov atom not found\nf.mp4: Invalid data\n', 'f.mp4'), 'Invalid data');
  assert.equal(lastErrorLine('[mov,mp4 @ 0x55d0a1b2c3d0] moov atom not found\n'), '[mov,mp4] moov atom not found');
});

void test('a throwing stdout consumer stops the run', async () => {
  await assert.rejects(
    runTool(findTool('ffmpeg'), ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'sine=d=60', '-f', 'f32le', 'pipe:1'], {
      file: 's.wav',
      what: 'decoding audio',
      onStdout: () => {
        throw new Error('enough');
      },
    }),
    (e: unknown) => e instanceof MediaError && /stopped: enough/.test(e.message),
  );
});

void test('an aborted signal cancels', async () => {
  const ac = new AbortController();
  const p = runTool(findTool('ffmpeg'), ['-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'sine=d=60', '-f', 'null', '-'], {
    file: 's.wav',
    what: 'decoding audio',
    signal: ac.signal,
  });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(p, (e: unknown) => e instanceof MediaError && /cancelled/.test(e.message));
});

void test('ffmpeg runs with glibc malloc on huge pages; a tunable the user set is kept; FOLEY_FFMPEG_HUGEPAGES=0 turns it off', async (t) => {
  if (process.platform !== 'linux') {
    t.skip('glibc tunables are Linux only');
    return;
  }
  assert.equal(toolEnv({}).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
  assert.equal(toolEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  assert.equal(toolEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0');
  assert.equal(toolEnv({ FOLEY_FFMPEG_HUGEPAGES: '0' }).GLIBC_TUNABLES, undefined);
  // What a spawned tool really gets (env(1) prints it), through the same runTool ffmpeg and ffprobe use.
  const seen = async (): Promise<string | undefined> =>
    (await runTool('/usr/bin/env', [], { file: 'env', what: 'printing the environment' })).stdout
      .toString()
      .split('\n')
      .find((l) => l.startsWith('GLIBC_TUNABLES='));
  assert.match((await seen()) ?? '', /^GLIBC_TUNABLES=(.+:)?glibc\.malloc\.hugetlb=/);
  process.env['FOLEY_FFMPEG_HUGEPAGES'] = '0';
  try {
    const own = process.env['GLIBC_TUNABLES'];
    assert.equal(await seen(), own === undefined ? undefined : `GLIBC_TUNABLES=${own}`);
  } finally {
    delete process.env['FOLEY_FFMPEG_HUGEPAGES'];
  }
});
