/**
 * report.html of a training run (`duet report RUN`, and `duet demo`, whose report is the same
 * plus its test-split sections): one self-contained file — inline CSS, inline SVG charts,
 * images as data: URIs, no script, no network — so it can be mailed, archived or opened
 * offline and still show everything. Sections (their ids are stable; tests look for them):
 *
 *   contents     links to the sections below
 *   summary      what was trained on what, in how long, and the headline numbers
 *   metrics      (demo) test-split zero-shot and retrieval, beside chance and the PyTorch reference
 *   captioning   (demo --model coca) the decoder's captions of test emojis, scored beside two baselines
 *   reference    (demo) where the reference numbers came from, or "not run"
 *   curves       training loss and its centred moving average
 *   accuracy     validation during training: the loss, retrieval, zero-shot, a table
 *   schedule     learning rate (re-planned steps marked) and logit scale over the run
 *   similarity   (demo) the cosine-similarity heatmap of a test batch
 *   zero-shot    (demo) test images with their top predicted classes
 *   retrieval    (demo) text-to-image examples: a caption, then the five closest test images
 *   config       the model and training configuration, wall time, the machine
 *   credits      the data's attribution (OpenMoji's CC BY-SA 4.0), when there is one
 */

import { escapeHtml, formatNumber, formatPercent } from "./html.js";
import { movingAverage } from "./line-chart.js";
import { scheduleSection, trainingLossSection, validationSection, type EvalPoint, type StepPoint } from "./run-charts.js";
import { captionSection } from "./caption-section.js";
import { stylesSection, transferSection } from "./styles-section.js";
import { metricsTable, referenceSection, retrievalSection, seconds, similaritySection, zeroShotSection, type TestReport } from "./test-sections.js";

export type { EvalPoint, StepPoint } from "./run-charts.js";
export type { HeadlineMetrics, RetrievalExample, TestReport, ZeroShotExample } from "./test-sections.js";

export const REPORT_SECTIONS = ["contents", "summary", "metrics", "styles", "transfer", "reference", "curves", "accuracy", "schedule", "similarity", "zero-shot", "retrieval", "config", "credits"] as const;
/** The section a CoCa's demo report adds (after "metrics"); a CLIP has no decoder to caption with. */
export const CAPTIONING_SECTION = "captioning";
/** The sections of every run's report (the rest are the demo's test split, and credits where the data has an attribution). */
export const RUN_SECTIONS = ["contents", "summary", "curves", "accuracy", "schedule", "config"] as const;

