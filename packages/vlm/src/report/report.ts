/**
 * report.html of `duet demo`: one self-contained file — inline CSS, inline SVG charts, images
 * as data: URIs, no script, no network — so it can be mailed, archived or opened offline and
 * still show everything. Sections (their ids are stable; tests look for them):
 *
 *   summary      what was trained on what, in how long, and the headline numbers
 *   metrics      test-split zero-shot and retrieval, beside chance and the PyTorch reference
 *   reference    where the reference numbers came from, or "not run"
 *   curves       training loss (and its moving average)
 *   accuracy     validation metrics over the run
 *   schedule     learning rate and logit scale over the run
 *   similarity   the cosine-similarity heatmap of a test batch (images vs their captions)
 *   zero-shot    test images with their top predicted classes
 *   retrieval    text-to-image examples: a caption, then the five closest test images
 *   config       the model and training configuration, the machine
 *   credits      OpenMoji's attribution (CC BY-SA 4.0)
 */

import { similarityHeatmap } from "./heatmap.js";
import { escapeHtml, formatNumber, formatPercent } from "./html.js";
import { lineChart, smooth, type Series } from "./line-chart.js";
import { REFERENCE_METRICS, type ReferenceMetric, type ReferenceRun } from "./reference.js";

export const REPORT_SECTIONS = ["summary", "metrics", "reference", "curves", "accuracy", "schedule", "similarity", "zero-shot", "retrieval", "config", "credits"] as const;

/** One logged training step. */
export interface StepPoint {
  step: number;
  loss: number;
  lr: number;
  /** exp(logit_scale), the inverse temperature. */
  logitScale: number;
}

/** Metrics of one evaluation during training (e.g. on the validation split). */
export interface EvalPoint {
  step: number;
  metrics: Readonly<Record<string, number>>;
}

/** The test-split numbers of the report (metrics.json holds the same). */
export interface HeadlineMetrics {
  zeroshot: { top1: number; top5: number; chance_top1: number; chance_top5: number; n: number; classes: number };
  retrieval: Record<Exclude<ReferenceMetric, "zeroshot_top1" | "zeroshot_top5"> | "chance_R@1" | "chance_R@5" | "chance_R@10", number> & { n_images: number; n_texts: number };
}

export interface ZeroShotExample {
  image: string;
  annotation: string;
  truth: string;
  top: readonly { label: string; probability: number }[];
}

export interface RetrievalExample {
  query: string;
  /** The rank (1-based) of the image the query describes. */
  truthRank: number;
  results: readonly { image: string; annotation: string; score: number; correct: boolean }[];
}

