/**
 * A line chart as inline SVG: axes with "nice" ticks, one polyline per series, a legend.
 * Small on purpose — the report needs curves over steps, nothing more — and self-contained,
 * so report.html opens anywhere with no script and no network.
 *
 *   lineChart({ title: "loss", xLabel: "step", series: [{ name: "train", points: [[0, 4.1], ...] }] })
 */

import { escapeHtml, formatNumber } from "./html.js";

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
  /** Draw dots at the points (for sparse series like evaluations). */
  markers?: boolean;
  /** A dashed line (e.g. a chance level). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Force the y range to include these values (e.g. 0 and 1 for accuracies). */
  yInclude?: readonly number[];
  /** Format y tick labels (default formatNumber). */
  yFormat?: (value: number) => string;
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/** About `count` round tick values covering [min, max] (1, 2, 2.5 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 260;
  const margin = { left: 58, right: 14, top: 28, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = options.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const title = `<text x="${margin.left}" y="16" class="chart-title">${escapeHtml(options.title)}</text>`;
  if (all.length === 0) {
    return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">${title}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text></svg>`;
  }
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...(options.yInclude ?? [])];
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const yMin = Math.min(yTicks[0]!, Math.min(...ys));
  const yMax = Math.max(yTicks[yTicks.length - 1]!, Math.max(...ys));
  const xTicks = niceTicks(xMin, xMax, 6).filter((t) => t >= xMin && t <= xMax);
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin || 1)) * plotH;
  const yFormat = options.yFormat ?? formatNumber;
  const parts: string[] = [title];
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${escapeHtml(yFormat(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 16}" text-anchor="middle" class="tick">${escapeHtml(formatNumber(t))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="label">${escapeHtml(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(12 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeHtml(options.yLabel)}</text>`);
  options.series.forEach((series, i) => {
    const color = series.color ?? PALETTE[i % PALETTE.length]!;
    const points = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (points.length === 0) return;
    const path = points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    const dash = series.dashed ? ` stroke-dasharray="5 4"` : "";
    parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="1.6"${dash}><title>${escapeHtml(series.name)}</title></polyline>`);
    if (series.markers || points.length === 1) {
      for (const [x, y] of points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.6" fill="${color}"><title>${escapeHtml(`${series.name}: ${formatNumber(y)} at ${formatNumber(x)}`)}</title></circle>`);
    }
  });
  // legend, top right, one row per series
  const named = options.series.filter((s) => s.points.length > 0);
  if (named.length > 1 || (named.length === 1 && named[0]!.name !== options.title)) {
    named.forEach((series, i) => {
      const color = series.color ?? PALETTE[options.series.indexOf(series) % PALETTE.length]!;
      const y = margin.top + 10 + 14 * i;
      const x = margin.left + plotW - 150;
      const dash = series.dashed ? ` stroke-dasharray="5 4"` : "";
      parts.push(`<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash}/><text x="${x + 23}" y="${y}" dy="0.32em" class="legend">${escapeHtml(series.name)}</text>`);
    });
  }
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">${parts.join("")}</svg>`;
}

/** An exponential moving average of a series' y values, debiased as Adam debiases (so it starts at the data). */
export function smooth(points: readonly (readonly [number, number])[], beta = 0.9): [number, number][] {
  let average = 0;
  return points.map(([x, y], i) => {
    average = beta * average + (1 - beta) * y;
    return [x, average / (1 - beta ** (i + 1))];
  });
}
