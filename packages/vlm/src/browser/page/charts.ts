/// <reference lib="dom" />
/**
 * The Train tab's pictures, drawn on canvases: a line chart (the loss, the logit scale) over
 * the steps, with the report's round ticks, and the similarity matrix of a fixed batch as a
 * heatmap, images down the side, their captions along the top.
 */

import { formatNumber } from "../../report/html.js";
import { niceTicks } from "../../report/line-chart.js";
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

/**
 * Values against their step (value i is step i + 1), on axes with round ticks (the report's
 * niceTicks): steps along the bottom, the values' range widened to the ticks just outside it.
 */
export function drawLineChart(canvas: HTMLCanvasElement, values: readonly number[], options: { color: string; label: string }): void {
  const { ctx, width, height } = context2d(canvas);
  const left = 52;
  const bottom = 38;
  const top = 22;
  const right = 12;
  const finite = values.filter(Number.isFinite);
  ctx.font = "11px system-ui, sans-serif";
  if (finite.length === 0) {
    ctx.fillStyle = MUTED;
    ctx.fillText(`${options.label}: no steps yet`, left, height / 2);
    return;
  }
  const rough = niceTicks(Math.min(...finite), Math.max(...finite), 4);
  const tickStep = rough.length > 1 ? rough[1]! - rough[0]! : 1;
  const yTicks = niceTicks(Math.floor(Math.min(...finite) / tickStep + 1e-9) * tickStep, Math.ceil(Math.max(...finite) / tickStep - 1e-9) * tickStep, 4);
  const lo = yTicks[0]!;
  const hi = yTicks[yTicks.length - 1]!;
  const lastStep = Math.max(2, values.length);
  const xTicks = niceTicks(1, lastStep, 6, true).filter((t) => t >= 1 && t <= lastStep);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const x = (step: number) => left + (plotW * (step - 1)) / (lastStep - 1);
  const y = (v: number) => top + plotH * (1 - (v - lo) / (hi - lo || 1));
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  for (const t of yTicks) {
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(left, y(t));
    ctx.lineTo(width - right, y(t));
    ctx.stroke();
    ctx.fillStyle = MUTED;
    ctx.fillText(formatNumber(t), left - 6, y(t) + 4);
  }
  // the x axis: a baseline, a tick and a label per round step, and its name
  ctx.strokeStyle = MUTED;
  ctx.beginPath();
  ctx.moveTo(left, top + plotH);
  ctx.lineTo(width - right, top + plotH);
  ctx.stroke();
  ctx.textAlign = "center";
  for (const t of xTicks) {
    ctx.beginPath();
    ctx.moveTo(x(t), top + plotH);
    ctx.lineTo(x(t), top + plotH + 4);
    ctx.stroke();
    ctx.fillText(String(t), x(t), top + plotH + 15);
  }
  ctx.fillText("step", left + plotW / 2, height - 4);
  ctx.strokeStyle = options.color;
  ctx.lineWidth = 1.6;
  ctx.beginPath();
  let started = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (started) ctx.lineTo(x(i + 1), y(v));
    else ctx.moveTo(x(i + 1), y(v));
    started = true;
  });
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.textAlign = "right";
  ctx.fillText(`${options.label} ${formatNumber(finite[finite.length - 1]!)} at step ${values.length}`, width - right, 12);
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
