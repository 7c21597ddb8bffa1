// Reading a screenshot's pixels in tests: what is drawn inside a region (e.g. a chart's plot area).
import type { PNG } from "pngjs";

export { readPng } from "../prove/picture.ts";

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RegionPixels {
  pixels: number;
  /** Pixels that are neither white-ish nor grey (a drawn line or fill, not background, grid or text). */
  coloured: number;
  /** Coloured pixels by hue, in 30° buckets (0 = red, 4 = green, 7 = blue...). */
  hues: Map<number, number>;
  distinctColours: number;
}

function hueOf(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = max - min;
  let hue = 0;
  if (max === r) hue = ((g - b) / delta) % 6;
  else if (max === g) hue = (b - r) / delta + 2;
  else hue = (r - g) / delta + 4;
  return Math.floor((((hue * 60) % 360) + 360) % 360 / 30);
}

export function regionPixels(png: PNG, region: Region = { x: 0, y: 0, width: png.width, height: png.height }): RegionPixels {
  const hues = new Map<number, number>();
  const colours = new Set<number>();
  let coloured = 0;
  let pixels = 0;
  const x1 = Math.min(png.width, region.x + region.width);
  const y1 = Math.min(png.height, region.y + region.height);
  for (let y = Math.max(0, region.y); y < y1; y += 1) {
    for (let x = Math.max(0, region.x); x < x1; x += 1) {
      const offset = (y * png.width + x) * 4;
      const [r, g, b] = [png.data[offset] as number, png.data[offset + 1] as number, png.data[offset + 2] as number];
      pixels += 1;
      colours.add((r << 16) | (g << 8) | b);
      if (Math.max(r, g, b) - Math.min(r, g, b) < 60) continue; // white, grey, black: background, grid, text
      coloured += 1;
      const hue = hueOf(r, g, b);
      hues.set(hue, (hues.get(hue) ?? 0) + 1);
    }
  }
  return { pixels, coloured, hues, distinctColours: colours.size };
}

/** Hue buckets holding at least `min` coloured pixels. */
export function strongHues(stats: RegionPixels, min: number): number[] {
  return [...stats.hues.entries()].filter(([, count]) => count >= min).map(([hue]) => hue).sort((a, b) => a - b);
}
