/**
 * What `duet lessons` leaves in DIR, besides the run cache:
 *
 *   lessons.json   {"format": "duet-lessons", "version": 1, "generated", "lessons": [{"name",
 *                  "claim", "changes", "holds", "verdict": {"status", "reason"}, "samples",
 *                  "seeds", "plot", "curve_plot"?, "points": [{"label", "value", "stats":
 *                  {metric: {mean, sd, n}}}], "runs": [every run: hash, point, seed, config,
 *                  metrics, curves, steps, stopped, seconds, finished]}]}
 *   <name>.svg     the lesson's plot (plot.ts); <name>-curve.svg for a lesson with a curve
 *   index.html     one self-contained page: each claim in a sentence, its plot, its verdict
 *                  and the numbers behind it (no script, no network; the SVGs inline)
 *
 * A call that runs some lessons keeps the others' entries from an earlier lessons.json, so
 * lessons run one at a time still end on one page. A lesson with runs missing (the call was
 * stopped) gets the verdict "incomplete".
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic.js";
import { escapeHtml } from "../report/html.js";
import { LESSONS } from "./catalog.js";
import type { LessonPlan } from "./plan.js";
import { lessonCurvePlot, lessonPlot } from "./plot.js";
import { formatPercentStat, formatStat, stat } from "./stats.js";
import type { LessonRun, Verdict } from "./types.js";

export const LESSONS_FILE = "lessons.json";
export const PAGE_FILE = "index.html";

export interface LessonEntry {
  name: string;
  claim: string;
  changes: string;
  holds: string;
  verdict: Verdict;
  samples: number;
  seeds: number;
  plot: string;
  curve_plot?: string;
  points: { label: string; value: number | string | boolean | null; stats: Record<string, { mean: number | null; sd: number | null; n: number }> }[];
  runs: LessonRun[];
}

export interface LessonsFile {
  format: "duet-lessons";
  version: 1;
  generated: string;
  lessons: LessonEntry[];
}

/** The entry of a planned lesson from its finished runs (the verdict is "incomplete" while runs are missing). */
export function lessonEntry(plan: LessonPlan, runs: readonly LessonRun[], seeds: number): LessonEntry {
  const { lesson, points } = plan;
  const missing = plan.configs.length - runs.length;
  const verdict: Verdict =
    missing > 0
      ? { status: "incomplete", reason: `${runs.length} of ${plan.configs.length} runs finished; run the same command again to finish (the finished runs are cached and not run again).` }
      : lesson.verdict(runs, points);
  const metrics = lesson.plot.panels.map((p) => p.metric);
  return {
    name: lesson.name,
    claim: lesson.claim,
    changes: lesson.changes,
    holds: lesson.holds,
    verdict,
    samples: plan.samples,
    seeds,
    plot: `${lesson.name}.svg`,
    ...(lesson.plot.curve ? { curve_plot: `${lesson.name}-curve.svg` } : {}),
    points: points.map((p) => ({
      label: p.label,
      value: p.value,
      stats: Object.fromEntries(
        metrics.map((m) => {
          const s = stat(runs.filter((r) => r.point === p.label).map((r) => r.metrics[m]));
          return [m, { mean: s.n > 0 ? s.mean : null, sd: s.n > 0 ? s.sd : null, n: s.n }];
        }),
      ),
    })),
    runs: [...runs],
  };
}

/** Writes the plots, lessons.json (merged with an earlier one) and index.html; returns the entries written. */
export function writeOutputs(dir: string, plans: readonly LessonPlan[], runs: Map<string, LessonRun[]>, seeds: number, notes: readonly string[]): LessonEntry[] {
  const fresh = plans.map((plan) => {
    const mine = runs.get(plan.lesson.name) ?? [];
    writeFileAtomic(join(dir, `${plan.lesson.name}.svg`), `${lessonPlot(plan.lesson, plan.points, mine)}\n`);
    const curve = lessonCurvePlot(plan.lesson, plan.points, mine);
    if (curve !== null) writeFileAtomic(join(dir, `${plan.lesson.name}-curve.svg`), `${curve}\n`);
    return lessonEntry(plan, mine, seeds);
  });
  const kept = readEarlier(dir).filter((e) => !fresh.some((f) => f.name === e.name));
  const order = (name: string) => LESSONS.findIndex((l) => l.name === name);
  const entries = [...fresh, ...kept].sort((a, b) => order(a.name) - order(b.name));
  const file: LessonsFile = { format: "duet-lessons", version: 1, generated: new Date().toISOString(), lessons: entries };
  writeFileAtomic(join(dir, LESSONS_FILE), `${JSON.stringify(file, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`);
  writeFileAtomic(join(dir, PAGE_FILE), renderPage(dir, entries, notes));
  return entries;
}

