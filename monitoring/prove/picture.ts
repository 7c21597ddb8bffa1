// Is a screenshot a picture of something? A blank page (one colour, or nearly) is not evidence.
import { readFile } from "node:fs/promises";
import { PNG } from "pngjs";

export interface PictureStats {
  width: number;
  height: number;
  /** Distinct colours (RGB), counted up to 4096. */
  colours: number;
  /** Share of pixels of the most frequent colour, 0..1. */
  dominantShare: number;
}

export async function readPng(file: string): Promise<PNG> {
  return PNG.sync.read(await readFile(file));
}

export async function pictureStats(file: string): Promise<PictureStats> {
  const png = await readPng(file);
  const counts = new Map<number, number>();
  for (let offset = 0; offset < png.data.length; offset += 4) {
    const rgb = ((png.data[offset] as number) << 16) | ((png.data[offset + 1] as number) << 8) | (png.data[offset + 2] as number);
    const seen = counts.get(rgb);
    if (seen !== undefined) counts.set(rgb, seen + 1);
    else if (counts.size < 4096) counts.set(rgb, 1);
  }
  const pixels = png.width * png.height;
  const dominant = Math.max(0, ...counts.values());
  return { width: png.width, height: png.height, colours: counts.size, dominantShare: pixels === 0 ? 1 : dominant / pixels };
}

/** Why the picture is blank, or undefined when it shows something. */
export function blankReason(stats: PictureStats): string | undefined {
  if (stats.width === 0 || stats.height === 0) return "the picture is empty (0 pixels)";
  if (stats.colours < 8) return `the picture is blank (${stats.colours} colour${stats.colours === 1 ? "" : "s"})`;
  if (stats.dominantShare > 0.995) return `the picture is blank (${(stats.dominantShare * 100).toFixed(1)}% one colour)`;
  return undefined;
}
