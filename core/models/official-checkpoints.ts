// The official checkpoints: CAV-MAE's (spec §4.3) and CAV-MAE Sync's. Neither project publishes
// checksums, so a download is verified by size (Content-Length, and a plausible range for the
// architecture) and by structure: it must read as a state dict of the expected family, kind and class
// count (and, where given, width, registers, audio length) before it is converted. The SHA-256 of
// what arrived is recorded in the model manifest (trust on first use).
export interface OfficialCheckpoint {
  readonly name: string;
  readonly title: string;
  readonly url: string;
  readonly kind: 'pretrained' | 'finetuned';
  readonly numClasses: number | null;
  readonly use: string;
  /** Size of a 768-wide file of this kind as torch writes it (±2 % covers torch versions). */
  readonly approxBytes: number;
  /** The model family (native-models/) the file must read as; absent for CAV-MAE, whose configs name none. */
  readonly family?: string;
  /**
   * Where the authors publish no size to compare with: the sizes the architecture allows, an
   * estimate (approxBytes is then the likeliest). Without it a download must be approxBytes ±5 %.
   */
  readonly sizeRange?: readonly [min: number, max: number];
  /** Configuration fields the converted model must have beyond kind and classes (the structure check). */
  readonly expect?: Readonly<Record<string, number>>;
}

const DROPBOX = 'https://www.dropbox.com/s';
const PRETRAINED_BYTES = 764_388_756;
const FT_AUDIOSET_BYTES = 659_700_000;
const FT_VGGSOUND_BYTES = 659_030_000;

// CAV-MAE Sync's authors publish their file on Google Drive without a size, and it cannot be fetched
// here to measure, so its size is estimated from their model (src/models/cav_mae_sync.py) against
// the CAV-MAE pretrained file, whose 764,388,756 bytes are 190,862,080 fp32 parameters plus 0.94 MB
// of torch's zip and pickle. Sync keeps that encoder (768 wide, 11+1 blocks) and pretraining decoder
// (512 wide, 8 blocks) but sizes both audio position tables for 416 frames (208 patches, not 512) and
// adds 2×8 register tokens and 2 CLS tokens: 190.49 M parameters, ≈ 762.9 MB. The same class can also
// hold 2+2 contrastive-head blocks (the authors' retrieval script does not build them for this file):
// ≈ 876.3 MB if they were saved; a file without the decoder would be ≈ 657.5 MB. The range covers all
// three with a margin; the structure check is what tells this model from another.
const SYNC_ESTIMATE_BYTES = 762_900_000;
const SYNC_SIZE_RANGE = [625_000_000, 920_000_000] as const;
// The stable form of the authors' link (pretrained_models/get_pretrained_model.sh), without the
// session-bound uuid and at tokens, which expire; the confirm page hands out fresh ones.
const SYNC_URL = 'https://drive.usercontent.google.com/download?id=1KBCvDcEJ5l7WtRXVQZC6TJNUpY4L6UZo&export=download';

export const OFFICIAL_CHECKPOINTS: readonly OfficialCheckpoint[] = [
  { name: 'scale++', title: 'CAV-MAE-Scale++ (recommended)', url: `${DROPBOX}/l5t5geufdy3qvnv/audio_model.21.pth?dl=1`, kind: 'pretrained', numClasses: null, use: 'audio↔visual search (default)', approxBytes: PRETRAINED_BYTES },
  { name: 'scale+', title: 'CAV-MAE-Scale+', url: `${DROPBOX}/xu8bfie6hz86oev/audio_model.25.pth?dl=1`, kind: 'pretrained', numClasses: null, use: 'audio↔visual search, the paper\'s retrieval numbers', approxBytes: PRETRAINED_BYTES },
  { name: 'base', title: 'CAV-MAE-Base', url: `${DROPBOX}/wxrjgr86gdhc5k8/cav-mae-base.pth?dl=1`, kind: 'pretrained', numClasses: null, use: 'audio↔visual search (paper baseline)', approxBytes: PRETRAINED_BYTES },
  {
    name: 'sync',
    title: 'CAV-MAE Sync (CVPR 2025)',
    url: SYNC_URL,
    kind: 'pretrained',
    numClasses: null,
    use: 'audio↔visual search, moments to the second',
    approxBytes: SYNC_ESTIMATE_BYTES,
    family: 'cavmae-sync',
    sizeRange: SYNC_SIZE_RANGE,
    expect: { embedDim: 768, registers: 8, audioFrames: 416 },
  },
  { name: 'as2m-av', title: 'Fine-tuned AudioSet-2M, audio+visual (51.2 mAP)', url: `${DROPBOX}/hejj49zdgyyfsuh/as-full-51.2.pth?dl=1`, kind: 'finetuned', numClasses: 527, use: 'AudioSet tags', approxBytes: FT_AUDIOSET_BYTES },
  { name: 'as2m-audio', title: 'Fine-tuned AudioSet-2M, audio only (46.6 mAP)', url: `${DROPBOX}/itfw7p0ueq7z9og/as_46.6.pth?dl=1`, kind: 'finetuned', numClasses: 527, use: 'AudioSet tags from sound alone', approxBytes: FT_AUDIOSET_BYTES },
  { name: 'vggsound-av', title: 'Fine-tuned VGGSound, audio+visual (65.5 %)', url: `${DROPBOX}/f4wrbxv2unewss9/vgg_65.5.pth?dl=1`, kind: 'finetuned', numClasses: 309, use: 'VGGSound classes', approxBytes: FT_VGGSOUND_BYTES },
  { name: 'vggsound-audio', title: 'Fine-tuned VGGSound, audio only (59.8 %)', url: `${DROPBOX}/l4rj0sgpnt08bp2/vgg_59.8.pth?dl=1`, kind: 'finetuned', numClasses: 309, use: 'VGGSound classes from sound alone', approxBytes: FT_VGGSOUND_BYTES },
];

export const DEFAULT_CHECKPOINT = 'scale++';

export function findOfficial(name: string): OfficialCheckpoint | undefined {
  return OFFICIAL_CHECKPOINTS.find((c) => c.name === name.toLowerCase());
}

/** The sizes a download of this entry may have; `estimated` when the authors publish no size. */
export function sizeBounds(entry: OfficialCheckpoint): { readonly min: number; readonly max: number; readonly estimated: boolean } {
  if (entry.sizeRange !== undefined) return { min: entry.sizeRange[0], max: entry.sizeRange[1], estimated: true };
  return { min: entry.approxBytes * 0.95, max: entry.approxBytes * 1.05, estimated: false };
}
