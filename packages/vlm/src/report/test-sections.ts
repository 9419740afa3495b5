/**
 * The sections of a report that only `duet demo` has: it evaluates its checkpoint on
 * OpenMoji's held-out test split, so it can show the test numbers beside chance and the
 * PyTorch reference, the similarity matrix of a test batch, zero-shot predictions and
 * text→image searches.
 */

import type { CaptionReport } from "./caption-section.js";
import { similarityHeatmap } from "./heatmap.js";
import { escapeHtml, formatPercent } from "./html.js";
import { REFERENCE_METRICS, type ReferenceMetric, type ReferenceRun } from "./reference.js";
import type { StyleMetrics, TransferTable } from "./styles-section.js";
import { EVAL_LABELS } from "./run-charts.js";

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

/** What the demo adds to a run's report. */
export interface TestReport {
  split: { train: number; val: number; test: number };
  metrics: HeadlineMetrics;
  reference: ReferenceRun | undefined;
  /** Where the reference was looked for, to tell the reader how to produce it. */
  referencePath: string;
  similarity: { images: readonly string[]; captions: readonly string[]; matrix: readonly (readonly number[])[] } | undefined;
  zeroShotExamples: readonly ZeroShotExample[];
  retrievalExamples: readonly RetrievalExample[];
  zeroShotTemplates: readonly string[];
  /** The test split in every drawing style trained on (styles-section.ts). */
  styles?: readonly StyleMetrics[];
  /** Distinct captions a training emoji has, on average. */
  captions?: { meanDistinct: number };
  /** The run shown, to tell whether the reference replays it (same data, steps, batch and seed). */
  run?: { data: string; steps: number; batchSize: number; seed: number };
  /** The leave-one-style-out table of a committed run, and where it was looked for. */
  transfer?: { table: TransferTable | undefined; path: string };
  /** A CoCa's captions of the test split, beside the two baselines (caption-section.ts). */
  captioning?: CaptionReport;
}

export function seconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "–";
  return s < 90 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}



/** Duet's value and the chance level of each metric of the table. */
function duetAndChance(m: HeadlineMetrics, name: ReferenceMetric): [number, number] {
  if (name === "zeroshot_top1") return [m.zeroshot.top1, m.zeroshot.chance_top1];
  if (name === "zeroshot_top5") return [m.zeroshot.top5, m.zeroshot.chance_top5];
  const k = name.slice(name.indexOf("@") + 1) as "1" | "5" | "10";
  return [m.retrieval[name as Exclude<ReferenceMetric, "zeroshot_top1" | "zeroshot_top5">], m.retrieval[`chance_R@${k}`]];
}

/** Whether the reference replays the run shown; else what run it belongs to, for the column's header. */
export function referenceMatch(test: TestReport): { same: boolean; other: string } {
  const ref = test.reference;
  const run = test.run;
  if (ref === undefined) return { same: false, other: "" };
  const same = run !== undefined && ref.data === run.data && ref.steps === run.steps && ref.batchSize === run.batchSize && ref.seed === run.seed;
  const other = [ref.data, ref.steps !== undefined ? `${ref.steps} steps` : undefined, ref.batchSize !== undefined ? `batch ${ref.batchSize}` : undefined, ref.seed !== undefined ? `seed ${ref.seed}` : undefined].filter(Boolean).join(", ");
  return { same, other };
}

