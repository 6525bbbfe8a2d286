import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { JobControl } from '../../core/indexing/control.ts';
import { runIndex } from '../../core/indexing/indexer.ts';
import type { IndexProgress, IndexSummary } from '../../core/indexing/progress.ts';
import { openLibrary } from '../../core/library/handle.ts';
import type { Library } from '../../core/library/handle.ts';
import { resolveModel } from '../../core/models/store.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { listFolders } from '../../core/library/folders.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';
import { formatDuration } from '../progress-bar.ts';
import { taggingModel } from '../../core/tagging/tagging-model.ts';
import type { TagSummary } from '../../core/tagging/tag-library.ts';
import { tagSummaryLine, tagWithProgress } from './tag.ts';
import { MAX_FRAMES_PER_WINDOW } from '../../base/window-plan.ts';
import { FoleyError } from '../../base/errors.ts';

export const INDEX_HELP = `Usage:
  foley index [DIR…] [--model NAME] [--window S] [--hop S] [--frames K] [--watch] [--background] [--retry-failed] [--json]

Indexes the folders (they become library roots; without DIR, every root of the library): every
media file is cut into windows of --window seconds (default 10; --hop for overlap) and each window
gets an audio and a visual embedding. --frames K (1–16) averages K frames per window, at the centres
of K equal parts, into its picture vector (the paper's frame aggregation; default: what the last run
of this model used, 1 at first: the window's middle frame, as the official inference); changing K
re-embeds the pictures of files already indexed. A CAV-MAE Sync model embeds each window as frame-level
moments instead (a picture and its own 4.16-s stretch of sound each): --frames K is then the moments per
window, 1, 2, 4, 8 or 16 (every 16th … every frame of the 0.64-s grid; default 4 on the first run, then
the last), and results point to the frame. Unchanged files are skipped, moved files keep their windows,
deleted files leave the library, files on an unplugged drive are marked offline. A failing file is
recorded with its reason and skipped. When a fine-tuned (tagging) model is installed, the new windows
are then tagged with it (foley tag --help): a second progress bar. Ctrl-C stops after committing
finished files (or tagged windows); run the command again to resume. --watch keeps running and indexes changes as they happen. --background runs at low
priority on one thread.

Options: --data-dir DIR, --provider auto|cpu|cuda|…, --threads N, --batch N, --help`;

function renderProgress(p: IndexProgress): string {
  const frac = p.windowsTotal > 0 ? Math.min(1, p.windowsDone / p.windowsTotal) : 0;
  const width = 24;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  const eta = p.etaSeconds !== null ? formatDuration(p.etaSeconds) : '--:--';
  const current = p.currentFile !== null ? ` ${p.currentFile.length > 40 ? `…${p.currentFile.slice(-39)}` : p.currentFile}` : '';
  return `${p.phase.padEnd(9)} [${bar}] files ${p.filesDone}/${p.filesTotal} windows ${p.windowsDone}/${p.windowsTotal} ${p.windowsPerSecond.toFixed(1)}/s ETA ${eta}${p.filesFailed > 0 ? ` failed ${p.filesFailed}` : ''}${current}`;
}

function printSummary(s: IndexSummary): void {
  console.log(
    `${s.status === 'done' ? 'Indexed' : s.status === 'paused' ? 'Stopped (run again to resume)' : 'Cancelled'}: ${s.indexed} files (${s.windows} windows) in ${s.seconds.toFixed(1)} s on ${s.provider ?? '-'}; ${s.skipped} unchanged, ${s.moved} moved, ${s.removed} removed, ${s.offline} offline, ${s.failed.length} failed${s.damaged.length > 0 ? `, ${s.damaged.length} damaged (indexed in part)` : ''}`,
  );
  for (const f of s.damaged) console.log(`  damaged: ${f.path}: ${f.error}`);
  for (const f of s.failed) console.log(`  failed: ${f.path}: ${f.error}`);
}

/** A watch run's summary, when it changed anything. */
function printChanges(s: IndexSummary): void {
  if (s.indexed + s.moved + s.removed + s.failed.length + s.offline + s.damaged.length > 0) printSummary(s);
}

