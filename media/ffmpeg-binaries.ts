// Where ffmpeg and ffprobe live: $FOLEY_FFMPEG / $FOLEY_FFPROBE first (a bundled or custom build),
// then PATH. Resolved once per process; a missing tool is a MediaError that says how to install it.
// And the environment they run in (toolEnv).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MediaError } from '../base/errors.ts';

export type FfmpegTool = 'ffmpeg' | 'ffprobe';

const ENV: Record<FfmpegTool, string> = { ffmpeg: 'FOLEY_FFMPEG', ffprobe: 'FOLEY_FFPROBE' };
const INSTALL_HINT =
  'install ffmpeg (it includes ffprobe): Debian/Ubuntu `sudo apt-get install ffmpeg`, macOS `brew install ffmpeg`, ' +
  'Windows `winget install Gyan.FFmpeg`; or point FOLEY_FFMPEG / FOLEY_FFPROBE at the executables';

const cache = new Map<FfmpegTool, string>();

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    // Windows has no execute bit; existence of the .exe is the check there.
    if (process.platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchPath(name: string): string | undefined {
  const exts = process.platform === 'win32' ? (process.env['PATHEXT'] ?? '.EXE').split(';').filter(Boolean) : [''];
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext.toLowerCase());
      if (isExecutable(candidate)) return candidate;
      if (ext && isExecutable(join(dir, name + ext))) return join(dir, name + ext);
    }
  }
  return undefined;
}

/** Absolute path of ffmpeg or ffprobe, or a MediaError explaining how to get it. */
export function findTool(tool: FfmpegTool): string {
  const cached = cache.get(tool);
  if (cached !== undefined) return cached;
  const fromEnv = process.env[ENV[tool]];
  let found: string | undefined;
  if (fromEnv) {
    // An explicit setting that is wrong should fail loudly rather than silently fall back to PATH.
    if (!isExecutable(fromEnv)) throw new MediaError(undefined, `${ENV[tool]}=${fromEnv} is not an executable file; ${INSTALL_HINT}`, undefined, 'failed');
    found = fromEnv;
  } else {
    found = searchPath(tool);
  }
  if (found === undefined) throw new MediaError(undefined, `${tool} was not found on PATH; ${INSTALL_HINT}`, undefined, 'failed');
  cache.set(tool, found);
  return found;
}

/**
 * The environment ffmpeg and ffprobe are spawned with: ours, plus glibc's malloc asked for transparent huge
 * pages (GLIBC_TUNABLES glibc.malloc.hugetlb=1, glibc ≥ 2.35; others ignore it, as do non-glibc builds and
 * other systems). Why: a frame-group ffmpeg (media/frame-group.ts) opens one decoder per frame, and most of
 * its CPU was page faults on freshly allocated, zeroed buffers (perf: kernel page-fault paths 25 %, memset
 * 10 %), 4 KiB at a time where THP is "madvise" (Debian's and Ubuntu's default). Measured by hand under
 * /usr/bin/time on this 2-core machine: 16 pictures of the 640×360 index corpus 0.79 → 0.53 s CPU (0.67×),
 * 8 pictures at 1080p 1.52 → 1.19 s (0.78×), outputs byte-identical; bench/ffmpeg-env.bench.ts measures it.
 * A hugetlb the user set is kept; FOLEY_FFMPEG_HUGEPAGES=0 leaves the environment as it is.
 */
export function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (process.platform !== 'linux' || env['FOLEY_FFMPEG_HUGEPAGES'] === '0') return env;
  const tunables = env['GLIBC_TUNABLES'] ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return env;
  return { ...env, GLIBC_TUNABLES: tunables === '' ? 'glibc.malloc.hugetlb=1' : `${tunables}:glibc.malloc.hugetlb=1` };
}

/** Forget resolved paths (tests that change the environment). */
export function resetToolCache(): void {
  cache.clear();
}
