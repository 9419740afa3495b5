/**
 * A lesson's plot as a standalone SVG file (and inline in index.html): one panel per metric,
 * stacked; the swept values along x as equally spaced categories (the sweeps are geometric —
 * 16, 64, 256 — or not numbers at all); at each point the mean over seeds, with an error bar
 * of ± one sd; a line through each series' means; a dashed reference (a chance level, a
 * ceiling) where the panel has one. No plotting library: the same few SVG elements as
 * report/line-chart.ts, with the styles inside the file so it renders anywhere.
 *
 * Every error bar is one `<path class="error-bar">` (drawn for one seed too, with zero
 * length), so a test can count them: panels × points with a finite mean.
 */

import { escapeHtml, formatNumber } from "../report/html.js";
import { niceTicks, PALETTE } from "../report/line-chart.js";
import { stat, type Stat } from "./stats.js";
import type { Lesson, LessonPoint, LessonRun, PlotPanel } from "./types.js";

const WIDTH = 560;
const PANEL_HEIGHT = 190;
const MARGIN = { left: 60, right: 16, top: 34, bottom: 44 };

const STYLE = `
  text { font: 11px system-ui, sans-serif; fill: #333; }
  .title { font-weight: 600; font-size: 12px; }
  .grid { stroke: #e4e4e4; }
  .frame { fill: none; stroke: #999; }
  .error-bar { stroke-width: 1.4; fill: none; }
  .reference { stroke: #777; stroke-dasharray: 5 4; }
  .muted { fill: #888; }
`;

interface Cell {
  x: string;
  series: string;
  point: string;
  stat: Stat;
}

/** The mean ± sd of `metric` at each point, in the points' order. */
function cells(points: readonly LessonPoint[], runs: readonly LessonRun[], metric: string): Cell[] {
  return points.map((p) => ({ x: p.x, series: p.series ?? "", point: p.label, stat: stat(runs.filter((r) => r.point === p.label).map((r) => r.metrics[metric])) }));
}

function panel(panelSpec: PlotPanel, data: Cell[], top: number, runs: readonly LessonRun[]): string {
  const chance = panelSpec.chance === undefined ? null : stat(runs.map((r) => r.metrics[panelSpec.chance!]));
  const spec = chance !== null && chance.n > 0 && panelSpec.reference === undefined ? { ...panelSpec, reference: { value: chance.mean, label: "chance" } } : panelSpec;
  const xs = [...new Set(data.map((c) => c.x))];
  const series = [...new Set(data.map((c) => c.series))];
  const shown = data.filter((c) => c.stat.n > 0);
  const scale = spec.percent ? 100 : 1;
  const fmt = (v: number) => (spec.percent ? `${formatNumber(v * scale)}%` : formatNumber(v));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts = [`<text x="${MARGIN.left}" y="${top + 18}" class="title">${escapeHtml(spec.label)}</text>`];
  if (shown.length === 0) {
    parts.push(`<text x="${WIDTH / 2}" y="${top + PANEL_HEIGHT / 2}" text-anchor="middle" class="muted">no finished run</text>`);
    return parts.join("");
  }
  const values = shown.flatMap((c) => [c.stat.mean - c.stat.sd, c.stat.mean + c.stat.sd]);
  if (spec.reference) values.push(spec.reference.value);
  if (spec.percent) values.push(0);
  const ticks = niceTicks(Math.min(...values), Math.max(...values), 4);
  const [lo, hi] = [Math.min(ticks[0]!, ...values), Math.max(ticks.at(-1)!, ...values)];
  const y0 = top + MARGIN.top;
  const py = (v: number) => y0 + (1 - (v - lo) / (hi - lo || 1)) * plotH;
  const slot = plotW / xs.length;
  // series side by side within a category, so their error bars do not overlap
  const offset = (s: string) => (series.length === 1 ? 0 : ((series.indexOf(s) - (series.length - 1) / 2) * slot * 0.5) / series.length);
  const px = (x: string, s: string) => MARGIN.left + slot * (xs.indexOf(x) + 0.5) + offset(s);
  for (const t of ticks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" dy="0.32em" text-anchor="end">${escapeHtml(fmt(t))}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${y0}" width="${plotW}" height="${plotH}" class="frame"/>`);
  for (const x of xs) parts.push(`<text x="${(MARGIN.left + slot * (xs.indexOf(x) + 0.5)).toFixed(1)}" y="${y0 + plotH + 16}" text-anchor="middle">${escapeHtml(x)}</text>`);
  if (spec.reference) {
    const y = py(spec.reference.value).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" class="reference"/>`);
    parts.push(`<text x="${MARGIN.left + plotW - 4}" y="${y}" dy="-0.4em" text-anchor="end" class="muted">${escapeHtml(spec.reference.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const mine = shown.filter((c) => c.series === s);
    if (mine.length > 1) parts.push(`<polyline points="${mine.map((c) => `${px(c.x, s).toFixed(1)},${py(c.stat.mean).toFixed(1)}`).join(" ")}" fill="none" stroke="${color}" stroke-width="1.2" opacity="0.6"/>`);
    for (const c of mine) {
      const x = px(c.x, s);
      const [a, b] = [py(c.stat.mean - c.stat.sd), py(c.stat.mean + c.stat.sd)];
      const tip = `${c.point}: ${fmt(c.stat.mean)} ± ${fmt(c.stat.sd)} over ${c.stat.n} seed${c.stat.n === 1 ? "" : "s"}`;
      parts.push(`<path class="error-bar" stroke="${color}" d="M${x.toFixed(1)} ${a.toFixed(1)}V${b.toFixed(1)}M${(x - 4).toFixed(1)} ${a.toFixed(1)}H${(x + 4).toFixed(1)}M${(x - 4).toFixed(1)} ${b.toFixed(1)}H${(x + 4).toFixed(1)}"><title>${escapeHtml(tip)}</title></path>`);
      parts.push(`<circle cx="${x.toFixed(1)}" cy="${py(c.stat.mean).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(tip)}</title></circle>`);
    }
  });
  if (series.length > 1) {
    // each entry after the one before it, by its text's width (about 6 px a character at this font size)
    let x = MARGIN.left + 8;
    series.forEach((s, i) => {
      const y = top + PANEL_HEIGHT - 8;
      if (i > 0) x += Math.max(110, 24 + 6 * series[i - 1]!.length);
      parts.push(`<circle cx="${x}" cy="${y}" r="3" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 8}" y="${y}" dy="0.32em">${escapeHtml(s)}</text>`);
    });
  }
  return parts.join("");
}

