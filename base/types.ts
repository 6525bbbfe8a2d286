// The few words every floor shares. Declared once here so db/, media/, native-models/ and core/ agree
// without importing each other.

/** The two streams CAV-MAE embeds: a window's sound and its picture. */
export type Modality = 'audio' | 'visual';
export const MODALITIES: readonly Modality[] = ['audio', 'visual'];

/** ONNX Runtime execution providers Foley knows, best first. */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';
export const PROVIDER_NAMES: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/** Weights as converted (fp32) or dynamically quantised (int8): two different embedding spaces. */
export type Precision = 'fp32' | 'int8';
