// Localisation in the app: which side of a query the results are localised against, how a page's maps
// are asked for (one `localize` call per chunk of results, after the results are shown), and how a
// map is drawn (Turbo over min-max, for display only) over the part of a picture the model saw.
import { extent, turbo } from '../../base/colormap.ts';
import type { ApiQuery, LocalisedMoment, MapJson, SearchResult } from '../../core/api/contract.ts';

/** 'audio': the query is a sound (maps over result pictures); 'visual': a picture (maps over result sounds). */
export function querySide(query: ApiQuery): 'audio' | 'visual' | null {
  if (query.kind === 'pcm') return 'audio';
  if (query.kind === 'upload') return query.media === 'image' ? 'visual' : 'audio';
  return query.use ?? null;
}

/** Results show a heatmap over their picture (sound query) or a spectrogram map (picture query) when that side matched. */
export function localisable(side: 'audio' | 'visual' | null, r: SearchResult): boolean {
  if (side === 'audio') return r.matched !== 'audio';
  if (side === 'visual') return r.matched !== 'visual';
  return false;
}

export function mapKey(fileId: number, windowStart: number): string {
  return `${fileId}|${Math.round(windowStart * 1000)}`;
}

/** Results per `localize` call: the first ones appear quickly, a page never needs more than a few calls. */
export const CHUNK = 8;

/** Asks for the maps of `results` not yet known, chunk by chunk, reporting each chunk as it lands. */
export async function loadMaps(
  results: readonly SearchResult[],
  known: (key: string) => boolean,
  call: (targets: Array<{ file: number; at: number }>) => Promise<readonly LocalisedMoment[]>,
  onChunk: (moments: readonly LocalisedMoment[]) => void,
): Promise<void> {
  const todo = results.filter((r) => !known(mapKey(r.fileId, r.window.start)));
  for (let i = 0; i < todo.length; i += CHUNK) {
    const chunk = todo.slice(i, i + CHUNK);
    onChunk(await call(chunk.map((r) => ({ file: r.fileId, at: r.window.start }))));
  }
}

/**
 * The centre square of a picture (what the model sees) inside a box showing it with object-fit
 * cover or contain: left, top and side in the box's pixels (it may overflow the box under cover).
 */
export function centreSquare(picture: { width: number; height: number }, box: { width: number; height: number }, fit: 'cover' | 'contain'): { left: number; top: number; side: number } {
  const sx = box.width / picture.width;
  const sy = box.height / picture.height;
  const scale = fit === 'cover' ? Math.max(sx, sy) : Math.min(sx, sy);
  const side = Math.min(picture.width, picture.height) * scale;
  return { left: (box.width - side) / 2, top: (box.height - side) / 2, side };
}

/** Draws a map into a canvas of cols × rows pixels (the browser smooths it when scaled up). */
export function drawMap(canvas: HTMLCanvasElement, map: MapJson, lowestRowAtBottom = false): void {
  const [rows, cols] = map.shape;
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const img = ctx.createImageData(cols, rows);
  const { min, max } = extent(map.data);
  for (let r = 0; r < rows; r++) {
    const y = lowestRowAtBottom ? rows - 1 - r : r;
    for (let c = 0; c < cols; c++) {
      const v = map.data[r * cols + c]!;
      const [R, G, B] = turbo(max > min ? (v - min) / (max - min) : 0.5);
      const i = (y * cols + c) * 4;
      img.data[i] = R;
      img.data[i + 1] = G;
      img.data[i + 2] = B;
      img.data[i + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** A colour bar (low on the left) for legends. */
export function drawLegend(canvas: HTMLCanvasElement): void {
  const width = 64;
  canvas.width = width;
  canvas.height = 1;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const img = ctx.createImageData(width, 1);
  for (let x = 0; x < width; x++) {
    const [R, G, B] = turbo(x / (width - 1));
    img.data.set([R, G, B, 255], x * 4);
  }
  ctx.putImageData(img, 0, 0);
}
