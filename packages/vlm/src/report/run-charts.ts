/**
 * The charts every training run has, drawn from its logs (train_log.jsonl, eval_log.jsonl):
 *
 *   training loss   each step's loss, faint, under its centred moving average
 *   validation      the validation loss on its own axis beside the training loss's average;
 *                   retrieval and zero-shot in percent with their chance levels dashed; a table
 *   schedule        the learning rate, with the steps where the schedule was re-planned marked
 *                   (a time budget's refit, or a resume with a new length); the logit scale
 *                   on the range of its data
 */

import { escapeHtml, formatNumber, formatPercent } from "./html.js";
import { averageWindow, lineChart, movingAverage, type Series } from "./line-chart.js";

/** One logged training step. */
export interface StepPoint {
  step: number;
  loss: number;
  lr: number;
  /** exp(logit_scale), the inverse temperature. */
  logitScale: number;
}

/** One evaluation during training: eval_log.jsonl's numbers under its keys (val_loss, text_to_image_R@5, zeroshot_top1, chance_R@5, …). */
export interface EvalPoint {
  step: number;
  metrics: Readonly<Record<string, number>>;
}

/** What each eval_log key is called in the report. */
export const EVAL_LABELS: Readonly<Record<string, string>> = {
  val_loss: "validation loss",
  zeroshot_top1: "zero-shot top-1",
  zeroshot_top5: "zero-shot top-5",
  "text_to_image_R@1": "text→image R@1",
  "text_to_image_R@5": "text→image R@5",
  "text_to_image_R@10": "text→image R@10",
  "image_to_text_R@1": "image→text R@1",
  "image_to_text_R@5": "image→text R@5",
  "image_to_text_R@10": "image→text R@10",
};

/** The percent curves of the validation chart, each with its colour. */
const PERCENT_CURVES: readonly [string, string][] = [
  ["zeroshot_top1", "#2ca02c"],
  ["zeroshot_top5", "#98df8a"],
  ["text_to_image_R@5", "#1f77b4"],
  ["image_to_text_R@5", "#9467bd"],
];

/** Chance levels, dashed: the retrieval's and zero-shot's (under either name the logs have used). */
const CHANCE_CURVES: readonly [string[], string, string][] = [
  [["chance_R@5"], "chance R@5", "#7f7f7f"],
  [["zeroshot_chance_top1", "chance_top1"], "zero-shot chance top-1", "#bcbd22"],
];

function curveOf(evals: readonly EvalPoint[], keys: readonly string[]): [number, number][] {
  return evals.flatMap((e) => {
    const key = keys.find((k) => e.metrics[k] !== undefined);
    return key === undefined ? [] : [[e.step, e.metrics[key]!] as [number, number]];
  });
}

/**
 * The steps at which the learning rate jumped. Warmup and cosine change it smoothly, so each
 * step's change is close to the mean of its neighbours' (on a cosine lr = b/2 (1 + cos ωt) the
 * gap is ω²/2 of the change itself, a few percent for any run of more than a handful of
 * steps; where warmup meets the cosine it is half); a change farther from that mean than the
 * larger neighbouring change, by a visible amount, is a jump. The trainer makes one when it
 * re-plans the schedule: a time budget refitting the run's length, or a resumed run given a
 * new length; the rest of the cosine then starts from a new point.
 */
export function scheduleJumps(steps: readonly StepPoint[]): number[] {
  const top = Math.max(0, ...steps.map((s) => Math.abs(s.lr)));
  if (!(top > 0)) return [];
  // change[i]: lr(i) - lr(i - 1), NaN across a gap in the log (NaN comparisons are false: no jump)
  const change = steps.map((s, i) => (i > 0 && s.step === steps[i - 1]!.step + 1 ? s.lr - steps[i - 1]!.lr : NaN));
  const jumps: number[] = [];
  // a change with a change on each side (at the ends a short schedule's kink looks alike)
  for (let i = 2; i < steps.length - 1; i++) {
    const [before, here, after] = [change[i - 1]!, change[i]!, change[i + 1]!];
    const offTrend = Math.abs(here - (before + after) / 2);
    if (offTrend > 0.005 * top && offTrend > Math.max(Math.abs(before), Math.abs(after))) jumps.push(steps[i]!.step);
  }
  return jumps;
}