/** The entries of an earlier lessons.json, or none when there is none (or it does not parse). */
function readEarlier(dir: string): LessonEntry[] {
  const path = join(dir, LESSONS_FILE);
  if (!existsSync(path)) return [];
  try {
    const file = JSON.parse(readFileSync(path, "utf8")) as Partial<LessonsFile>;
    return Array.isArray(file.lessons) ? file.lessons.filter((e) => typeof e?.name === "string" && LESSONS.some((l) => l.name === e.name)) : [];
  } catch {
    return [];
  }
}

const PAGE_STYLE = `
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 760px; margin: 2em auto; padding: 0 1em; color: #222; }
  h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-top: 1px solid #ddd; padding-top: 1em; }
  .claim { font-size: 1.1em; font-style: italic; }
  .setup { color: #555; font-size: 0.9em; }
  .verdict { padding: 0.6em 0.9em; border-radius: 6px; background: #f4f4f4; }
  .status { font-weight: 700; }
  .holds { background: #e8f5e9; } .partly { background: #fff8e1; } .not { background: #fdecea; } .incomplete { background: #eceff1; }
  table { border-collapse: collapse; font-size: 0.85em; margin-top: 0.6em; }
  td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
  code { background: #f4f4f4; padding: 0 3px; }
`;

const STATUS_CLASS: Record<Verdict["status"], string> = { holds: "holds", "holds partly": "partly", "does not hold at this scale": "not", incomplete: "incomplete" };

/** An SVG written by this call or an earlier one, inline; a note when the file is gone. */
function inlineSvg(dir: string, file: string): string {
  const path = join(dir, file);
  return existsSync(path) ? readFileSync(path, "utf8").trim() : `<p class="setup">(${escapeHtml(file)} is missing)</p>`;
}

function pointsTable(entry: LessonEntry): string {
  const lesson = LESSONS.find((l) => l.name === entry.name);
  const panels = lesson?.plot.panels ?? [];
  const head = `<tr><th>point</th>${panels.map((p) => `<th>${escapeHtml(p.label)}</th>`).join("")}</tr>`;
  const rows = entry.points.map((p) => {
    const cellsOf = panels.map((panel) => {
      const s = p.stats[panel.metric];
      const st = s === undefined || s.n === 0 ? { mean: NaN, sd: NaN, n: 0 } : { mean: s.mean ?? NaN, sd: s.sd ?? 0, n: s.n };
      return `<td>${escapeHtml(panel.percent ? formatPercentStat(st) : formatStat(st, 3))}</td>`;
    });
    return `<tr><td>${escapeHtml(p.label)}</td>${cellsOf.join("")}</tr>`;
  });
  return `<table>${head}${rows.join("")}</table>`;
}

/** index.html (see the file comment); well-formed XML apart from its doctype. */
export function renderPage(dir: string, entries: readonly LessonEntry[], notes: readonly string[]): string {
  const sections = entries.map((e) => {
    const plots = [e.plot, ...(e.curve_plot ? [e.curve_plot] : [])].map((f) => `<figure>${inlineSvg(dir, f)}</figure>`).join("");
    return (
      `<section id="${escapeHtml(e.name)}"><h2>${escapeHtml(e.name)}</h2>` +
      `<p class="claim">${escapeHtml(e.claim)}</p>` +
      `<p class="setup">Changes ${escapeHtml(e.changes)}. Holds ${escapeHtml(e.holds)}. ${e.runs.length} runs, ${e.seeds} seed${e.seeds === 1 ? "" : "s"} per point, ${e.samples.toLocaleString("en-US")} samples seen each. Run it with <code>duet lessons ${escapeHtml(e.name)}</code>.</p>` +
      plots +
      `<div class="verdict ${STATUS_CLASS[e.verdict.status]}"><span class="status">${escapeHtml(e.verdict.status)}.</span> ${escapeHtml(e.verdict.reason)}</div>` +
      `${pointsTable(e)}</section>`
    );
  });
  const notBuilt = LESSONS.filter((l) => l.points === null).map((l) => `<li><b>${escapeHtml(l.name)}</b>: ${escapeHtml(l.claim)} <i>(${escapeHtml(l.holds)})</i></li>`);
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"/><meta name="generator" content="duet lessons"/><title>Duet: the lessons, measured</title><style>${PAGE_STYLE}</style></head><body>`,
    "<h1>The lessons, measured</h1>",
    "<p>Each claim of the overview, run as a small controlled experiment on the emojis: one thing changes, the rest (data, samples seen, schedule) is held, every point is trained with several seeds, and the verdict is computed from the numbers (mean ± sd over the seeds; a gap counts when it exceeds twice its standard error).</p>",
    ...sections,
    notBuilt.length > 0 ? `<h2>Not built yet</h2><ul>${notBuilt.join("")}</ul>` : "",
    `<p class="setup">${notes.map((n) => escapeHtml(n)).join("<br/>")}</p>`,
    "</body></html>",
    "",
  ].join("\n");
}
