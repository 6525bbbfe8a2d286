// The eval.* methods of the API: one call of the evaluation session (core/evaluation/session.ts) each.
import type { EvaluationSession } from '../evaluation/session.ts';
import type { HandlerTable, Responses } from './contract.ts';

export type EvalMethod = Extract<keyof Responses, `eval.${string}`>;

export function evaluationHandlers(session: EvaluationSession): HandlerTable<EvalMethod> {
  return {
    'eval.run': (req) => session.start(req),
    'eval.status': () => session.state(),
    'eval.cancel': () => session.cancel(),
  };
}
