// The few words every floor shares. Declared once here so db/, media/, native-models/ and core/ agree
// without importing each other.

/** The two streams CAV-MAE embeds: a window's sound and its picture. */
export type Modality = 'audio' | 'visual';
export const MODALITIES: readonly Modality[] = ['audio', 'visual'];

/** ONNX Runtime execution providers Foley knows, best first. */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';
export const PROVIDER_NAMES: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/**
 * How a model's graphs compute; each is its own embedding space (vectors of two never mix):
 * fp32 as converted; int8 every Linear dynamically quantised; int8-mixed int8 for the modality blocks
 * but the joint block, heads and patch embedding kept fp32 (real checkpoints' outlier channels hurt
 * most there); fp16 weights and compute in float16 (for accelerators; inputs/outputs stay float32).
 */
export type Precision = 'fp32' | 'int8' | 'int8-mixed' | 'fp16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8', 'int8-mixed', 'fp16'];

/** What an import asks for: one precision, or auto (measured at import against fp32, see native-models/precision/). */
export type PrecisionRequest = Precision | 'auto';

/** How one candidate precision's embeddings agreed with fp32 on one modality of the calibration set. */
export interface Agreement {
  readonly samples: number;
  readonly minCosine: number;
  readonly meanCosine: number;
  /** Mean over items of |top-k neighbours in fp32 ∩ top-k in the candidate| / k (native-models/precision/decide.ts). */
  readonly overlap: number;
}

/** What `--precision auto` measured at import, kept in the model manifest. */
export interface CalibrationReport {
  /** The execution provider the comparison ran on (it decides which candidates are tried). */
  readonly provider: ProviderName;
  readonly thresholds: { readonly minCosine: number; readonly overlap: number; readonly k: number };
  readonly candidates: ReadonlyArray<{
    readonly precision: Precision;
    readonly audio: Agreement;
    readonly visual: Agreement;
    readonly accepted: boolean;
  }>;
  readonly chosen: Precision;
  /** Wall milliseconds the extra builds and calibration runs added to the import. */
  readonly ms: number;
}
