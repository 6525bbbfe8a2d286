// The Models page's tagging line, without the DOM: which model tags, how, and how far it has got.
import type { TaggingStatus } from '../../core/api/contract.ts';

const MODES: Readonly<Record<string, string>> = { multimodal: 'audio-visual', audioonly: 'sound only', videoonly: 'pictures only' };

const count = (n: number): string => n.toLocaleString('en-US');

/** "audio-visual, 10 pictures per window" / "sound only". */
export function recipeText(recipe: TaggingStatus['recipe']): string {
  const mode = MODES[recipe.mode] ?? recipe.mode;
  if (recipe.frames === 0) return mode;
  return `${mode}, ${recipe.frames} picture${recipe.frames === 1 ? '' : 's'} per window`;
}

/** "Tagging with as2m-av (audio-visual, 10 pictures per window): 1,204 of 3,100 windows". */
export function taggingLine(t: TaggingStatus): string {
  return `Tagging with ${t.model} (${recipeText(t.recipe)}): ${count(t.tagged)} of ${count(t.windows)} windows`;
}

/** "about 40 s" / "about 12 min" / "about 3.5 h". */
function duration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** What is known of the run: under way or paused, what is left at the measured cost per window, and that cost. */
export function taggingRunText(t: TaggingStatus): string {
  const parts: string[] = [];
  if (t.paused) parts.push('paused');
  else if (t.running) parts.push('tagging now');
  if ((t.running || t.paused) && t.msPerWindow !== null && t.tagged < t.windows) parts.push(`${duration(((t.windows - t.tagged) * t.msPerWindow) / 1000)} left`);
  if (t.msPerWindow !== null) parts.push(`${t.msPerWindow < 10 ? t.msPerWindow.toFixed(1) : Math.round(t.msPerWindow)} ms per window`);
  return parts.join(' · ');
}
