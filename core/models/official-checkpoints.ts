// The official CAV-MAE checkpoints (spec §4.3). The project publishes no checksums, so a download is
// verified by size (Content-Length, and a plausible range for the architecture) and by structure:
// it must read as a CAV-MAE state dict of the expected kind and class count before it is converted.
// The SHA-256 of what arrived is recorded in the model manifest (trust on first use).
export interface OfficialCheckpoint {
  readonly name: string;
  readonly title: string;
  readonly url: string;
  readonly kind: 'pretrained' | 'finetuned';
  readonly numClasses: number | null;
  readonly use: string;
  /** Size of a 768-wide file of this kind as torch writes it (±2 % covers torch versions). */
  readonly approxBytes: number;
}

const DROPBOX = 'https://www.dropbox.com/s';
const PRETRAINED_BYTES = 764_388_756;
const FT_AUDIOSET_BYTES = 659_700_000;
const FT_VGGSOUND_BYTES = 659_030_000;

export const OFFICIAL_CHECKPOINTS: readonly OfficialCheckpoint[] = [
  { name: 'scale++', title: 'CAV-MAE-Scale++ (recommended)', url: `${DROPBOX}/l5t5geufdy3qvnv/audio_model.21.pth?dl=1`, kind: 'pretrained', numClasses: null, use: 'audio↔visual search (default)', approxBytes: PRETRAINED_BYTES },
  { name: 'scale+', title: 'CAV-MAE-Scale+', url: `${DROPBOX}/xu8bfie6hz86oev/audio_model.25.pth?dl=1`, kind: 'pretrained', numClasses: null, use: 'audio↔visual search, the paper\'s retrieval numbers', approxBytes: PRETRAINED_BYTES },
  { name: 'base', title: 'CAV-MAE-Base', url: `${DROPBOX}/wxrjgr86gdhc5k8/cav-mae-base.pth?dl=1`, kind: 'pretrained', numClasses: null, use: 'audio↔visual search (paper baseline)', approxBytes: PRETRAINED_BYTES },
  { name: 'as2m-av', title: 'Fine-tuned AudioSet-2M, audio+visual (51.2 mAP)', url: `${DROPBOX}/hejj49zdgyyfsuh/as-full-51.2.pth?dl=1`, kind: 'finetuned', numClasses: 527, use: 'AudioSet tags', approxBytes: FT_AUDIOSET_BYTES },
  { name: 'as2m-audio', title: 'Fine-tuned AudioSet-2M, audio only (46.6 mAP)', url: `${DROPBOX}/itfw7p0ueq7z9og/as_46.6.pth?dl=1`, kind: 'finetuned', numClasses: 527, use: 'AudioSet tags from sound alone', approxBytes: FT_AUDIOSET_BYTES },
  { name: 'vggsound-av', title: 'Fine-tuned VGGSound, audio+visual (65.5 %)', url: `${DROPBOX}/f4wrbxv2unewss9/vgg_65.5.pth?dl=1`, kind: 'finetuned', numClasses: 309, use: 'VGGSound classes', approxBytes: FT_VGGSOUND_BYTES },
  { name: 'vggsound-audio', title: 'Fine-tuned VGGSound, audio only (59.8 %)', url: `${DROPBOX}/l4rj0sgpnt08bp2/vgg_59.8.pth?dl=1`, kind: 'finetuned', numClasses: 309, use: 'VGGSound classes from sound alone', approxBytes: FT_VGGSOUND_BYTES },
];

export const DEFAULT_CHECKPOINT = 'scale++';

export function findOfficial(name: string): OfficialCheckpoint | undefined {
  return OFFICIAL_CHECKPOINTS.find((c) => c.name === name.toLowerCase());
}
