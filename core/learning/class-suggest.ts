// The type-ahead over one model's class names: the user's names when they stored some, else the
// shipped list for the model's output count (with its ontology children), and which classes a typed
// name stands for when it is searched.
import type { ModelClass } from '../../db/learning.ts';
import { shippedClassList } from '../../native-models/cavmae/class-lists.ts';
import type { Library } from '../library/handle.ts';
import { classNames, findClass } from './classes.ts';
import { createClassMatcher } from './class-matcher.ts';
import type { ClassMatch, MatchableClass } from './class-matcher.ts';

function matchable(library: Library, modelId: number, numClasses: number | null): { classes: readonly ModelClass[]; matchable: readonly MatchableClass[] } {
  const names = classNames(library, modelId, numClasses);
  const shipped = names.source === 'user' ? undefined : shippedClassList(numClasses);
  return { classes: names.classes, matchable: shipped?.classes ?? names.classes };
}

/** Suggestions for what has been typed so far, best first. */
export function suggestClasses(library: Library, modelId: number, numClasses: number | null, typed: string, limit = 20): ClassMatch[] {
  return createClassMatcher(matchable(library, modelId, numClasses).matchable)(typed, limit);
}

/**
 * The classes a searched name stands for: the class of that display name or id when there is one (a
 * picked suggestion), else the classes whose whole name is it up to case, accents and plurals ("dogs"
 * → Dog, not "Canidae, dogs, wolves"), else every class with a synonym equal to it ("man speaking" →
 * "Male speech, man speaking"), else the best suggestion ("appl" → Applause).
 * Children are not included: "dog" does not search Bark; the suggestions offer it.
 */
export function classesForText(library: Library, modelId: number, numClasses: number | null, text: string): ModelClass[] {
  const named = findClass(library, modelId, text.trim(), numClasses);
  if (named !== undefined) return [named];
  const { classes, matchable: entries } = matchable(library, modelId, numClasses);
  const found = createClassMatcher(entries)(text, classes.length);
  const exact = found.filter((m) => m.kind === 'exact');
  const whole = exact.filter((m) => m.matched === m.name);
  const picked = whole.length > 0 ? whole : exact.length > 0 ? exact : found.slice(0, 1).filter((m) => m.kind !== 'related');
  return picked.map((m) => classes[m.index]!);
}