export interface ReportData {
  title: string;
  /** ISO time the report was written. */
  generatedAt: string;
  /** The command that wrote it: "duet report", "duet demo". */
  generator: string;
  /** What the model was trained on, in words. */
  dataset: string;
  steps: readonly StepPoint[];
  evals: readonly EvalPoint[];
  /** The held-out data the evaluations ran on (eval_log.jsonl's "data"). */
  evalData?: string;
  modelConfig: unknown;
  trainConfig: Readonly<Record<string, unknown>>;
  /** Seconds per phase ("train", …) and "total", as far as they are known. */
  wallTime: Readonly<Record<string, number>>;
  machine?: Readonly<Record<string, unknown>>;
  /** The demo's evaluation on OpenMoji's test split. */
  test?: TestReport;
  /** The training data's attribution (HTML), shown under Credits. */
  attributionHtml?: string;
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; --accent: #1f77b4; --good: #2ca02c; --bg-soft: #f5f5f7; }
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
section { scroll-margin-top: 12px; }
.muted, .muted a { color: var(--muted); } code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--bg-soft); padding: 10px; overflow: auto; max-height: 420px; border-radius: 6px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; } thead th { border-bottom: 2px solid var(--fg); }
#contents h2 { display: none; } #contents ol { columns: 3 180px; margin: 12px 0 0; padding: 10px 14px 10px 34px; background: var(--bg-soft); border-radius: 8px; }
#contents a { color: var(--accent); text-decoration: none; } #contents a:hover { text-decoration: underline; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { background: var(--bg-soft); border-radius: 8px; padding: 10px 14px; min-width: 170px; }
.card .big { font-size: 24px; font-weight: 600; } .card .small { color: var(--muted); font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--fg); } svg .chart-title { font-size: 13px; font-weight: 600; }
svg .muted { fill: var(--muted); } svg .grid { stroke: #ececec; } svg .axis { stroke: #888; }
svg .frame { fill: none; stroke: #bbb; } svg .diagonal { stroke: #fff; stroke-width: 1.5; }
svg .mark { stroke: #e6550d; stroke-width: 1.2; } svg .mark-label { fill: #e6550d; font-size: 10px; }
.examples { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.example { border: 1px solid var(--line); border-radius: 8px; padding: 8px; display: flex; gap: 10px; }
.example img { width: 64px; height: 64px; flex: none; border: 1px solid #eee; }
.example ol { margin: 0; padding-left: 18px; font-size: 13px; } .hit { color: var(--good); font-weight: 600; }
.query { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin: 8px 0; }
.query .row { display: flex; gap: 10px; flex-wrap: wrap; } .query figure { margin: 0; text-align: center; width: 86px; font-size: 11px; }
.query figure img { width: 64px; height: 64px; border: 2px solid transparent; } .query figure.correct img { border-color: var(--good); }
`;

function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

function card(big: string, small: string): string {
  return `<div class="card"><div class="big">${big}</div><div class="small">${small}</div></div>`;
}

function lastOf(evals: readonly EvalPoint[], ...keys: string[]): number | undefined {
  for (let i = evals.length - 1; i >= 0; i--) for (const key of keys) if (evals[i]!.metrics[key] !== undefined) return evals[i]!.metrics[key];
  return undefined;
}

function summary(data: ReportData): string {
  const done = data.steps.length === 0 ? 0 : data.steps[data.steps.length - 1]!.step;
  const test = data.test;
  if (test !== undefined) {
    const z = test.metrics.zeroshot;
    const r = test.metrics.retrieval;
    return `<p>${escapeHtml(data.dataset)}: ${test.split.train} training, ${test.split.val} validation and ${test.split.test} test emojis, split by base emoji. Trained for ${done} steps in ${seconds(data.wallTime["train"])}; ${seconds(data.wallTime["total"])} in all.</p>
<div class="cards">${card(formatPercent(z.top1), `zero-shot top-1 over ${z.classes} classes (chance ${formatPercent(z.chance_top1)})`)}${card(formatPercent(z.top5), `zero-shot top-5 (chance ${formatPercent(z.chance_top5)})`)}${card(formatPercent(r["text_to_image_R@5"]), `text→image R@5 among ${r.n_images} (chance ${formatPercent(r["chance_R@5"])})`)}${card(formatPercent(r["image_to_text_R@5"]), `image→text R@5 (chance ${formatPercent(r["chance_R@5"])})`)}${test.captioning === undefined ? "" : card(test.captioning.model.ciderD.toFixed(3), `CIDEr-D of the captions (baselines ${test.captioning.retrieval.ciderD.toFixed(3)} retrieval, ${test.captioning.mostFrequent.ciderD.toFixed(3)} most frequent)`)}${card(seconds(data.wallTime["total"]), "wall time, all phases")}</div>`;
  }
  const planned = data.trainConfig["steps"];
  const model = data.trainConfig["model"];
  const batch = data.trainConfig["batchSize"];
  const finalAverage = movingAverage(data.steps.map((p) => [p.step, p.loss] as const)).at(-1)?.[1];
  const cards = [card(finalAverage === undefined ? "–" : formatNumber(finalAverage), "training loss at the end (moving average)")];
  const valLoss = lastOf(data.evals, "val_loss");
  if (valLoss !== undefined) cards.push(card(formatNumber(valLoss), "validation loss, last evaluation"));
  const recall = lastOf(data.evals, "text_to_image_R@5");
  if (recall !== undefined) cards.push(card(formatPercent(recall), `text→image R@5 (chance ${formatPercent(lastOf(data.evals, "chance_R@5") ?? NaN)})`));
  const top1 = lastOf(data.evals, "zeroshot_top1");
  if (top1 !== undefined) cards.push(card(formatPercent(top1), `zero-shot top-1 (chance ${formatPercent(lastOf(data.evals, "zeroshot_chance_top1", "chance_top1") ?? NaN)})`));
  cards.push(card(seconds(data.wallTime["train"]), "training time"));
  const what = [
    typeof model === "string" ? `the <code>${escapeHtml(model)}</code> model` : "a model",
    `trained for ${done} step${done === 1 ? "" : "s"}`,
    typeof planned === "number" && planned !== done ? `(of ${planned} planned)` : "",
    typeof batch === "number" ? `at batch ${batch}` : "",
    `in ${seconds(data.wallTime["train"])}`,
  ].filter(Boolean).join(" ");
  const evaluated = data.evals.length === 0 ? "No evaluation ran during training." : `${data.evals.length} evaluation${data.evals.length === 1 ? "" : "s"} on ${escapeHtml(data.evalData ?? "held-out data")}; the last at step ${data.evals[data.evals.length - 1]!.step}.`;
  return `<p>${escapeHtml(data.dataset)}: ${what}. ${evaluated}</p>\n<div class="cards">${cards.join("")}</div>`;
}

function configSection(data: ReportData): string {
  const rows = (entries: Readonly<Record<string, unknown>>, format: (v: unknown) => string) => Object.entries(entries).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(format(v))}</td></tr>`).join("");
  const value = (v: unknown) => (typeof v === "number" ? formatNumber(v) : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  const machine = data.machine === undefined ? "" : `<h3>machine</h3><table>${rows(data.machine, String)}</table>`;
  return `<div class="charts"><div><h3>training</h3><table>${rows(data.trainConfig, value)}</table></div><div><h3>wall time</h3><table>${Object.entries(data.wallTime).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${seconds(v)}</td></tr>`).join("")}</table>${machine}</div></div>
<h3>model (config.json)</h3><pre>${escapeHtml(JSON.stringify(data.modelConfig, null, 2))}</pre>`;
}

export function renderReport(data: ReportData): string {
  const test = data.test;
  const sections: [string, string, string][] = [["summary", "Summary", summary(data)]];
  if (test !== undefined) {
    sections.push(["metrics", "Test-split metrics", metricsTable(test, data.wallTime["total"])]);
    if (test.captioning !== undefined) sections.push([CAPTIONING_SECTION, "Captioning held-out emojis", captionSection(test.captioning)]);
    if (test.styles !== undefined) sections.push(["styles", "Every drawing style", stylesSection(test.styles, test.captions)]);
    if (test.transfer !== undefined) sections.push(["transfer", "Transfer to an unseen drawing style", transferSection(test.transfer.table, test.transfer.path)]);
    sections.push(["reference", "PyTorch reference", referenceSection(test)]);
  }
  sections.push(
    ["curves", "Training loss", trainingLossSection(data.steps)],
    ["accuracy", "Validation during training", validationSection(data.evals, data.steps, data.evalData)],
    ["schedule", "Learning rate and logit scale", scheduleSection(data.steps)],
  );
  if (test !== undefined) {
    sections.push(
      ["similarity", "Similarity matrix of a test batch", similaritySection(test)],
      ["zero-shot", "Zero-shot classification examples", zeroShotSection(test)],
      ["retrieval", "Text→image retrieval examples", retrievalSection(test)],
    );
  }
  sections.push(["config", "Configuration", configSection(data)]);
  if (data.attributionHtml !== undefined) {
    sections.push(["credits", "Credits", `<p>${data.attributionHtml}</p>${test === undefined ? "" : `<p class="muted">Images in this report are OpenMoji emojis rasterised by Duet; they are shared under the same licence.</p>`}`]);
  }
  const contents = `<ol>${sections.map(([id, title]) => `<li><a href="#${id}">${escapeHtml(title)}</a></li>`).join("")}</ol>`;
  const body = [section("contents", "Contents", contents), ...sections.map(([id, title, html]) => section(id, title, html))];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(data.generator)}">
<title>${escapeHtml(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(data.title)}</h1><div class="muted">written ${escapeHtml(data.generatedAt)} by <code>${escapeHtml(data.generator)}</code></div></header>
${body.join("\n")}
</body>
</html>
`;
}
