// Formats are told apart by their first bytes, never by the file extension: `.pth`, `.pt`, `.bin` and `.ckpt`
// are all used for every one of them.

export type CheckpointFormat = 'torch-zip' | 'safetensors' | 'legacy-torch' | 'unknown';

/** How many leading bytes `sniffFormat` looks at. */
export const SNIFF_BYTES = 16;

export function sniffFormat(head: Uint8Array): CheckpointFormat {
  // Local file header, or the end-of-central-directory record of an empty archive.
  if (head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) {
    return 'torch-zip';
  }
  // Before torch 1.6 a checkpoint was a bare pickle stream, which opens with PROTO and a protocol number.
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) return 'legacy-torch';
  // safetensors: u64 header length, then a JSON object. Real headers are far below 2^32 bytes.
  if (head.length >= 9 && head[8] === 0x7b && head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0) {
    return 'safetensors';
  }
  return 'unknown';
}

/** A sentence for a file that is not the format we were asked to read. */
export function describeForeignFormat(format: CheckpointFormat): string {
  switch (format) {
    case 'legacy-torch':
      return 'this is the legacy (pre-1.6) torch.save format, a bare pickle stream, which is not supported; ' +
        're-save it with torch >= 1.6 (torch.save(torch.load(path), new_path); torch.load runs code from the file, ' +
        'so only do this for a file you trust)';
    case 'safetensors':
      return 'this looks like a safetensors file, not a PyTorch zip checkpoint';
    case 'torch-zip':
      return 'this looks like a zip archive';
    case 'unknown':
      return 'not a PyTorch checkpoint (zip archive) or safetensors file';
  }
}
