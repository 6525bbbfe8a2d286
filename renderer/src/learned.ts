// How a label's few-shot baseline weighs sound and picture, in words for the label manager and for
// each prediction ("learned from: picture").
import type { LearnedFrom } from '../../core/api/contract.ts';

export function learnedFromWords(l: LearnedFrom | null): string {
  if (l === null) return '';
  if (l.says === 'both') return `sound and picture (${Math.round(l.sound * 100)} / ${Math.round(l.picture * 100)} %)`;
  return l.says;
}

export function learnedFromTitle(l: LearnedFrom | null): string {
  if (l === null) return 'No positive example yet';
  return `Weight of the sound ${l.sound.toFixed(2)}, of the picture ${l.picture.toFixed(2)}: how well each predicted the labels it did not see`;
}
