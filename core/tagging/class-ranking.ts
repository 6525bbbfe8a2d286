// Windows ranked by a class's probability, read from the stored logits (class_logits). A name can stand
// for several classes ("dog" is Dog and "Canidae, dogs, wolves"): a window counts with its best one.
// Ranked by rankValue (the logit for sigmoid, the log-probability for softmax), which orders as the
// probability does without float32 saturation near 1; the probability is what is returned.
// A full scan of the model's rows: fine for the label search and the CLI; the search bar's class
// search keeps its own in-memory cache.
import { classLogitsOf, iterateClassLogits, blobToLogits } from '../../db/class-logits.ts';
import type { Database } from '../../db/connection.ts';
import { logSumExp, probabilityOfRank, rankValue } from './probability.ts';
import { activationFor } from './probability.ts';
import type { Activation } from './probability.ts';

export interface ClassHit {
  readonly windowId: number;
  /** The best probability among the classes asked for. */
  readonly score: number;
  /** The class that gave it. */
  readonly classIndex: number;
  /** The classifier mode the window was tagged in (multimodal, audioonly, …). */
  readonly mode: string;
}

/**
 * The `limit` windows with the highest probability for any of `classIndices`, best first; ties by
 * window id. `activation` null: the one for the stored vectors' length (activationFor).
 */
export function bestClassWindows(db: Database, modelId: number, classIndices: readonly number[], activationOrNull: Activation | null, limit: number): ClassHit[] {
  const ranked: { windowId: number; value: number; classIndex: number }[] = [];
  let activation: Activation = activationOrNull ?? 'sigmoid';
  for (const row of iterateClassLogits(db, modelId)) {
    const logits = blobToLogits(row.logits);
    if (activationOrNull === null) activation = activationFor(logits.length);
    const lse = activation === 'softmax' ? logSumExp(logits) : undefined;
    let best: { value: number; classIndex: number } | undefined;
    for (const c of classIndices) {
      if (c >= logits.length) continue;
      const value = rankValue(logits, c, activation, lse);
      if (best === undefined || value > best.value) best = { value, classIndex: c };
    }
    if (best !== undefined) ranked.push({ windowId: row.windowId, ...best });
  }
  ranked.sort((a, b) => b.value - a.value || a.windowId - b.windowId);
  const top = ranked.slice(0, limit);
  const modes = new Map(classLogitsOf(db, modelId, top.map((t) => t.windowId)).map((s) => [s.windowId, s.mode]));
  return top.map((t) => ({ windowId: t.windowId, score: probabilityOfRank(t.value, activation), classIndex: t.classIndex, mode: modes.get(t.windowId) ?? 'multimodal' }));
}
