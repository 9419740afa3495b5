/**
 * The similarity-matrix heatmap of a test batch: rows are images (drawn beside their row),
 * columns their captions, each cell the cosine similarity. A model that learned puts its
 * brightest cells on the diagonal.
 */

import { escapeHtml, formatNumber } from "./html.js";

/** viridis, sampled at 9 stops (matplotlib's colormap, public domain). */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** A colour for t in [0, 1] on viridis. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i]!, VIRIDIS[i + 1]!];
  const c = a.map((v, k) => Math.round(v + f * (b[k]! - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export interface HeatmapOptions {
  /** matrix[i][j]: image i against caption j. */
  matrix: readonly (readonly number[])[];
  /** data: URIs of the row images. */
  images: readonly string[];
  captions: readonly string[];
  cell?: number;
}

export function similarityHeatmap({ matrix, images, captions, cell = 30 }: HeatmapOptions): string {
  const n = matrix.length;
  const m = captions.length;
  const values = matrix.flat();
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const labelSpace = 190; // rotated caption labels above the grid
  const thumb = cell;
  const left = thumb + 8;
  const top = labelSpace;
  const scaleW = 60;
  const width = left + m * cell + 16 + scaleW;
  const height = top + n * cell + 8;
  const parts: string[] = [];
  captions.forEach((caption, j) => {
    const x = left + j * cell + cell / 2;
    const short = caption.length > 30 ? `${caption.slice(0, 29)}…` : caption;
    parts.push(`<text transform="translate(${x + 4} ${top - 6}) rotate(-55)" class="tick"><title>${escapeHtml(caption)}</title>${escapeHtml(short)}</text>`);
  });
  for (let i = 0; i < n; i++) {
    parts.push(`<image href="${images[i]}" x="0" y="${top + i * cell}" width="${thumb}" height="${thumb}"/>`);
    for (let j = 0; j < m; j++) {
      const v = matrix[i]![j]!;
      const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const diagonal = i === j ? ` class="diagonal"` : "";
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${viridis(t)}"${diagonal}><title>${escapeHtml(`image ${i + 1} vs "${captions[j]}": ${v.toFixed(3)}`)}</title></rect>`);
    }
  }
  // the colour scale
  const sx = left + m * cell + 16;
  const steps = 24;
  const barH = n * cell;
  for (let k = 0; k < steps; k++) {
    parts.push(`<rect x="${sx}" y="${(top + (k * barH) / steps).toFixed(1)}" width="12" height="${(barH / steps + 0.5).toFixed(1)}" fill="${viridis(1 - k / (steps - 1))}"/>`);
  }
  parts.push(`<text x="${sx + 16}" y="${top + 8}" class="tick">${escapeHtml(formatNumber(hi))}</text>`);
  parts.push(`<text x="${sx + 16}" y="${top + barH}" class="tick">${escapeHtml(formatNumber(lo))}</text>`);
  return `<svg class="heatmap" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="cosine similarity of test images and captions">${parts.join("")}</svg>`;
}
