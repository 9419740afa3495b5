/**
 * A line chart as inline SVG: axes with "nice" ticks, one polyline per series, a legend
 * below the plot (never over the curves), and optional vertical marks (e.g. where a schedule
 * changed). Small on purpose — the report needs curves over steps, nothing more — and
 * self-contained, so report.html opens anywhere with no script and no network.
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
  /** A thinner, lighter line (e.g. the raw points under their average). */
  faint?: boolean;
}

/** A vertical line across the plot at x, labelled at its top. */
export interface Mark {
  x: number;
  label: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Force the y range to include these values (e.g. 0 for a learning rate). */
  yInclude?: readonly number[];
  /** Format y tick labels (default formatNumber). */
  yFormat?: (value: number) => string;
  marks?: readonly Mark[];
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/**
 * About `count` round tick values covering [min, max] (1, 2, 2.5 or 5 times a power of ten
 * apart); with `integer`, at least 1 apart (steps are whole numbers).
 */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  if (integer) step = step < 1 ? 1 : step === 2.5 ? 2 : step; // 2.5 would land between steps
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The moving average's default window over n points: odd, about n / 20, at least 3. */
export function averageWindow(n: number): number {
  return Math.max(3, 2 * Math.round(n / 40) + 1);
}

/**
 * A centred moving average: each point becomes the mean of the `window` points around it (an
 * odd window; it narrows symmetrically at the ends). A trailing average — or an exponential
 * one — reports each step the mean of earlier steps, so on a falling loss it lags above the
 * points; a centred one has no lag: a straight line comes back unchanged.
 */
export function movingAverage(points: readonly (readonly [number, number])[], window = averageWindow(points.length)): [number, number][] {
  const half = Math.floor(window / 2);
  const prefix = [0];
  for (const [, y] of points) prefix.push(prefix[prefix.length - 1]! + y);
  return points.map(([x], i) => {
    const reach = Math.min(half, i, points.length - 1 - i);
    return [x, (prefix[i + reach + 1]! - prefix[i - reach]!) / (2 * reach + 1)];
  });
}

/** The legend's rows: each entry is a swatch and a name, placed left to right, wrapping. */
function legendLayout(series: readonly Series[], width: number, left: number): { series: Series; x: number; row: number }[] {
  const placed: { series: Series; x: number; row: number }[] = [];
  let x = left;
  let row = 0;
  for (const s of series) {
    const w = 30 + 6.4 * s.name.length; // swatch, gap and an 11 px system font's average advance
    if (x > left && x + w > width - 8) {
      x = left;
      row++;
    }
    placed.push({ series: s, x, row });
    x += w + 14;
  }
  return placed;
}

export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 520;
  // marks are labelled above the plot, below the title
  const margin = { left: 58, right: 14, top: options.marks?.length ? 40 : 28, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const shown = options.series.filter((s) => s.points.some(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const legend = shown.length > 1 || (shown.length === 1 && shown[0]!.name !== options.title) ? legendLayout(shown, width, margin.left) : [];
  const legendHeight = legend.length === 0 ? 0 : 16 * (legend[legend.length - 1]!.row + 1) + 4;
  const height = (options.height ?? 260) + legendHeight;
  const plotH = height - margin.top - margin.bottom - legendHeight;
  const all = shown.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const title = `<text x="${margin.left}" y="16" class="chart-title">${escapeHtml(options.title)}</text>`;
  const svg = (body: string) => `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(options.title)}">${body}</svg>`;
  if (all.length === 0) return svg(`${title}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text>`);
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...(options.yInclude ?? [])];
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  // the y range widened to the ticks just outside the data, so the lowest and highest curves sit on a labelled line
  const [lowest, highest] = [Math.min(...ys), Math.max(...ys)];
  const rough = niceTicks(lowest, highest, 5);
  const tickStep = rough.length > 1 ? rough[1]! - rough[0]! : 1;
  const yTicks = niceTicks(Math.floor(lowest / tickStep + 1e-9) * tickStep, Math.ceil(highest / tickStep - 1e-9) * tickStep, 5);
  const yMin = Math.min(yTicks[0]!, lowest);
  const yMax = Math.max(yTicks[yTicks.length - 1]!, highest);
  const xTicks = niceTicks(xMin, xMax, 6, xs.every(Number.isInteger)).filter((t) => t >= xMin && t <= xMax);
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin || 1)) * plotH;
  const yFormat = options.yFormat ?? formatNumber;
  const bottom = margin.top + plotH;
  const parts: string[] = [title];
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${escapeHtml(yFormat(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(formatNumber(t))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  parts.push(`<text x="${margin.left + plotW / 2}" y="${bottom + 32}" text-anchor="middle" class="label">${escapeHtml(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(12 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeHtml(options.yLabel)}</text>`);
  for (const mark of options.marks ?? []) {
    if (!(mark.x >= xMin && mark.x <= xMax)) continue;
    const x = px(mark.x).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${bottom}" class="mark" stroke-dasharray="3 3"><title>${escapeHtml(mark.label)}</title></line>`);
    parts.push(`<text x="${x}" y="${margin.top - 3}" text-anchor="middle" class="mark-label">${escapeHtml(mark.label)}</text>`);
  }
  const colorOf = (s: Series) => s.color ?? PALETTE[options.series.indexOf(s) % PALETTE.length]!;
  for (const series of shown) {
    const color = colorOf(series);
    const points = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const path = points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    const dash = series.dashed ? ` stroke-dasharray="5 4"` : "";
    parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="${series.faint ? 1 : 1.8}"${dash}><title>${escapeHtml(series.name)}</title></polyline>`);
    if (series.markers || points.length === 1) {
      for (const [x, y] of points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.8" fill="${color}"><title>${escapeHtml(`${series.name}: ${formatNumber(y)} at ${formatNumber(x)}`)}</title></circle>`);
    }
  }
  for (const { series, x, row } of legend) {
    const y = bottom + 46 + 16 * row;
    const dash = series.dashed ? ` stroke-dasharray="5 4"` : "";
    parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${colorOf(series)}" stroke-width="2"${dash}/><text x="${x + 28}" y="${y}" dy="0.32em" class="legend">${escapeHtml(series.name)}</text>`);
  }
  return svg(parts.join(""));
}
