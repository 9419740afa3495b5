/// <reference lib="dom" />
/**
 * The Train tab's pictures, drawn on canvases: a line chart (the loss, the logit scale) and
 * the similarity matrix of a fixed batch as a heatmap, images down the side, their captions
 * along the top.
 */

import type { Heatmap } from "../engine/train-loop.js";

const INK = "#1d2433";
const MUTED = "#5c667a";
const GRID = "#e6e9f0";

/** A canvas's 2d context at the screen's pixel density, in CSS pixels. */
function context2d(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = Number(canvas.dataset["width"] ?? canvas.width);
  const height = Number(canvas.dataset["height"] ?? canvas.height);
  if (canvas.dataset["width"] === undefined) {
    canvas.dataset["width"] = String(width);
    canvas.dataset["height"] = String(height);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/** A tick label with as many decimals as the axis's span needs. */
function tick(value: number, span: number): string {
  const decimals = Math.max(0, Math.min(4, Math.ceil(-Math.log10(Math.max(span, 1e-9) / 4)) + 1));
  return value.toFixed(decimals);
}

/** Values against their step, with a light moving average when there are many. */
export function drawLineChart(canvas: HTMLCanvasElement, values: readonly number[], options: { color: string; label: string; yMin?: number }): void {
  const { ctx, width, height } = context2d(canvas);
  const left = 52;
  const bottom = 24;
  const top = 10;
  const right = 10;
  const finite = values.filter(Number.isFinite);
  ctx.font = "11px system-ui, sans-serif";
  if (finite.length === 0) {
    ctx.fillStyle = MUTED;
    ctx.fillText(`${options.label}: no steps yet`, left, height / 2);
    return;
  }
  let lo = options.yMin ?? Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-6) {
    hi += 0.5;
    lo -= 0.5;
  }
  const x = (i: number) => left + ((width - left - right) * i) / Math.max(1, values.length - 1);
  const y = (v: number) => top + (height - top - bottom) * (1 - (v - lo) / (hi - lo));
  ctx.strokeStyle = GRID;
  ctx.fillStyle = MUTED;
  ctx.lineWidth = 1;
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    ctx.beginPath();
    ctx.moveTo(left, y(v));
    ctx.lineTo(width - right, y(v));
    ctx.stroke();
    ctx.fillText(tick(v, hi - lo), 4, y(v) + 4);
  }
  ctx.fillText(`step ${values.length}`, width - right - 60, height - 6);
  ctx.strokeStyle = options.color;
  ctx.lineWidth = 1.6;
  ctx.beginPath();
  let started = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (started) ctx.lineTo(x(i), y(v));
    else ctx.moveTo(x(i), y(v));
    started = true;
  });
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.textAlign = "right";
  ctx.fillText(`${options.label} ${finite[finite.length - 1]!.toFixed(4)}`, width - right - 4, top + 12);
  ctx.textAlign = "left";
}

/** Viridis, by a few of its stops (t in [0, 1]). */
function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const s = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(s);
  const f = s - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  return `rgb(${a.map((c, k) => Math.round(c + (b[k]! - c) * f)).join(",")})`;
}

/**
 * The (n, n) cosine similarities: image i (row, its thumbnail from `thumbnail`) against
 * caption j (column). Colours span the matrix's own range, written beside it.
 */
export function drawHeatmap(canvas: HTMLCanvasElement, heatmap: Heatmap, thumbnail: (hexcode: string) => HTMLCanvasElement | null): void {
  const { ctx, width, height } = context2d(canvas);
  const n = heatmap.n;
  const top = 130;
  const left = 40;
  const cell = Math.floor(Math.min((width - left - 80) / n, (height - top - 10) / n));
  const lo = Math.min(...heatmap.values);
  const hi = Math.max(...heatmap.values);
  const span = Math.max(hi - lo, 1e-6);
  ctx.font = "11px system-ui, sans-serif";
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      ctx.fillStyle = viridis((heatmap.values[i * n + j]! - lo) / span);
      ctx.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1);
    }
    const thumb = thumbnail(heatmap.hexcodes[i]!);
    if (thumb) ctx.drawImage(thumb, 4, top + i * cell + 1, cell - 4, cell - 4);
  }
  ctx.fillStyle = INK;
  for (let j = 0; j < n; j++) {
    ctx.save();
    ctx.translate(left + j * cell + cell / 2 + 4, top - 6);
    ctx.rotate(-Math.PI / 3);
    const caption = heatmap.captions[j]!;
    ctx.fillText(caption.length > 22 ? `${caption.slice(0, 21)}…` : caption, 0, 0);
    ctx.restore();
  }
  // the colour scale
  const barX = left + n * cell + 16;
  for (let k = 0; k < 100; k++) {
    ctx.fillStyle = viridis(1 - k / 100);
    ctx.fillRect(barX, top + (k * n * cell) / 100, 14, (n * cell) / 100 + 1);
  }
  ctx.fillStyle = MUTED;
  ctx.fillText(hi.toFixed(2), barX + 18, top + 10);
  ctx.fillText(lo.toFixed(2), barX + 18, top + n * cell);
  ctx.fillText("cos", barX, top - 8);
}
