// `foley tag`: tags the windows of the library that the tagging model has not tagged yet
// (core/tagging/tag-library.ts). `foley index` does the same after indexing; this is for a library
// indexed before a tagging model was installed, or another --frames K.
import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { openLibrary } from '../../core/library/handle.ts';
import { tagLibrary } from '../../core/tagging/tag-library.ts';
import type { TagProgress, TagSession, TagSummary } from '../../core/tagging/tag-library.ts';
import { taggingModel } from '../../core/tagging/tagging-model.ts';
import type { Library } from '../../core/library/handle.ts';
import type { InstalledModel } from '../../core/models/store.ts';
import { MAX_FRAMES_PER_WINDOW } from '../../base/window-plan.ts';
import { FoleyError } from '../../base/errors.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';
import { formatDuration } from '../progress-bar.ts';

export const TAG_HELP = `Usage: foley tag [--model NAME] [--frames K] [--json]

Tags every window of the library that the tagging model has not tagged yet: stores the logits of its
classifier per window, so that any class can rank every window (foley search --text, foley tags).
The tagging model is the best installed fine-tuned one (official AudioSet audio-visual first), or
--model. Official files follow their published recipe (*-audio: sound alone; as2m-av, vggsound-av:
10 pictures per window, probabilities averaged); other checkpoints see the window's middle picture,
or K pictures at start + (i + 0.5)·W/K with --frames K (1–16). foley index tags new windows itself
when a tagging model is installed. Ctrl-C stops; run again to go on.

Options: --data-dir DIR, --provider auto|cpu|cuda|…, --threads N, --help`;

export function renderTagProgress(p: TagProgress): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const width = 24;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  const eta = p.etaSeconds !== null ? formatDuration(p.etaSeconds) : '--:--';
  return `${'tagging'.padEnd(9)} [${bar}] windows ${p.done}/${p.total} ${p.windowsPerSecond.toFixed(1)}/s ETA ${eta}`;
}

export function tagSummaryLine(s: TagSummary): string {
  const how = `${s.recipe.mode}${s.recipe.frames > 1 ? `, ${s.recipe.frames} pictures` : ''}`;
  const cost = s.msPerWindow !== null ? `, ${s.msPerWindow.toFixed(1)} ms a window` : '';
  return `${s.status === 'done' ? 'Tagged' : 'Stopped tagging (run again to go on)'}: ${s.tagged} windows with ${s.model} (${how}) in ${s.seconds.toFixed(1)} s${cost}${s.failed.length > 0 ? `; ${s.failed.length} files failed` : ''}`;
}

/**
 * Tags with a progress bar on stderr (a JSON line a second with --json). Ctrl-C stops it, unless the
 * caller passes its own `signal` (foley index, whose Ctrl-C handler stops both).
 */
export async function tagWithProgress(library: Library, model: InstalledModel, options: { frames?: number; session: TagSession; json: boolean; signal?: AbortSignal }): Promise<TagSummary> {
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\nStopping tagging (the windows tagged so far are kept)…\n');
    abort.abort();
  };
  if (options.signal === undefined) process.on('SIGINT', onSigint);
  const tty = process.stderr.isTTY === true && !options.json;
  let lastDraw = 0;
  try {
    return await tagLibrary(library, model, {
      ...(options.frames !== undefined ? { frames: options.frames } : {}),
      session: options.session,
      signal: options.signal ?? abort.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastDraw < (options.json ? 1000 : 100) && p.done < p.total) return;
        lastDraw = now;
        if (options.json) process.stderr.write(`${JSON.stringify({ tagging: p })}\n`);
        else if (tty) process.stderr.write(`\r${renderTagProgress(p)}\x1b[K`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) process.stderr.write('\n');
  }
}

export async function tagCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, { model: { type: 'string' }, frames: { type: 'string' }, ...RUNTIME_OPTIONS });
  if (values.help === true) {
    console.log(TAG_HELP);
    return;
  }
  const frames = numberOption('frames', values.frames, { min: 1, integer: true });
  if (frames !== undefined && frames > MAX_FRAMES_PER_WINDOW) throw new UsageError(`--frames must be at most ${MAX_FRAMES_PER_WINDOW} (got ${frames})`);
  const dataDir = dataDirFrom(values);
  const model = await taggingModel(dataDir, values.model);
  if (model === undefined) throw new FoleyError('no installed model can tag: install a fine-tuned checkpoint (e.g. foley model download as2m-av)', { code: 'not_found' });
  const library = openLibrary(dataDir);
  try {
    const json = values.json === true;
    const summary = await tagWithProgress(library, model, { ...(frames !== undefined ? { frames } : {}), session: runtimeFrom(values), json });
    if (json) printJson(summary);
    else console.log(tagSummaryLine(summary));
  } finally {
    library.close();
    await releaseEncoders();
  }
}
