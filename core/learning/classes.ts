// Class names of a fine-tuned checkpoint. A classifier with 527 outputs is named by the shipped AudioSet
// list and one with 309 by the VGGSound list (native-models/cavmae/class-lists.ts); the user can give
// any model names with `index,mid,display_name` (the official class_labels_indices format), stored with
// the model's row, and those win. Names only label score indices, so changing them never re-scores.
// Scores come from the model's classifier graph, on demand: windows without stored scores are decoded
// again and classified, then the scores are kept.
import { readFileSync } from 'node:fs';
import { findModelClass, listModelClasses, putClassScores, setModelClasses, windowsWithoutClassScores } from '../../db/learning.ts';
import type { ModelClass } from '../../db/learning.ts';
import { getFile } from '../../db/files.ts';
import { latestFrames } from '../../db/runs.ts';
import { probeMedia } from '../../media/probe.ts';
import { classify } from '../../native-models/cavmae/classifier.ts';
import { shippedClassList } from '../../native-models/cavmae/class-lists.ts';
import type { ClassListName } from '../../native-models/cavmae/class-lists.ts';
import type { ClassifierMode } from '../../native-models/cavmae/classifier.ts';
import type { SessionOptions } from '../../native-models/runtime/session.ts';
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import { encoderFor } from '../embedding/encoders.ts';
import { decodeWindowInputs } from '../embedding/window-inputs.ts';
import type { WindowInputs } from '../embedding/window-inputs.ts';
import { FoleyError } from '../../base/errors.ts';
import type { Library } from '../library/handle.ts';
import { modelRecord } from '../library/handle.ts';
import type { InstalledModel } from '../models/store.ts';
import { sigmoid } from './training/math.ts';
import { parseCsv } from './csv.ts';

export function parseClassCsv(text: string): ModelClass[] {
  const rows = parseCsv(text);
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  if (header === undefined || header[0] !== 'index' || header[1] !== 'mid' || header[2] !== 'display_name') {
    throw new FoleyError('a class-labels CSV starts with the header index,mid,display_name');
  }
  const out = rows.map((r, i) => {
    const index = Number(r[0]);
    if (!Number.isInteger(index) || index < 0) throw new FoleyError(`class CSV row ${i + 2}: index "${r[0]}" is not a whole number`);
    const name = (r[2] ?? '').trim();
    if (name === '') throw new FoleyError(`class CSV row ${i + 2}: empty display_name`);
    return { index, mid: (r[1] ?? '').trim(), name };
  });
  out.forEach((c, i) => {
    if (c.index !== i) throw new FoleyError(`class CSV row ${i + 2}: index ${c.index}, expected ${i} (rows in order, from 0)`);
  });
  return out;
}

