/**
 * Turning benchmark records into the printed table and the SVG plot, and the helpers every
 * benchmark script shares: the median, the machine's description, atomic writes, and the
 * table block between markers in bench/README.md.
 */

import { writeFileSync, readFileSync, renameSync } from "node:fs";
import { cpus, loadavg } from "node:os";

export interface BenchRecord {
  /** "ceiling": the pure-JS ceiling (bench/ceiling.ts), impl "js-ceiling", measured first and last. */
  bench: "matmul" | "softmax" | "ceiling" | "caption";
  shape: string;
  impl: string;
  threads: number;
  runs: number;
  min_ms: number;
  median_ms: number;
  gflops?: number;
  ns_per_element?: number;
}

const label = (r: BenchRecord) => (r.impl === "duet" ? `duet ${r.threads}T` : r.impl);

/** The run's pure-JS ceiling, GFLOP/s: the better of its two measurements (first and last), or null. */
export function ceilingOf(records: readonly BenchRecord[]): number | null {
  const c = records.filter((r) => r.bench === "ceiling" && r.gflops !== undefined).map((r) => r.gflops!);
  return c.length > 0 ? Math.max(...c) : null;
}

/**
 * A markdown table: one row per (bench, shape, impl). "vs tfjs" is tfjs-cpu's min time
 * over this impl's min time: above 1 is faster than tfjs. "of ceiling" is a matmul row's
 * GFLOP/s over the pure-JS ceiling times its threads: the share of what plain JavaScript
 * can do on those cores.
 */
export function renderTable(records: BenchRecord[]): string {
  const ceiling = ceilingOf(records);
  const lines = [
    "| bench | shape | impl | min ms | median ms | GFLOP/s | of ceiling | ns/elem | vs tfjs |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of records) {
    const tfjs = records.find((x) => x.bench === r.bench && x.shape === r.shape && x.impl === "tfjs-cpu");
    const ratio = tfjs ? (tfjs.min_ms / r.min_ms).toFixed(2) + "x" : "";
    const share = ceiling !== null && r.bench === "matmul" && r.gflops !== undefined ? `${((100 * r.gflops) / (ceiling * r.threads)).toFixed(0)}%` : "";
    lines.push(
      `| ${r.bench} | ${r.shape} | ${label(r)} | ${r.min_ms.toFixed(3)} | ${r.median_ms.toFixed(3)} | ${r.gflops?.toFixed(2) ?? ""} | ${share} | ${r.ns_per_element?.toFixed(2) ?? ""} | ${ratio} |`,
    );
  }
  return lines.join("\n");
}

const COLORS: Record<string, string> = { "duet 2T": "#1f77b4", "duet 1T": "#6baed6", "duet-naive": "#bbbbbb", "tfjs-cpu": "#ff7f0e", "tfjs-wasm": "#2ca02c" };

function color(name: string): string {
  return COLORS[name] ?? (name.startsWith("duet") ? "#08519c" : "#888888");
}

/** Two grouped bar charts: matmul GFLOP/s (higher is better), softmax ns/element (lower is better). */
export function renderSvg(records: BenchRecord[], machine: { cpu: string; cores: number; node: string; date: string }): string {
  const panels: { title: string; bench: "matmul" | "softmax"; value: (r: BenchRecord) => number; unit: string }[] = [
    { title: "matmul, GFLOP/s (higher is better)", bench: "matmul", value: (r) => r.gflops ?? 0, unit: "GFLOP/s" },
    { title: "softmax over the last axis, ns per element (lower is better)", bench: "softmax", value: (r) => r.ns_per_element ?? 0, unit: "ns" },
  ];
  const width = 900;
  const panelHeight = 300;
  const parts: string[] = [];
  let y0 = 40;
  const ceiling = ceilingOf(records);
  const impls = [...new Set(records.filter((r) => r.bench !== "ceiling").map(label))];
  for (const panel of panels) {
    const rs = records.filter((r) => r.bench === panel.bench);
    if (rs.length === 0) continue;
    const shapes = [...new Set(rs.map((r) => r.shape))];
    const line = panel.bench === "matmul" ? ceiling : null; // the one-thread pure-JS ceiling, dashed
    const max = Math.max(...rs.map(panel.value), line ?? 0) * 1.1 || 1;
    const left = 60;
    const plotW = width - left - 20;
    const plotH = panelHeight - 70;
    const groupW = plotW / shapes.length;
    const barW = (groupW * 0.8) / impls.length;
    parts.push(`<text x="${left}" y="${y0 - 10}" font-size="14" font-weight="bold">${panel.title}</text>`);
    parts.push(`<line x1="${left}" y1="${y0 + plotH}" x2="${left + plotW}" y2="${y0 + plotH}" stroke="#333"/>`);
    for (let t = 0; t <= 4; t++) {
      const v = (max * t) / 4;
      const y = y0 + plotH - (plotH * t) / 4;
      parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#eee"/>`);
      parts.push(`<text x="${left - 5}" y="${y + 4}" font-size="10" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
    }
    if (line !== null) {
      const y = (y0 + plotH - (plotH * line) / max).toFixed(1);
      parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#d62728" stroke-dasharray="6 4"/>`);
      parts.push(`<text x="${left + plotW}" y="${Number(y) - 4}" font-size="10" text-anchor="end" fill="#d62728">pure-JS ceiling, 1 thread: ${line.toFixed(1)} GFLOP/s</text>`);
    }
    shapes.forEach((shape, si) => {
      const gx = left + si * groupW + groupW * 0.1;
      impls.forEach((name, ii) => {
        const r = rs.find((x) => x.shape === shape && label(x) === name);
        if (!r) return;
        const v = panel.value(r);
        const h = (plotH * v) / max;
        parts.push(
          `<rect x="${(gx + ii * barW).toFixed(1)}" y="${(y0 + plotH - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color(name)}"><title>${name} ${shape}: ${v.toFixed(2)} ${panel.unit}</title></rect>`,
        );
      });
      parts.push(`<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${y0 + plotH + 14}" font-size="10" text-anchor="middle">${shape}</text>`);
    });
    y0 += panelHeight;
  }
  const legend = impls
    .map((name, i) => `<rect x="${60 + i * 130}" y="${y0 - 20}" width="12" height="12" fill="${color(name)}"/><text x="${76 + i * 130}" y="${y0 - 10}" font-size="12">${name}</text>`)
    .join("");
  const footer = `<text x="60" y="${y0 + 10}" font-size="11" fill="#555">${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date.slice(0, 10)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y0 + 25}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join("")}${legend}${footer}</svg>\n`;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  date: string;
  /** 1, 5 and 15-minute load averages when the run began: above the core count, others were running too. */
  load_average: number[];
}

export function machineInfo(): Machine {
  return { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, date: new Date().toISOString(), load_average: loadavg().map((l) => Number(l.toFixed(2))) };
}

/** "Measured 2026-11-26 on AMD EPYC, 2 cores, Node v20 (9 rounds)." */
export function measuredLine(machine: Machine, detail: string): string {
  return `Measured ${machine.date.slice(0, 10)} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (${detail}).`;
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Puts `body` between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in the markdown file at
 * `path`; false (and the file untouched) when the markers are missing.
 */
export function replaceMarkedBlock(path: string, name: string, body: string): boolean {
  const text = readFileSync(path, "utf8");
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return false;
  writeAtomic(path, `${text.slice(0, i)}${begin}\n${body}\n${end}${text.slice(j + end.length)}`);
  return true;
}
