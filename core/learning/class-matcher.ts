// Type-ahead over class names: what the user types ("dog", "barks", "man speak") against every name
// a class answers to. A class's name is split at commas into synonyms (the AudioSet ontology writes
// them so: "Male speech, man speaking"); a parenthesised qualifier ("Whimper (dog)") is not part of
// the name but relates it to the word. Case, accents and English plurals are ignored, and the last
// word typed may be unfinished. A class whose name matches brings its ontology children along
// ("dog" → Dog, then Bark, Yip, Howl, …), because people type the source, not the sound's own name.
// Pure: no I/O, so the app can run it on every key press.

export interface MatchableClass {
  readonly index: number;
  readonly name: string;
  /** Indices of classes under this one (AudioSet ontology); none for a flat list. */
  readonly children?: readonly number[];
}

/** exact: a synonym is what was typed; prefix: a synonym starts with it; words: its words are all in a synonym; related: under a matching class, or named in a qualifier. */
export type MatchKind = 'exact' | 'prefix' | 'words' | 'related';

export interface ClassMatch {
  readonly index: number;
  readonly name: string;
  readonly kind: MatchKind;
  /** The synonym that matched, or for `related` the parent class (or qualifier) that did. */
  readonly matched: string;
}

const RANK: Readonly<Record<MatchKind, number>> = { exact: 0, prefix: 1, words: 2, related: 3 };
const IRREGULAR: Readonly<Record<string, string>> = { geese: 'goose', mice: 'mouse', teeth: 'tooth', feet: 'foot', children: 'child', men: 'man', women: 'woman', people: 'person' };

/** The forms a word may stand for, plurals undone; two words match when their forms meet. */
function forms(word: string): string[] {
  const out = [word];
  const irregular = IRREGULAR[word];
  if (irregular !== undefined) out.push(irregular);
  if (word.length > 3 && word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  if (word.length > 3 && word.endsWith('es')) out.push(word.slice(0, -2));
  if (word.length > 2 && word.endsWith('s') && !/(ss|us|is|as)$/.test(word)) out.push(word.slice(0, -1));
  return out;
}

/** Lower case, accents dropped, split at anything that is not a letter or digit. */
function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

interface Term {
  readonly text: string;
  /** Each word's forms. */
  readonly words: readonly (readonly string[])[];
}

interface Entry {
  readonly cls: MatchableClass;
  readonly terms: readonly Term[];
  readonly qualifiers: readonly Term[];
}

const term = (text: string): Term => ({ text, words: words(text).map(forms) });

function entryOf(cls: MatchableClass): Entry {
  const terms: Term[] = [];
  const qualifiers: Term[] = [];
  for (const part of cls.name.split(',')) {
    const bare = part.replace(/\([^)]*\)/g, ' ').trim();
    if (bare !== '') terms.push(term(bare));
    for (const q of part.matchAll(/\(([^)]*)\)/g)) qualifiers.push(term(q[1]!));
  }
  return { cls, terms, qualifiers };
}

interface Query {
  /** Forms of each whole word typed. */
  readonly whole: readonly (readonly string[])[];
  /** Forms of the last word, which may be unfinished. */
  readonly last: readonly string[];
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.some((f) => b.includes(f));
const startsWith = (termWord: readonly string[], typed: readonly string[]): boolean => termWord.some((f) => typed.some((t) => f.startsWith(t)));

/** How a synonym matches what was typed, if it does. */
function matchTerm(t: Term, q: Query): 'exact' | 'prefix' | 'words' | undefined {
  const n = q.whole.length;
  const all = [...q.whole, q.last];
  if (t.words.length === all.length && all.every((w, i) => same(w, t.words[i]!))) return 'exact';
  if (t.words.length > n && q.whole.every((w, i) => same(w, t.words[i]!)) && startsWith(t.words[n]!, q.last)) return 'prefix';
  // Every word typed, in any order, on a different word of the synonym.
  const free = new Set(t.words.keys());
  const take = (ok: (w: readonly string[]) => boolean): boolean => {
    for (const i of free) {
      if (ok(t.words[i]!)) {
        free.delete(i);
        return true;
      }
    }
    return false;
  };
  if (q.whole.every((w) => take((tw) => same(w, tw))) && take((tw) => startsWith(tw, q.last))) return 'words';
  return undefined;
}

/** Builds the matcher for one class list (once per list; each query is then a scan of its names). */
export function createClassMatcher(classes: readonly MatchableClass[]): (typed: string, limit?: number) => ClassMatch[] {
  const entries = classes.map(entryOf);
  const byIndex = new Map(entries.map((e) => [e.cls.index, e]));
  return (typed, limit = 20) => {
    const typedWords = words(typed);
    const lastWord = typedWords.pop();
    if (lastWord === undefined) return [];
    const q: Query = { whole: typedWords.map(forms), last: forms(lastWord) };
    const best = new Map<number, ClassMatch & { order: number }>();
    const offer = (m: ClassMatch, order: number): void => {
      const had = best.get(m.index);
      if (had === undefined || RANK[m.kind] < RANK[had.kind] || (RANK[m.kind] === RANK[had.kind] && order < had.order)) best.set(m.index, { ...m, order });
    };
    for (const e of entries) {
      for (const t of e.terms) {
        const kind = matchTerm(t, q);
        // Shorter synonyms first within a kind: "Dog" before "Dog house" when both start with "dog".
        if (kind !== undefined) offer({ index: e.cls.index, name: e.cls.name, kind, matched: t.text }, t.text.length);
      }
      for (const t of e.qualifiers) if (matchTerm(t, q) !== undefined) offer({ index: e.cls.index, name: e.cls.name, kind: 'related', matched: t.text }, 1e6);
    }
    // Children of the classes matched by name, in the order their parents ranked, then as listed.
    const parents = [...best.values()].filter((m) => m.kind === 'exact' || m.kind === 'prefix').sort(compare);
    parents.forEach((p, rank) => {
      (byIndex.get(p.index)?.cls.children ?? []).forEach((child, i) => {
        const c = byIndex.get(child);
        if (c !== undefined) offer({ index: child, name: c.cls.name, kind: 'related', matched: p.name }, rank * 1000 + i);
      });
    });
    return [...best.values()].sort(compare).slice(0, limit).map(({ index, name, kind, matched }) => ({ index, name, kind, matched }));
  };
}

function compare(a: ClassMatch & { order: number }, b: ClassMatch & { order: number }): number {
  return RANK[a.kind] - RANK[b.kind] || a.order - b.order || a.index - b.index;
}