export function metricsTable(test: TestReport, totalSeconds: number | undefined): string {
  const ref = test.reference;
  const match = referenceMatch(test);
  const refHeader = ref === undefined || match.same ? "PyTorch reference" : `PyTorch reference of another run (${escapeHtml(match.other || "unknown")})`;
  const rows = REFERENCE_METRICS.map((name) => {
    const [duet, chance] = duetAndChance(test.metrics, name);
    const refValue = ref?.metrics[name];
    const refCell = ref === undefined ? `<td class="muted">not run</td>` : `<td>${refValue === undefined ? "–" : formatPercent(refValue)}</td>`;
    return `<tr><td>${EVAL_LABELS[name]}</td><td><b>${formatPercent(duet)}</b></td>${refCell}<td class="muted">${formatPercent(chance)}</td><td>${(duet / chance).toFixed(1)}×</td></tr>`;
  });
  const wall = `<tr><td>wall time (total)</td><td>${seconds(totalSeconds)}</td><td${ref === undefined ? ' class="muted">not run' : `>${seconds(ref.wallTimeSeconds)}`}</td><td></td><td></td></tr>`;
  const z = test.metrics.zeroshot;
  const r = test.metrics.retrieval;
  return `<p>On the held-out <b>test split</b>: ${z.n} emojis never seen in training (nor in another skin tone). Zero-shot: each image is assigned one of ${z.classes} OpenMoji subgroups (“animal mammal”, “face smiling”, …), words no training caption was built from, through ${test.zeroShotTemplates.length} prompt templates. Retrieval: each emoji's caption is its annotation; ${r.n_texts} texts against ${r.n_images} images.</p>
<table><thead><tr><th>metric</th><th>Duet</th><th>${refHeader}</th><th>chance</th><th>Duet / chance</th></tr></thead>
<tbody>${rows.join("")}${wall}</tbody></table>`;
}

export function referenceSection(test: TestReport): string {
  const ref = test.reference;
  if (ref === undefined) {
    return `<p class="muted">PyTorch reference: <b>not run</b>. The reference trains the same config (same split, captions, steps, batch and schedule) with open_clip and PyTorch and writes its metrics to <code>${escapeHtml(test.referencePath)}</code>; the report shows them beside Duet's when that file exists.</p>`;
  }
  const details = [ref.description, ref.steps !== undefined ? `${ref.steps} steps` : undefined, ref.wallTimeSeconds !== undefined ? `wall time ${seconds(ref.wallTimeSeconds)}` : undefined].filter(Boolean);
  const match = referenceMatch(test);
  const which = match.same
    ? "It replays this run: the same data, steps, batch and seed."
    : `It replays <b>another run</b> (${escapeHtml(match.other || "unknown")}), not this one, so its numbers are context, not a comparison: <code>tools/reference-run.sh</code> on this run folder makes a matching one.`;
  return `<p>PyTorch reference read from <code>${escapeHtml(test.referencePath)}</code>${details.length ? `: ${escapeHtml(details.join(", "))}` : ""}. ${which}</p>`;
}

export function similaritySection(test: TestReport): string {
  if (test.similarity === undefined) return `<p class="muted">No similarity matrix (no test images).</p>`;
  return `<p>Cosine similarity of ${test.similarity.images.length} test images (rows) and their captions (columns). Training pulls the diagonal (white outline) up and the rest down.</p>${similarityHeatmap(test.similarity)}`;
}

export function zeroShotSection(test: TestReport): string {
  const cards = test.zeroShotExamples.map((ex) => {
    const items = ex.top.map((t) => `<li${t.label === ex.truth ? ' class="hit"' : ""}>${escapeHtml(t.label)} <span class="muted">${formatPercent(t.probability)}</span></li>`).join("");
    return `<div class="example"><img src="${ex.image}" alt="${escapeHtml(ex.annotation)}"><div><div><b>${escapeHtml(ex.annotation)}</b></div><div class="muted">true class: ${escapeHtml(ex.truth)}</div><ol>${items}</ol></div></div>`;
  });
  return `<p>Test emojis and the model's top classes (green: the true subgroup). The classifier was built from the class names and the templates ${test.zeroShotTemplates.map((t) => `<code>${escapeHtml(t)}</code>`).join(", ")}, never trained on these labels.</p><div class="examples">${cards.join("")}</div>`;
}

export function retrievalSection(test: TestReport): string {
  const blocks = test.retrievalExamples.map((ex) => {
    const figures = ex.results.map((r, i) => `<figure class="${r.correct ? "correct" : ""}"><img src="${r.image}" alt="${escapeHtml(r.annotation)}"><figcaption>${i + 1}. ${escapeHtml(r.annotation)}<br><span class="muted">${r.score.toFixed(3)}</span></figcaption></figure>`).join("");
    return `<div class="query"><div>“${escapeHtml(ex.query)}” <span class="muted">— the described emoji ranks #${ex.truthRank} of ${test.metrics.retrieval.n_images}</span></div><div class="row">${figures}</div></div>`;
  });
  return `<p>Text→image search over the test split: a query (an emoji's annotation), then the five closest test images (green border: the emoji the query describes).</p>${blocks.join("")}`;
}
