// A converted model on disk: graphs + this manifest. The manifest says where the graphs came from
// (checkpoint hash, converter version, options), so an import can tell whether it is already done.
import type { GraphName } from '../../native-models/family.ts';
import type { ModelConfig } from '../../native-models/registry.ts';
import type { CalibrationReport, Precision, PrecisionRequest } from '../../base/types.ts';

export const MANIFEST_FORMAT = 1;

export interface GraphEntry {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface ModelManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly name: string;
  readonly createdAt: string;
  readonly converterVersion: string;
  /** The precision of the graphs on disk: with auto, the one chosen (the DB's model identity uses it). */
  readonly precision: Precision;
  /** Present when the import asked for something else than `precision` records (auto). */
  readonly precisionRequest?: PrecisionRequest;
  /** What auto measured (absent for an explicit precision). */
  readonly calibration?: CalibrationReport | null;
  /** Heads given with --heads; null when inferred (width / 64). */
  readonly headsOverride: number | null;
  readonly source: {
    readonly fileName: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly origin: 'import' | 'download';
    readonly url?: string;
  };
  readonly config: ModelConfig;
  readonly graphs: Partial<Record<GraphName, GraphEntry>>;
}

export function isManifest(value: unknown): value is ModelManifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.format === MANIFEST_FORMAT &&
    typeof m.name === 'string' &&
    typeof m.converterVersion === 'string' &&
    typeof m.source === 'object' &&
    m.source !== null &&
    typeof m.config === 'object' &&
    m.config !== null &&
    typeof m.graphs === 'object' &&
    m.graphs !== null
  );
}