/** Stores the class names of an installed fine-tuned model (replacing earlier ones). */
export function setClassNames(library: Library, model: InstalledModel, csvFile: string): { classes: number } {
  const numClasses = model.manifest.config.numClasses;
  if (numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier (it is not a fine-tuned checkpoint)`);
  const classes = parseClassCsv(readFileSync(csvFile, 'utf8'));
  if (classes.length !== numClasses) throw new FoleyError(`the CSV has ${classes.length} classes, the model ${numClasses}`, { file: csvFile });
  setModelClasses(library.db, modelRecord(library, model).id, classes);
  return { classes: classes.length };
}

/** Where a model's class names come from: the user's CSV, a shipped list, or nowhere. */
export type ClassNamesSource = 'user' | ClassListName;

export interface ModelClassNames {
  readonly source: ClassNamesSource | null;
  readonly classes: readonly ModelClass[];
}

/**
 * A model's class names: the user's (stored) if any, else the shipped list for its number of outputs
 * (`numClasses`: the manifest's; null for a model without a classifier).
 */
export function classNames(library: Library, modelId: number, numClasses: number | null): ModelClassNames {
  const stored = listModelClasses(library.db, modelId);
  if (stored.length > 0) return { source: 'user', classes: stored };
  const shipped = shippedClassList(numClasses);
  if (shipped === undefined) return { source: null, classes: [] };
  return { source: shipped.list, classes: shipped.classes.map(({ index, mid, name }) => ({ index, mid, name })) };
}

/** The class whose display name (any case) or mid is `name`, among the model's class names. */
export function findClass(library: Library, modelId: number, name: string, numClasses: number | null): ModelClass | undefined {
  const stored = findModelClass(library.db, modelId, name);
  if (stored !== undefined || listModelClasses(library.db, modelId).length > 0) return stored;
  const wanted = name.toLowerCase();
  const hit = shippedClassList(numClasses)?.classes.find((c) => c.name.toLowerCase() === wanted || (c.mid !== '' && c.mid === name));
  return hit === undefined ? undefined : { index: hit.index, mid: hit.mid, name: hit.name };
}

/** The mode that fits a window's modalities. */
/**
 * A window's class probabilities (sigmoid, AudioSet-style multi-label), averaged over its frames as
 * the official inference does (spec §2.1: each frame with the same audio, probabilities averaged).
 */
async function frameAveragedScores(encoder: Encoder, mode: ClassifierMode, input: WindowInputs): Promise<Float32Array> {
  const frames = input.visual ?? [];
  const audio = input.audio !== undefined ? { audio: input.audio } : {};
  if (mode === 'audioonly' || frames.length <= 1) return (await classify(encoder, mode, { ...audio, ...(frames[0] !== undefined ? { visual: frames[0] } : {}) })).map(sigmoid);
  const sum = new Float32Array(encoder.config.numClasses ?? 0);
  for (const visual of frames) {
    const p = (await classify(encoder, mode, { ...audio, visual })).map(sigmoid);
    for (let i = 0; i < sum.length; i++) sum[i]! += p[i]!;
  }
  return sum.map((v) => v / frames.length);
}

function modeFor(hasAudio: boolean, hasVisual: boolean): ClassifierMode {
  return hasAudio && hasVisual ? 'multimodal' : hasAudio ? 'audioonly' : 'videoonly';
}

/**
 * Classifier scores (sigmoid of the logits: AudioSet-style multi-label) for every window that has none
 * yet (of one file, with `onlyFileId`), file by file. Returns how many windows were scored.
 */
export async function scoreClasses(library: Library, model: InstalledModel, session: SessionOptions = {}, signal?: AbortSignal, onlyFileId?: number): Promise<number> {
  if (model.manifest.config.numClasses === null) throw new FoleyError(`model ${model.manifest.name} has no classifier`);
  const modelId = modelRecord(library, model).id;
  const encoder = encoderFor(model, session);
  // One file's windows only, when asked (the tags of one moment need not wait for the whole library).
  const pending = windowsWithoutClassScores(library.db, modelId).filter((w) => onlyFileId === undefined || w.fileId === onlyFileId);
  // As many frames per window as the index was made with (the official inference averages them).
  const frames = latestFrames(library.db, modelId);
  const byFile = new Map<number, typeof pending>();
  for (const w of pending) {
    let list = byFile.get(w.fileId);
    if (list === undefined) byFile.set(w.fileId, (list = []));
    list.push(w);
  }
  let scored = 0;
  for (const [fileId, windows] of byFile) {
    const file = getFile(library.db, fileId);
    if (file === undefined || file.status === 'missing') continue;
    const info = await probeMedia(file.path);
    const plan = windows.map((w, index) => ({ index, start: w.startS, end: w.endS, middle: (w.startS + w.endS) / 2 }));
    const items: { windowId: number; scores: Float32Array; mode: ClassifierMode }[] = [];
    const jobs: Promise<void>[] = [];
    await decodeWindowInputs(file.path, info, plan, encoder, {
      ...(signal !== undefined ? { signal } : {}),
      framesPerWindow: frames,
      onInputs: (input) => {
        const w = windows[input.win.index]!;
        const mode = modeFor(input.audio !== undefined, input.visual !== undefined);
        jobs.push(
          frameAveragedScores(encoder, mode, input).then((scores) => {
            items.push({ windowId: w.id, scores, mode });
          }),
        );
      },
    });
    await Promise.all(jobs);
    for (const mode of new Set(items.map((i) => i.mode))) putClassScores(library.db, modelId, mode, items.filter((i) => i.mode === mode));
    scored += items.length;
  }
  return scored;
}
