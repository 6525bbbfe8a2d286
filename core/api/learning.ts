// The labels.*, training.* and suggestions.* methods of the API: one call of the learning service
// (core/learning/learning-service.ts) each, plus the checks that are about the contract (a range's end
// needs its start, a path must lie in a library folder, at most MAX_LISTED_LABELS labels listed).
import type { LearningService } from '../learning/learning-service.ts';
import { MAX_LISTED_LABELS } from './contract.ts';
import type { HandlerTable, Responses } from './contract.ts';
import { ApiError } from './errors.ts';
import { confineToRoots } from './media.ts';

export type LearningMethod = Extract<keyof Responses, `labels.${string}` | `training.${string}` | `suggestions.${string}`>;

export function isLearningMethod(method: string): method is LearningMethod {
  return method.startsWith('labels.') || method.startsWith('training.') || method.startsWith('suggestions.');
}

/** Reads FOLEY_TRAIN_DEBOUNCE_MS (tests shorten the wait); undefined when unset or not a number ≥ 0. */
export function debounceFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.FOLEY_TRAIN_DEBOUNCE_MS;
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function learningHandlers(service: LearningService): HandlerTable<LearningMethod> {
  /** A file id, or a path inside the library folders (the same confinement as media). */
  async function fileOf(file: number | string): Promise<number | string> {
    if (typeof file === 'number') return file;
    await confineToRoots(service.folders(), file);
    return file;
  }

  return {
    'labels.list': async (req) => {
      const names = service.labelNames();
      if (req.name === undefined && req.file === undefined) return { names, labels: [], truncated: false };
      const file = req.file !== undefined ? await fileOf(req.file) : undefined;
      const all = service.listLabels({ ...(req.name !== undefined ? { name: req.name } : {}), ...(file !== undefined ? { file } : {}) });
      return { names, labels: all.slice(0, MAX_LISTED_LABELS), truncated: all.length > MAX_LISTED_LABELS };
    },
    'labels.add': async (req) => {
      if (req.end !== undefined && req.start === undefined) throw new ApiError('bad_request', 'labels.add.end: needs a start');
      if (req.end !== undefined && req.start !== undefined && req.end <= req.start) throw new ApiError('bad_request', 'labels.add.end: must be after start');
      const file = await fileOf(req.file);
      return service.addLabel({ name: req.name, file, ...(req.start !== undefined ? { startS: req.start, endS: req.end ?? null } : {}), polarity: req.polarity ?? 'positive' });
    },
    'labels.remove': async (req) => {
      if ((req.ids === undefined) === (req.name === undefined)) throw new ApiError('bad_request', 'labels.remove: give either ids or name');
      return service.removeLabels(req.ids !== undefined ? { ids: req.ids } : { name: req.name! });
    },
    'labels.rename': (req) => service.renameLabel(req.from, req.to),
    'labels.merge': (req) => service.mergeLabels(req.from, req.into),
    'labels.export': async (req) => ({ format: req.format, ...service.exportLabels(req.format, req.name !== undefined ? { name: req.name } : {}) }),
    'labels.import': async (req) => {
      try {
        return await service.importLabels(req.text, req.format);
      } catch (e) {
        if (e instanceof SyntaxError) throw new ApiError('bad_request', `labels.import.text: not valid JSON (${e.message.split('\n')[0]})`);
        throw e;
      }
    },
    'labels.search': (req) => service.searchLabel(req.name, { ...(req.top !== undefined ? { top: req.top } : {}), ...(req.model !== undefined ? { model: req.model } : {}) }),
    'training.status': () => service.trainingState(),
    'training.start': () => service.startTraining(),
    'training.pause': async () => service.pauseTraining(),
    'training.resume': async () => service.resumeTraining(),
    'training.cancel': async () => service.cancelTraining(),
    'training.versions': async (req) => ({ versions: await service.versions(req.kind) }),
    'training.rollback': (req) => service.rollback(req.kind, req.versionId),
    'suggestions.list': (req) => service.suggestions(req.name, req.top ?? 10),
    'suggestions.answer': (req) => service.answerSuggestion(req.name, req.windowId, req.answer),
  };
}

