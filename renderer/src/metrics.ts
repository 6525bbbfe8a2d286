// Reading trained versions' metrics (JSON from core/learning/training) for display: heads report held-out
// average precision before (zero-shot baseline) and after training, the adapter cross-modal recall.
import type { TrainedVersion, TrainSummary } from '../../core/api/contract.ts';

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function fmt(v: number | null, digits = 3): string {
  return v === null ? '—' : v.toFixed(digits);
}

export interface HeadMetricsView {
  readonly apBaseline: number | null;
  readonly apTrained: number | null;
  readonly apFinal: number | null;
  readonly labels: ReadonlyArray<{ readonly name: string; readonly apBaseline: number | null; readonly apTrained: number | null; readonly kept: boolean; readonly heldoutPositives: number }>;
}

export function headMetrics(metrics: unknown): HeadMetricsView {
  const m = rec(metrics);
  const labels = Array.isArray(m.labels) ? m.labels.map(rec) : [];
  return {
    apBaseline: n(m.apBaseline),
    apTrained: n(m.apTrained),
    apFinal: n(m.apFinal),
    labels: labels.map((l) => ({ name: String(l.name ?? ''), apBaseline: n(l.apBaseline), apTrained: n(l.apTrained), kept: l.kept === true, heldoutPositives: n(l.heldoutPositives) ?? 0 })),
  };
}

export interface AdapterMetricsView {
  readonly skipped: string | null;
  readonly before: { readonly av: number | null; readonly va: number | null };
  readonly after: { readonly av: number | null; readonly va: number | null };
}

export function adapterMetrics(metrics: unknown): AdapterMetricsView {
  const m = rec(metrics);
  const side = (x: unknown): { av: number | null; va: number | null } => ({ av: n(rec(rec(x).audioToVisual).mean), va: n(rec(rec(x).visualToAudio).mean) });
  return { skipped: typeof m.skipped === 'string' ? m.skipped : null, before: side(m.before), after: side(m.after) };
}

/** One line for a version: AP before → after (heads), recall before → after (adapter). */
export function versionSummary(v: Pick<TrainedVersion, 'kind' | 'metrics'>): string {
  if (v.kind === 'head') {
    const h = headMetrics(v.metrics);
    return h.apBaseline === null ? 'held-out AP: too few held-out examples to judge' : `held-out AP ${fmt(h.apBaseline)} → ${fmt(h.apTrained)}`;
  }
  const a = adapterMetrics(v.metrics);
  if (a.skipped !== null) return `skipped: ${a.skipped}`;
  return `recall sound→picture ${fmt(a.before.av)} → ${fmt(a.after.av)}, picture→sound ${fmt(a.before.va)} → ${fmt(a.after.va)}`;
}

export function summaryLines(s: TrainSummary): string[] {
  const lines = [`Trained on ${s.trainSize} moments (${s.heldoutSize} held out) in ${s.seconds.toFixed(1)} s; labels: ${s.labels.join(', ') || 'none'}`];
  if (s.head !== null) lines.push(`Heads (version ${s.head.versionId}): ${versionSummary({ kind: 'head', metrics: s.head.metrics })} — ${s.head.kept ? 'kept' : 'not better than the baseline, so the baseline stays'}`);
  if (s.adapter !== null) lines.push(`Adapter${s.adapter.versionId !== null ? ` (version ${s.adapter.versionId})` : ''}: ${versionSummary({ kind: 'adapter', metrics: s.adapter.metrics })}${adapterMetrics(s.adapter.metrics).skipped === null ? ` — ${s.adapter.kept ? 'kept' : 'not kept'}` : ''}`);
  return lines;
}