function svgFile(title: string, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><style>${STYLE}</style><rect width="${WIDTH}" height="${height}" fill="#fff"/>${body}</svg>`;
}

/** The lesson's plot (see the file comment). */
export function lessonPlot(lesson: Lesson, points: readonly LessonPoint[], runs: readonly LessonRun[]): string {
  const { panels, xLabel } = lesson.plot;
  const body = panels.map((p, i) => panel(p, cells(points, runs, p.metric), i * PANEL_HEIGHT, runs)).join("");
  const height = panels.length * PANEL_HEIGHT + 20;
  const label = `<text x="${MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`;
  return svgFile(`${lesson.name}: ${lesson.claim}`, height, body + label);
}

/**
 * The lesson's curve over training (the temperature's logit scale), one line per point, the
 * mean over seeds at each logged step; on a log y axis when asked. Null when the lesson has none.
 */
export function lessonCurvePlot(lesson: Lesson, points: readonly LessonPoint[], runs: readonly LessonRun[]): string | null {
  const curve = lesson.plot.curve;
  if (curve === undefined) return null;
  const lines = points.map((p) => {
    const mine = runs.filter((r) => r.point === p.label).map((r) => r.curves[curve.key]);
    const steps = mine[0]?.map(([s]) => s) ?? [];
    return { label: p.label, points: steps.map((s, i) => [s, stat(mine.map((c) => c[i]?.[1])).mean] as [number, number]).filter(([, v]) => Number.isFinite(v) && (!curve.log || v > 0)) };
  });
  const all = lines.flatMap((l) => l.points);
  const height = 300;
  const plotW = WIDTH - MARGIN.left - 175;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const parts = [`<text x="${MARGIN.left}" y="18" class="title">${escapeHtml(curve.label)}</text>`];
  if (all.length === 0) return svgFile(curve.label, height, `${parts[0]}<text x="${WIDTH / 2}" y="${height / 2}" text-anchor="middle" class="muted">no finished run</text>`);
  const f = (v: number) => (curve.log ? Math.log10(v) : v);
  const ys = all.map(([, v]) => f(v));
  const ticks = curve.log ? Array.from({ length: Math.floor(Math.max(...ys)) - Math.floor(Math.min(...ys)) + 2 }, (_, i) => Math.floor(Math.min(...ys)) + i) : niceTicks(Math.min(...ys), Math.max(...ys), 4);
  const [lo, hi] = [Math.min(ticks[0]!, ...ys), Math.max(ticks.at(-1)!, ...ys)];
  const xMax = Math.max(...all.map(([s]) => s), 1);
  const px = (s: number) => MARGIN.left + (s / xMax) * plotW;
  const py = (v: number) => MARGIN.top + (1 - (f(v) - lo) / (hi - lo || 1)) * plotH;
  for (const t of ticks) {
    const y = MARGIN.top + (1 - (t - lo) / (hi - lo || 1)) * plotH;
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y.toFixed(1)}" dy="0.32em" text-anchor="end">${escapeHtml(formatNumber(curve.log ? 10 ** t : t))}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  for (const t of niceTicks(0, xMax, 4, true).filter((t) => t <= xMax)) parts.push(`<text x="${px(t).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${t}</text>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">step</text>`);
  lines.forEach((line, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    if (line.points.length > 0) parts.push(`<polyline points="${line.points.map(([s, v]) => `${px(s).toFixed(1)},${py(v).toFixed(1)}`).join(" ")}" fill="none" stroke="${color}" stroke-width="1.6"><title>${escapeHtml(line.label)}</title></polyline>`);
    parts.push(`<line x1="${MARGIN.left + plotW + 10}" x2="${MARGIN.left + plotW + 28}" y1="${MARGIN.top + 8 + i * 16}" y2="${MARGIN.top + 8 + i * 16}" stroke="${color}" stroke-width="2"/><text x="${MARGIN.left + plotW + 32}" y="${MARGIN.top + 8 + i * 16}" dy="0.32em">${escapeHtml(line.label)}</text>`);
  });
  return svgFile(curve.label, height, parts.join(""));
}
