// The search bar's type-ahead, without the DOM (the unit tests run it under Node): when to ask, what an
// option says besides its name, how the arrow keys move, and what Enter does when no option is active.
import type { NameSuggestion, NameSuggestions } from '../../core/api/contract.ts';

/** Fewer characters than this match too much to be worth a list. */
export const MIN_CHARS = 2;
/** Quiet time after a key press before asking: one call per pause, not per key. */
export const DEBOUNCE_MS = 120;
/** At most this many options in the list. */
export const LIMIT = 12;

/** "label:door slam" is a label search whatever the list says (as typed in other apps' search bars). */
export function labelPrefixed(typed: string): string | undefined {
  const m = /^label:\s*(.*)$/is.exec(typed.trim());
  return m === null ? undefined : m[1]!.trim();
}

export function wantsSuggestions(typed: string): boolean {
  return labelPrefixed(typed) === undefined && typed.trim().length >= MIN_CHARS;
}

/** What an option says after its name: the synonym or parent class that matched, or that it is a label. */
export function detail(s: NameSuggestion): string {
  if (s.source === 'label') return `your label · ${s.positives} example${s.positives === 1 ? '' : 's'}`;
  if (s.kind === 'related') return `sound · related to ${s.matched}`;
  if (s.matched !== s.name) return `sound · “${s.matched}”`;
  return 'sound';
}

/** ↑/↓ move through the list and wrap; -1 is the text field itself (nothing active). */
export function moveActive(active: number, count: number, key: 'ArrowDown' | 'ArrowUp'): number {
  if (count === 0) return -1;
  if (key === 'ArrowDown') return active + 1 >= count ? 0 : active + 1;
  return active <= 0 ? count - 1 : active - 1;
}

export type Pick = { readonly kind: 'label' | 'text'; readonly name: string };

/**
 * Enter with no option active: a label the user has (any case) or a "label:" prefix is a label search;
 * otherwise a sound name when the tagging model knows one like it (the server resolves "dogs" to Dog),
 * else a label search, which says when no label has that name.
 */
export function pickTyped(typed: string, labels: readonly string[], answer: NameSuggestions | null): Pick | undefined {
  const forced = labelPrefixed(typed);
  if (forced !== undefined) return forced === '' ? undefined : { kind: 'label', name: forced };
  const text = typed.trim();
  if (text === '') return undefined;
  const lower = text.toLowerCase();
  const label = labels.find((l) => l.toLowerCase() === lower);
  if (label !== undefined) return { kind: 'label', name: label };
  if (answer !== null && answer.suggestions.some((s) => s.source === 'class')) return { kind: 'text', name: text };
  return { kind: 'label', name: text };
}

/** An option picked from the list. */
export function pickOption(s: NameSuggestion): Pick {
  return { kind: s.source === 'label' ? 'label' : 'text', name: s.name };
}