export async function indexCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      model: { type: 'string' },
      window: { type: 'string' },
      hop: { type: 'string' },
      frames: { type: 'string' },
      batch: { type: 'string' },
      watch: { type: 'boolean' },
      background: { type: 'boolean' },
      'retry-failed': { type: 'boolean' },
      ...RUNTIME_OPTIONS,
    },
    true,
  );
  if (values.help === true) {
    console.log(INDEX_HELP);
    return;
  }
  const frames = numberOption('frames', values.frames, { min: 1, integer: true });
  if (frames !== undefined && frames > MAX_FRAMES_PER_WINDOW) throw new UsageError(`--frames must be at most ${MAX_FRAMES_PER_WINDOW} (got ${frames})`);
  const dataDir = dataDirFrom(values);
  const model = await resolveModel(dataDir, values.model);
  const library = openLibrary(dataDir);
  const window = numberOption('window', values.window, { min: 0.5 });
  const hop = numberOption('hop', values.hop, { min: 0.5 });
  const batchSize = numberOption('batch', values.batch, { min: 1, integer: true });
  const runtime = runtimeFrom(values);
  const json = values.json === true;
  const tty = process.stderr.isTTY === true && !json;
  let control = new JobControl();
  let stopping = false;
  // Tagging follows indexing when a tagging model is installed; Ctrl-C stops either.
  const tagModel = await taggingModel(dataDir);
  const tagAbort = new AbortController();
  const onSigint = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('\nStopping after committing finished files (Ctrl-C again to quit now)…\n');
    control.interrupt();
    tagAbort.abort();
  };
  process.on('SIGINT', onSigint);
  let lastDraw = 0;
  const run = async (roots: readonly string[]): Promise<IndexSummary> => {
    control = new JobControl();
    return runIndex({
      library,
      model,
      roots,
      control,
      ...(window !== undefined ? { window } : {}),
      ...(hop !== undefined ? { hop } : {}),
      ...(frames !== undefined ? { frames } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...runtime,
      ...(values.background === true ? { background: true } : {}),
      ...(values['retry-failed'] === true ? { retryFailed: true } : {}),
      onProgress: (p) => {
        const now = performance.now();
        if (json) {
          if (p.phase !== 'indexing' || now - lastDraw > 1000) process.stderr.write(`${JSON.stringify({ progress: p })}\n`);
        } else if (tty && (now - lastDraw > 100 || p.phase !== 'indexing')) {
          process.stderr.write(`\r${renderProgress(p)}\x1b[K`);
        }
        if (now - lastDraw > 100) lastDraw = now;
      },
      onFailure: (file, error) => {
        if (tty) process.stderr.write(`\r\x1b[Kfailed: ${file}: ${error}\n`);
      },
      // Said once per run (a full disk stops the thumbnails): a line of its own, never a Node warning.
      onNotice: (message) => process.stderr.write(json ? `${JSON.stringify({ notice: message })}\n` : `${tty ? '\r\x1b[K' : ''}${message}\n`),
    }).finally(() => {
      if (tty) process.stderr.write('\n');
    });
  };
  const session = { ...runtime, ...(values.background === true ? { threads: 1 } : {}) };
  /** Tags the windows not tagged yet (a resumed or crashed run's too: they are found by query). */
  const tagNew = async (s: IndexSummary): Promise<TagSummary | null> => {
    if (tagModel === undefined || s.status !== 'done' || stopping) return null;
    try {
      return await tagWithProgress(library, tagModel, { session, json, signal: tagAbort.signal });
    } catch (e) {
      // `foley serve` or another `foley tag` is tagging this library now: it will tag these windows too.
      if (!(e instanceof FoleyError && e.code === 'conflict')) throw e;
      process.stderr.write(json ? `${JSON.stringify({ notice: e.message })}\n` : `${e.message}\n`);
      return null;
    }
  };
  const runAndTag = async (roots: readonly string[], print: (s: IndexSummary) => void): Promise<IndexSummary> => {
    const s = await run(roots);
    if (!json) print(s);
    const tagged = await tagNew(s);
    if (json) printJson(tagged === null ? s : { ...s, tagging: tagged });
    else if (tagged !== null && (tagged.tagged > 0 || tagged.status !== 'done')) console.log(tagSummaryLine(tagged));
    return s;
  };
  try {
    const first = await runAndTag(positionals, printSummary);
    if (values.watch === true && first.status === 'done') await watchLoop(library, model, (roots) => runAndTag(roots, printChanges), () => stopping, json);
  } finally {
    process.off('SIGINT', onSigint);
    library.close();
    await releaseEncoders();
  }
}

/** Re-runs the (incremental) index a few seconds after files change under any root, until Ctrl-C. */
async function watchLoop(
  library: Library,
  _model: InstalledModel,
  run: (roots: readonly string[]) => Promise<IndexSummary>,
  stopped: () => boolean,
  json: boolean,
): Promise<void> {
  const roots = listFolders(library).map((r) => r.path);
  let dirty = false;
  let wake: (() => void) | undefined;
  const watchers: FSWatcher[] = [];
  for (const root of roots) {
    try {
      watchers.push(
        watch(root, { recursive: true }, () => {
          dirty = true;
          wake?.();
        }),
      );
    } catch {
      // A root on a drive that is not mounted: the next run marks its files offline.
    }
  }
  if (!json) console.log(`Watching ${roots.length} folder(s) for changes (Ctrl-C to stop)…`);
  try {
    while (!stopped()) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
      if (!dirty) continue;
      // Let a copy or a burst of renames finish before looking.
      do {
        dirty = false;
        await new Promise((r) => setTimeout(r, 2000));
      } while (dirty && !stopped());
      if (stopped()) break;
      await run([]);
    }
  } finally {
    for (const w of watchers) w.close();
  }
}
