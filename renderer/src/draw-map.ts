// Drawing a localisation map on a canvas: Turbo over the map's min-max, for display only (the raw
// cosines stay in the legend). The canvas holds one pixel per token; scaled up by CSS, the browser
// interpolates bilinearly (image-rendering: auto), which is the smooth upsampling the maps want.
import { extent, turbo } from '../../base/colormap.ts';
import type { MapJson } from '../../core/api/contract.ts';

/** Draws a map into a canvas of cols × rows pixels; with lowestRowAtBottom, map row 0 is the bottom row. */
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
      img.data.set([R, G, B, 255], (y * cols + c) * 4);
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
