// `foley search --text NAME`: moments ranked by a fine-tuned classifier's probability for a class
// name (core/search/class-search.ts), printed like every search.
import { openLibrary } from '../../core/library/handle.ts';
import { searchByClass } from '../../core/search/class-search.ts';
import { textSearchModel } from '../../core/tagging/tagging-model.ts';
import { printJson } from '../args.ts';

export interface TextSearchOptions {
  readonly dataDir: string;
  /** Default: the tagging model (the default model is usually pretrained, with no classes). */
  readonly model?: string;
  readonly top?: number;
  readonly offset?: number;
  readonly merge: boolean;
  readonly json: boolean;
}

export async function textSearchCommand(text: string, o: TextSearchOptions): Promise<void> {
  const library = openLibrary(o.dataDir);
  try {
    const r = await searchByClass(library, {
      text,
      merge: o.merge,
      model: await textSearchModel(o.dataDir, o.model),
      ...(o.top !== undefined ? { top: o.top } : {}),
      ...(o.offset !== undefined ? { offset: o.offset } : {}),
    });
    if (o.json) {
      printJson(r);
      return;
    }
    console.log(`"${text}" → ${r.query.classes.map((c) => c.name).join(' / ')} (${r.query.model}, names: ${r.query.names})${r.tagged < r.windows ? ` · ${r.tagged} of ${r.windows} windows tagged so far` : ''} · ${r.results.length} results`);
    for (const x of r.results) console.log(`${String(x.rank).padStart(3)}  ${x.score.toFixed(4)}  ${x.class}  ${x.file}  ${x.start.toFixed(1)}–${x.end.toFixed(1)} s`);
    if (r.hasMore) console.log(`more: --offset ${r.offset + r.top}`);
  } finally {
    library.close();
  }
}
