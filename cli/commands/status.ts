import { openLibrary } from '../../core/library/handle.ts';
import { libraryStatus } from '../../core/status.ts';
import { taggingStatus } from '../../core/tagging/status.ts';
import type { TaggingStatus } from '../../core/tagging/status.ts';
import { dataDirFrom, parse, printJson } from '../args.ts';
import { EXACT_MAX_VECTORS, PROJECT_FROM_VECTORS } from '../../core/search/engine.ts';

export const STATUS_HELP = `Usage: foley status [--json]

Files by state (indexed, pending, failed, offline), windows and hours indexed, models with their
vector counts, index sizes and the execution providers that made them, recent jobs, and every
failed file with its reason; damaged files (indexed for their intact part) with what was wrong and
what was indexed; the tagging model, how it tags (mode, pictures per window), how many windows it has
tagged and what a window cost in its last run ("tagging" in --json, null without a tagging model).`;

/** "Tagging: as2m-av (multimodal, 10 pictures averaged) 120/400 windows, 35.2 ms a window, running". */
export function taggingLine(t: TaggingStatus): string {
  const how = t.recipe.mode === 'audioonly' ? 'audioonly' : `${t.recipe.mode}, ${t.recipe.frames} picture${t.recipe.frames === 1 ? '' : 's'}${t.recipe.frames > 1 ? ' averaged' : ''}`;
  const cost = t.msPerWindow !== null ? `, ${t.msPerWindow.toFixed(1)} ms a window` : '';
  const other = t.modes.filter((m) => m.mode !== t.recipe.mode || m.frames !== t.recipe.frames).map((m) => `${m.windows} ${m.mode}/${m.frames}`);
  return `Tagging: ${t.model} (${how}) ${t.tagged}/${t.windows} windows${other.length > 0 ? ` (of which ${other.join(', ')})` : ''}${cost}${t.running ? ', running' : ''}`;
}

export async function statusCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, {});
  if (values.help === true) {
    console.log(STATUS_HELP);
    return;
  }
  const library = openLibrary(dataDirFrom(values));
  try {
    const s = libraryStatus(library);
    const tagging = await taggingStatus(library);
    if (values.json === true) {
      printJson({ ...s, tagging });
      return;
    }
    console.log(`Library in ${s.dataDir}`);
    for (const r of s.roots) console.log(`  ${r.online ? ' ' : '!'} ${r.path} (${r.files} files${r.online ? '' : ', offline'})`);
    const damaged = s.files.damaged > 0 ? ` (${s.files.damaged} of them damaged)` : '';
    console.log(`Files: ${s.files.total} (${s.files.indexed} indexed${damaged}, ${s.files.pending} pending, ${s.files.failed} failed, ${s.files.offline} offline)`);
    console.log(`Windows: ${s.windows} (${s.hours.toFixed(2)} h)`);
    for (const m of s.models) {
      const idx = m.indexes.map((i) => `${i.modality} ${i.vectors} vectors ${(i.bytes / 2 ** 20).toFixed(1)} MiB${i.kind === 'int8-scan' ? ' (int8 scan)' : ''}`).join(', ');
      const frames = m.frames
        .map((f) => (m.frameLevel ? `${f.visualVectors} with ${f.frames} moment${f.frames === 1 ? '' : 's'}` : `${f.visualVectors} with ${f.frames} frame${f.frames === 1 ? '' : 's'}`))
        .join(', ');
      // A frame-level model (CAV-MAE Sync) stores one row of frame vectors per window.
      const what = m.frameLevel ? `${m.audioVectors} sound + ${m.visualVectors} picture windows of frame vectors` : `${m.audioVectors} audio + ${m.visualVectors} visual vectors`;
      console.log(`Model ${m.name} (${m.precision}, D=${m.dim}, ran on ${m.providers.join(', ') || '-'}): ${what}${frames !== '' ? ` (${frames})` : ''}; index ${idx || unstored(Math.max(m.audioVectors, m.visualVectors))}`);
    }
    if (tagging !== null) console.log(taggingLine(tagging));
    for (const j of s.jobs.slice(0, 3)) console.log(`Job ${j.id} ${j.kind}: ${j.status} ${j.done}/${j.total ?? '?'}${j.error !== null ? ` (${j.error})` : ''}`);
    if (s.damaged.length > 0) console.log('Damaged files (indexed in part):');
    for (const f of s.damaged) console.log(`  ${f.path}: ${f.error}`);
    if (s.failures.length > 0) console.log('Failed files:');
    for (const f of s.failures) console.log(`  ${f.path}: ${f.error}`);
  } finally {
    library.close();
  }
}

/** What searches a collection that has no stored graph, by its size (core/search/engine.ts picks the same way). */
export function unstored(vectors: number): string {
  if (vectors <= EXACT_MAX_VECTORS) return 'none needed (searched exactly)';
  if (vectors >= PROJECT_FROM_VECTORS) return 'int8 scan, built from the vectors when first searched';
  return 'not built';
}