export function trainingLossSection(steps: readonly StepPoint[]): string {
  const points = steps.map((p) => [p.step, p.loss] as const);
  const window = averageWindow(points.length);
  const average = movingAverage(points, window);
  const chart = lineChart({
    title: "training loss",
    xLabel: "step",
    yLabel: "contrastive loss",
    series: [
      { name: "per step", points, color: "#9ecae1", faint: true },
      { name: `moving average (centred, ${window} steps)`, points: average, color: "#1f77b4" },
    ],
    width: 700,
    height: 300,
  });
  return `<div class="charts">${chart}</div>
<p class="muted">Each step's loss is on its own batch, so it jumps about; the average over the ${window} steps around each step shows the trend without lagging behind it.</p>`;
}

export function validationSection(evals: readonly EvalPoint[], steps: readonly StepPoint[], dataName: string | undefined): string {
  if (evals.length === 0) {
    return `<p class="muted">No evaluation ran during training. <code>duet train --eval-every N</code> scores the model every N steps on held-out data: OpenMoji's val split when training on OpenMoji's train split, else the manifest given as <code>--val-data F</code>.</p>`;
  }
  const charts: string[] = [];
  const valLoss = curveOf(evals, ["val_loss"]);
  if (valLoss.length > 0) {
    const trainAverage = movingAverage(steps.map((p) => [p.step, p.loss] as const));
    charts.push(lineChart({
      title: "validation loss",
      xLabel: "step",
      yLabel: "contrastive loss",
      series: [
        { name: "validation loss", points: valLoss, color: "#d62728", markers: true },
        { name: "training loss (moving average)", points: trainAverage, color: "#9ecae1", dashed: true },
      ],
      width: 520,
      height: 280,
    }));
  }
  const percent: Series[] = [
    ...PERCENT_CURVES.map(([key, color]) => ({ name: EVAL_LABELS[key]!, points: curveOf(evals, [key]), color, markers: true })),
    ...CHANCE_CURVES.map(([keys, name, color]) => ({ name, points: curveOf(evals, keys), color, dashed: true })),
  ].filter((s) => s.points.length > 0);
  if (percent.length > 0) {
    charts.push(lineChart({ title: "retrieval and zero-shot", xLabel: "step", series: percent, yInclude: [0], yFormat: formatPercent, width: 520, height: 280 }));
  }
  const columns = ["val_loss", ...Object.keys(EVAL_LABELS).filter((k) => k !== "val_loss")].filter((key) => evals.some((e) => e.metrics[key] !== undefined));
  const cell = (key: string, v: number | undefined) => (v === undefined ? "–" : key === "val_loss" ? formatNumber(v) : formatPercent(v));
  const table = `<table><thead><tr><th>step</th>${columns.map((k) => `<th>${escapeHtml(EVAL_LABELS[k]!)}</th>`).join("")}</tr></thead>
<tbody>${evals.map((e) => `<tr><td>${e.step}</td>${columns.map((k) => `<td>${cell(k, e.metrics[k])}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  const on = dataName === undefined ? "held-out data" : `<code>${escapeHtml(dataName)}</code>`;
  return `<p>Every evaluation during training, on ${on}: the validation loss (the training loss's own measure, at the run's batch size), retrieval both ways among the held-out images and their captions, and zero-shot classification where the data has classes. Dashed: chance.</p>
<div class="charts">${charts.join("")}</div>
${table}`;
}

export function scheduleSection(steps: readonly StepPoint[]): string {
  const jumps = scheduleJumps(steps);
  const lr = lineChart({
    title: "learning rate",
    xLabel: "step",
    series: [{ name: "learning rate", points: steps.map((p) => [p.step, p.lr] as const) }],
    yInclude: [0],
    marks: jumps.map((x) => ({ x, label: "re-planned" })),
  });
  const scale = lineChart({ title: "logit scale exp(t)", xLabel: "step", series: [{ name: "logit scale exp(t)", points: steps.map((p) => [p.step, p.logitScale] as const), color: "#d62728" }] });
  const explained = jumps.length === 0
    ? ""
    : `<p>The learning rate jumps at step${jumps.length > 1 ? "s" : ""} ${jumps.join(", ")} (dotted): there the run's length was planned again and the rest of the cosine schedule was recomputed for the new length. A time budget does this: the trainer times its steps and refits how many fit, a few steps in and at 30% and 60% of the run (its log says <code>time budget: N steps fit in M min</code>), so the schedule ends when the budget does. A resumed run given a new length does it too.</p>`;
  return `<div class="charts">${lr}${scale}</div>
${explained}
<p class="muted">Warmup, then cosine decay to 0. The logit scale is the learned inverse temperature multiplying cosine similarities; it is clamped at 100 (ln 100 in parameter space), as in the CLIP paper.</p>`;
}