export interface ReportData {
  title: string;
  /** ISO time the report was written. */
  generatedAt: string;
  dataset: string;
  split: { train: number; val: number; test: number };
  /** Seconds per phase, and "total". */
  wallTime: Readonly<Record<string, number>>;
  metrics: HeadlineMetrics;
  reference: ReferenceRun | undefined;
  /** Where the reference was looked for, to tell the reader how to produce it. */
  referencePath: string;
  steps: readonly StepPoint[];
  evals: readonly EvalPoint[];
  modelConfig: unknown;
  trainConfig: Readonly<Record<string, unknown>>;
  machine: Readonly<Record<string, unknown>>;
  similarity: { images: readonly string[]; captions: readonly string[]; matrix: readonly (readonly number[])[] } | undefined;
  zeroShotExamples: readonly ZeroShotExample[];
  retrievalExamples: readonly RetrievalExample[];
  zeroShotTemplates: readonly string[];
  attributionHtml: string;
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; --accent: #1f77b4; --good: #2ca02c; --bg-soft: #f5f5f7; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted, .muted a { color: var(--muted); } code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--bg-soft); padding: 10px; overflow: auto; max-height: 420px; border-radius: 6px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; } thead th { border-bottom: 2px solid var(--fg); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { background: var(--bg-soft); border-radius: 8px; padding: 10px 14px; min-width: 170px; }
.card .big { font-size: 24px; font-weight: 600; } .card .small { color: var(--muted); font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--fg); } svg .chart-title { font-size: 13px; font-weight: 600; }
svg .muted { fill: var(--muted); } svg .grid { stroke: #ececec; } svg .axis { stroke: #888; }
svg .frame { fill: none; stroke: #bbb; } svg .diagonal { stroke: #fff; stroke-width: 1.5; }
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

function seconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "–";
  return s < 90 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const METRIC_LABELS: Record<ReferenceMetric, string> = {
  zeroshot_top1: "zero-shot top-1",
  zeroshot_top5: "zero-shot top-5",
  "text_to_image_R@1": "text→image R@1",
  "text_to_image_R@5": "text→image R@5",
  "text_to_image_R@10": "text→image R@10",
  "image_to_text_R@1": "image→text R@1",
  "image_to_text_R@5": "image→text R@5",
  "image_to_text_R@10": "image→text R@10",
};

/** Duet's value and the chance level of each metric of the table. */
function duetAndChance(m: HeadlineMetrics, name: ReferenceMetric): [number, number] {
  if (name === "zeroshot_top1") return [m.zeroshot.top1, m.zeroshot.chance_top1];
  if (name === "zeroshot_top5") return [m.zeroshot.top5, m.zeroshot.chance_top5];
  const k = name.slice(name.indexOf("@") + 1) as "1" | "5" | "10";
  return [m.retrieval[name as Exclude<ReferenceMetric, "zeroshot_top1" | "zeroshot_top5">], m.retrieval[`chance_R@${k}`]];
}

function metricsTable(data: ReportData): string {
  const ref = data.reference;
  const rows = REFERENCE_METRICS.map((name) => {
    const [duet, chance] = duetAndChance(data.metrics, name);
    const refValue = ref?.metrics[name];
    const refCell = ref === undefined ? `<td class="muted">not run</td>` : `<td>${refValue === undefined ? "–" : formatPercent(refValue)}</td>`;
    return `<tr><td>${METRIC_LABELS[name]}</td><td><b>${formatPercent(duet)}</b></td>${refCell}<td class="muted">${formatPercent(chance)}</td><td>${(duet / chance).toFixed(1)}×</td></tr>`;
  });
  const wall = `<tr><td>wall time (total)</td><td>${seconds(data.wallTime["total"])}</td><td${ref === undefined ? ' class="muted">not run' : `>${seconds(ref.wallTimeSeconds)}`}</td><td></td><td></td></tr>`;
  const z = data.metrics.zeroshot;
  const r = data.metrics.retrieval;
  return `<p>On the held-out <b>test split</b>: ${z.n} emojis never seen in training (nor in another skin tone). Zero-shot: each image is assigned one of ${z.classes} OpenMoji subgroups (“animal mammal”, “face smiling”, …), words no training caption was built from, through ${data.zeroShotTemplates.length} prompt templates. Retrieval: each emoji's caption is its annotation; ${r.n_texts} texts against ${r.n_images} images.</p>
<table><thead><tr><th>metric</th><th>Duet</th><th>PyTorch reference</th><th>chance</th><th>Duet / chance</th></tr></thead>
<tbody>${rows.join("")}${wall}</tbody></table>`;
}

function referenceSection(data: ReportData): string {
  const ref = data.reference;
  if (ref === undefined) {
    return `<p class="muted">PyTorch reference: <b>not run</b>. The reference trains the same config (same split, captions, steps, batch and schedule) with open_clip and PyTorch and writes its metrics to <code>${escapeHtml(data.referencePath)}</code>; the report shows them beside Duet's when that file exists.</p>`;
  }
  const details = [ref.description, ref.steps !== undefined ? `${ref.steps} steps` : undefined, ref.wallTimeSeconds !== undefined ? `wall time ${seconds(ref.wallTimeSeconds)}` : undefined].filter(Boolean);
  return `<p>PyTorch reference read from <code>${escapeHtml(ref.path)}</code>${details.length ? `: ${escapeHtml(details.join(", "))}` : ""}.</p>`;
}

function curves(data: ReportData): { loss: string; accuracy: string; schedule: string } {
  const lossPoints = data.steps.map((p) => [p.step, p.loss] as const);
  const loss = lineChart({
    title: "training loss",
    xLabel: "step",
    yLabel: "contrastive loss",
    series: [
      { name: "per step", points: lossPoints, color: "#9ecae1" },
      { name: "moving average", points: smooth(lossPoints), color: "#1f77b4" },
    ],
    width: 700,
    height: 300,
  });
  const names = [...new Set(data.evals.flatMap((e) => Object.keys(e.metrics)))].filter((name) => data.evals.every((e) => (e.metrics[name] ?? 0) <= 1.0001));
  const accuracySeries: Series[] = names.map((name) => ({ name, points: data.evals.filter((e) => e.metrics[name] !== undefined).map((e) => [e.step, e.metrics[name]!] as const), markers: true }));
  const accuracy = data.evals.length === 0
    ? `<p class="muted">No evaluation ran during training (the run was too short for one).</p>`
    : `<div class="charts">${lineChart({ title: "validation metrics", xLabel: "step", series: accuracySeries, yInclude: [0], yFormat: formatPercent, width: 700, height: 300 })}</div>`;
  const schedule = `<div class="charts">${lineChart({ title: "learning rate", xLabel: "step", series: [{ name: "learning rate", points: data.steps.map((p) => [p.step, p.lr] as const) }], yInclude: [0] })}${lineChart({ title: "logit scale exp(t)", xLabel: "step", series: [{ name: "logit scale exp(t)", points: data.steps.map((p) => [p.step, p.logitScale] as const), color: "#d62728" }], yInclude: [0] })}</div>
<p class="muted">The logit scale is the learned inverse temperature multiplying cosine similarities; it is clamped at 100 (ln 100 in parameter space), as in the CLIP paper.</p>`;
  return { loss: `<div class="charts">${loss}</div>`, accuracy, schedule };
}

function zeroShotExamples(data: ReportData): string {
  const cards = data.zeroShotExamples.map((ex) => {
    const items = ex.top.map((t) => `<li${t.label === ex.truth ? ' class="hit"' : ""}>${escapeHtml(t.label)} <span class="muted">${formatPercent(t.probability)}</span></li>`).join("");
    return `<div class="example"><img src="${ex.image}" alt="${escapeHtml(ex.annotation)}"><div><div><b>${escapeHtml(ex.annotation)}</b></div><div class="muted">true class: ${escapeHtml(ex.truth)}</div><ol>${items}</ol></div></div>`;
  });
  return `<p>Test emojis and the model's top classes (green: the true subgroup). The classifier was built from the class names and the templates ${data.zeroShotTemplates.map((t) => `<code>${escapeHtml(t)}</code>`).join(", ")}, never trained on these labels.</p><div class="examples">${cards.join("")}</div>`;
}

function retrievalExamples(data: ReportData): string {
  const blocks = data.retrievalExamples.map((ex) => {
    const figures = ex.results.map((r, i) => `<figure class="${r.correct ? "correct" : ""}"><img src="${r.image}" alt="${escapeHtml(r.annotation)}"><figcaption>${i + 1}. ${escapeHtml(r.annotation)}<br><span class="muted">${r.score.toFixed(3)}</span></figcaption></figure>`).join("");
    return `<div class="query"><div>“${escapeHtml(ex.query)}” <span class="muted">— the described emoji ranks #${ex.truthRank} of ${data.metrics.retrieval.n_images}</span></div><div class="row">${figures}</div></div>`;
  });
  return `<p>Text→image search over the test split: a query (an emoji's annotation), then the five closest test images (green border: the emoji the query describes).</p>${blocks.join("")}`;
}

function configSection(data: ReportData): string {
  const trainRows = Object.entries(data.trainConfig).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(typeof v === "number" ? formatNumber(v) : String(v))}</td></tr>`).join("");
  const machineRows = Object.entries(data.machine).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(String(v))}</td></tr>`).join("");
  const wallRows = Object.entries(data.wallTime).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${seconds(v)}</td></tr>`).join("");
  return `<div class="charts"><div><h3>training</h3><table>${trainRows}</table></div><div><h3>wall time</h3><table>${wallRows}</table><h3>machine</h3><table>${machineRows}</table></div></div>
<h3>model (config.json)</h3><pre>${escapeHtml(JSON.stringify(data.modelConfig, null, 2))}</pre>`;
}

export function renderReport(data: ReportData): string {
  const z = data.metrics.zeroshot;
  const r = data.metrics.retrieval;
  const { loss, accuracy, schedule } = curves(data);
  const summary = `<p>${escapeHtml(data.dataset)}: ${data.split.train} training, ${data.split.val} validation and ${data.split.test} test emojis, split by base emoji. Trained for ${data.steps.length === 0 ? 0 : data.steps[data.steps.length - 1]!.step} steps in ${seconds(data.wallTime["train"])}; ${seconds(data.wallTime["total"])} in all.</p>
<div class="cards">${card(formatPercent(z.top1), `zero-shot top-1 over ${z.classes} classes (chance ${formatPercent(z.chance_top1)})`)}${card(formatPercent(z.top5), `zero-shot top-5 (chance ${formatPercent(z.chance_top5)})`)}${card(formatPercent(r["text_to_image_R@5"]), `text→image R@5 among ${r.n_images} (chance ${formatPercent(r["chance_R@5"])})`)}${card(formatPercent(r["image_to_text_R@5"]), `image→text R@5 (chance ${formatPercent(r["chance_R@5"])})`)}${card(seconds(data.wallTime["total"]), "wall time, all phases")}</div>`;
  const similarity = data.similarity === undefined
    ? `<p class="muted">No similarity matrix (no test images).</p>`
    : `<p>Cosine similarity of ${data.similarity.images.length} test images (rows) and their captions (columns). Training pulls the diagonal (white outline) up and the rest down.</p>${similarityHeatmap(data.similarity)}`;
  const body = [
    section("summary", "Summary", summary),
    section("metrics", "Test-split metrics", metricsTable(data)),
    section("reference", "PyTorch reference", referenceSection(data)),
    section("curves", "Training loss", loss),
    section("accuracy", "Validation during training", accuracy),
    section("schedule", "Learning rate and logit scale", schedule),
    section("similarity", "Similarity matrix of a test batch", similarity),
    section("zero-shot", "Zero-shot classification examples", zeroShotExamples(data)),
    section("retrieval", "Text→image retrieval examples", retrievalExamples(data)),
    section("config", "Configuration", configSection(data)),
    section("credits", "Credits", `<p>${data.attributionHtml}</p><p class="muted">Images in this report are OpenMoji emojis rasterised by Duet; they are shared under the same licence.</p>`),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(data.title)}</h1><div class="muted">written ${escapeHtml(data.generatedAt)} by <code>duet demo</code></div></header>
${body.join("\n")}
</body>
</html>
`;
}
