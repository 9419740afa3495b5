/** The report module on its own: charts, the heatmap, PNG data URIs, the reference reader, renderReport. */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cosineLr } from "../../packages/nn/src/index.js";
import { createImage, decodeImage } from "../../packages/vlm/src/image/index.js";
import {
  escapeHtml,
  formatNumber,
  lineChart,
  movingAverage,
  niceTicks,
  pngBytes,
  readReferenceRun,
  renderReport,
  REPORT_SECTIONS,
  RUN_SECTIONS,
  scheduleJumps,
  similarityHeatmap,
  type ReportData,
  type StepPoint,
} from "../../packages/vlm/src/report/index.js";
import { tempFolder } from "./data-helpers.js";
import { referenceMatch } from "../../packages/vlm/src/report/test-sections.js";

const folder = tempFolder("cli-report");

/** The <svg> of the chart titled `title` in a report. */
function chartOf(html: string, title: string): string {
  const svg = new RegExp(`<svg class="chart"[^>]*aria-label="${title.replace(/[()]/g, "\\$&")}"[^>]*>.*?</svg>`, "s").exec(html)?.[0];
  if (svg === undefined) throw new Error(`no chart "${title}" in the report`);
  return svg;
}

/** The bottom edge of a chart's plot frame. */
function frameBottom(svg: string): number {
  const m = /<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" class="frame"\/>/.exec(svg)!;
  return Number(m[1]) + Number(m[2]);
}

/** A run's steps, the learning rate from warmup + cosine re-planned to `refit.steps` before step `refit.at` (0-based), as the trainer does. */
function scheduledSteps(total: number, warmup: number, refit?: { at: number; steps: number }): StepPoint[] {
  const first = cosineLr(2e-3, warmup, total);
  const second = refit === undefined ? first : cosineLr(2e-3, warmup, refit.steps);
  return Array.from({ length: refit?.steps ?? total }, (_, s) => ({ step: s + 1, loss: 5 - s / 100, lr: (refit !== undefined && s >= refit.at ? second : first)(s), logitScale: 14.2 + s / 1000 }));
}

describe("report pieces", () => {
  it("niceTicks gives round steps covering the range, whole ones for steps", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3.2, 4.7, 5)).toEqual([3.5, 4, 4.5]);
    expect(niceTicks(2, 2).length).toBeGreaterThan(1); // a flat series still gets an axis
    expect(niceTicks(1, 4, 6, true)).toEqual([1, 2, 3, 4]);
    expect(niceTicks(0, 12, 5, true)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });

  it("formats numbers and escapes text", () => {
    expect(formatNumber(0.0005)).toBe("5e-4");
    expect(formatNumber(0.00015)).toBe("1.5e-4");
    expect(formatNumber(12.3456)).toBe("12.35");
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  });

  it("the moving average is centred: a straight line comes back unchanged (no lag), whatever the window", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: 1, max: 31 }), (n, intercept, slope, window) => {
        const line = Array.from({ length: n }, (_, i) => [i + 1, intercept + slope * (i + 1)] as const);
        movingAverage(line, window).forEach(([x, y], i) => {
          expect(x).toBe(line[i]![0]);
          expect(y).toBeCloseTo(line[i]![1], 9);
        });
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it("the moving average of a falling, noisy loss sits on the points, not above them", () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.4;
    const loss = Array.from({ length: 400 }, (_, i) => [i + 1, 5 * Math.exp(-i / 120) + noise()] as const);
    const average = movingAverage(loss);
    const bias = average.reduce((s, [, y], i) => s + (y - loss[i]![1]), 0) / loss.length;
    expect(Math.abs(bias), `mean of average - loss: ${bias}`).toBeLessThan(0.01);
  });

  it("lineChart draws one polyline per series, its legend below the plot (never over the curves), and says so when there is no data", () => {
    const svg = lineChart({ title: "loss <1>", xLabel: "step", series: [{ name: "a", points: [[0, 1], [1, 2]] }, { name: "b", points: [[0, 3]] }] });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("loss &lt;1&gt;");
    const legendYs = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" dy="0.32em" class="legend">/g)].map((m) => Number(m[1]));
    expect(legendYs).toHaveLength(2);
    for (const y of legendYs) expect(y).toBeGreaterThan(frameBottom(svg) + 20); // below the x axis's ticks and label
    expect(lineChart({ title: "t", xLabel: "x", series: [] })).toContain("no data");
  });

  it("many series wrap their legend into rows, and the chart grows to hold them", () => {
    const series = Array.from({ length: 8 }, (_, i) => ({ name: `a rather long series name ${i}`, points: [[0, i], [1, i + 1]] as [number, number][] }));
    const svg = lineChart({ title: "t", xLabel: "x", series, width: 540, height: 260 });
    const ys = [...svg.matchAll(/y="([\d.]+)" dy="0.32em" class="legend"/g)].map((m) => Number(m[1]));
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    expect(new Set(ys).size).toBeGreaterThan(1);
    expect(Math.max(...ys)).toBeLessThan(height);
    expect(height).toBeGreaterThan(260);
  });

  it("the heatmap has a cell per pair and outlines the diagonal", () => {
    const svg = similarityHeatmap({ matrix: [[1, 0], [0.5, 0.9]], images: ["data:a", "data:b"], captions: ["x", "y"] });
    expect(svg.match(/<rect x="\d+" y="\d+" width="30"/g)).toHaveLength(4);
    expect(svg.match(/class="diagonal"/g)).toHaveLength(2);
  });

  it("pngBytes round-trips an RGB image", () => {
    const image = createImage(3, 2);
    image.data.set([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9, 1, 2, 3, 200, 100, 50]);
    const decoded = decodeImage(pngBytes(image));
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    expect([...decoded.data]).toEqual([...image.data]);
  });
});

describe("scheduleJumps", () => {
  it("finds no jump in a warmup + cosine schedule of any length", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 600 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (total, warmupShare) => {
        expect(scheduleJumps(scheduledSteps(total, Math.floor(total * warmupShare)))).toEqual([]);
      }),
      { seed: 5, numRuns: 120 },
    );
  });

  it("finds the step where a time budget re-planned the run (the demo's refits: a few steps in, then at 30% and 60%)", () => {
    expect(scheduleJumps(scheduledSteps(400, 40, { at: 120, steps: 300 }))).toEqual([121]);
    expect(scheduleJumps(scheduledSteps(400, 40, { at: 240, steps: 520 }))).toEqual([241]);
    // a one-minute demo: fitted to 34 steps, then refitted to 27 before step 21 (its log's lr drops 5.3e-4 there, 0.9e-4 and 2.6e-4 around)
    expect(scheduleJumps(scheduledSteps(34, 15, { at: 20, steps: 27 }))).toEqual([21]);
  });
});

describe("readReferenceRun", () => {
  it("reads metrics at the top level, nested, or under open_clip's names; undefined when absent or empty", () => {
    const flat = folder.write("flat.json", JSON.stringify({ top1: 0.5, top5: 0.8, "text_to_image_R@1": 0.1, wall_time_s: 60, steps: 400 }));
    expect(readReferenceRun(flat)).toMatchObject({ metrics: { zeroshot_top1: 0.5, zeroshot_top5: 0.8, "text_to_image_R@1": 0.1 }, wallTimeSeconds: 60, steps: 400 });
    const nested = folder.write("nested.json", JSON.stringify({ test: { zeroshot: { top1: 0.25, chance_top1: 0.01 }, retrieval: { "image_to_text_R@10": 0.4, "chance_R@10": 0.02 } } }));
    expect(readReferenceRun(nested)?.metrics).toEqual({ zeroshot_top1: 0.25, "image_to_text_R@10": 0.4 });
    expect(readReferenceRun(folder.write("empty.json", "{}"))).toBeUndefined();
    expect(readReferenceRun(folder.write("broken.json", "{"))).toBeUndefined();
    expect(readReferenceRun(`${folder.dir}/absent.json`)).toBeUndefined();
  });
});

describe("renderReport", () => {
  const evals = [10, 20, 30].map((step, i) => ({ step, metrics: { val_loss: 4.8 - i / 10, "text_to_image_R@5": 0.02 + i / 50, "image_to_text_R@5": 0.03 + i / 50, zeroshot_top1: 0.01 * i, "chance_R@5": 0.013, zeroshot_chance_top1: 0.0084 } }));
  const run: ReportData = {
    title: "t",
    generatedAt: "now",
    generator: "duet report",
    dataset: "OpenMoji train (3564 emojis at 32px)",
    steps: scheduledSteps(400, 40, { at: 120, steps: 300 }),
    evals,
    evalData: "openmoji:val",
    modelConfig: { embed_dim: 8 },
    trainConfig: { model: "demo", steps: 300, batchSize: 128 },
    wallTime: { train: 60 },
  };
  const demo: ReportData = {
    ...run,
    generator: "duet demo",
    wallTime: { train: 1, total: 2 },
    machine: { cores: 2 },
    attributionHtml: "OpenMoji CC BY-SA 4.0",
    test: {
      split: { train: 8, val: 1, test: 2 },
      metrics: {
        zeroshot: { top1: 0.5, top5: 1, chance_top1: 0.25, chance_top5: 1, n: 2, classes: 4 },
        retrieval: {
          "text_to_image_R@1": 0.5, "text_to_image_R@5": 1, "text_to_image_R@10": 1, "image_to_text_R@1": 0, "image_to_text_R@5": 1, "image_to_text_R@10": 1,
          "chance_R@1": 0.5, "chance_R@5": 1, "chance_R@10": 1, n_images: 2, n_texts: 2,
        },
      },
      reference: undefined,
      referencePath: "bench/results/reference-train.json",
      similarity: { images: ["data:image/png;base64,AA==", "data:image/png;base64,AA=="], captions: ["a & b", "c"], matrix: [[0.9, 0.1], [0.2, 0.8]] },
      zeroShotExamples: [{ image: "data:image/png;base64,AA==", annotation: "cat", truth: "animal", top: [{ label: "animal", probability: 0.9 }] }],
      retrievalExamples: [{ query: "cat", truthRank: 1, results: [{ image: "data:image/png;base64,AA==", annotation: "cat", score: 0.9, correct: true }] }],
      zeroShotTemplates: ["{}"],
      styles: ["openmoji", "noto"].map((style) => ({
        style, images: 2, zeroshot_top1: 0.5, zeroshot_top5: 1, "text_to_image_R@1": 0.5, "text_to_image_R@5": 1, "text_to_image_R@10": 1,
        "image_to_text_R@1": 0, "image_to_text_R@5": 1, "image_to_text_R@10": 1, "chance_R@10": 1,
      })),
      captions: { meanDistinct: 123.4 },
      transfer: {
        path: "bench/results/style-transfer.json",
        table: {
          source: "bench/results/style-transfer.json",
          description: "two seeds",
          rows: [{ trained: ["openmoji", "noto"], tested: "fluent", held_out_style: true, seeds: 2, "text_to_image_R@10": { mean: 0.3, sd: 0.01 }, "image_to_text_R@10": { mean: 0.31, sd: 0.02 }, zeroshot_top1: { mean: 0.05, sd: 0.01 } }],
        },
      },
    },
  };

  it("shows the PyTorch column as this run's only when the reference replays it: same data, steps, batch and seed", () => {
    const reference = { path: "ref.json", metrics: { zeroshot_top1: 0.4 }, data: "OpenMoji train (3564 emojis at 32px)", steps: 402, batchSize: 128, seed: 0 };
    const run = { data: "OpenMoji train (3564 emojis at 32px)", steps: 402, batchSize: 128, seed: 0 };
    const test = { ...demo.test!, reference };
    expect(referenceMatch({ ...test, run }).same).toBe(true);
    for (const change of [{ steps: 456 }, { seed: 1 }, { batchSize: 64 }, { data: "emoji:train (8500 drawings)" }]) {
      const other = referenceMatch({ ...test, run: { ...run, ...change } });
      expect(other.same, JSON.stringify(change)).toBe(false);
      expect(other.other).toBe("OpenMoji train (3564 emojis at 32px), 402 steps, batch 128, seed 0");
    }
    const html = renderReport({ ...demo, test: { ...test, run: { ...run, steps: 456 } } });
    expect(html).toContain("PyTorch reference of another run (OpenMoji train (3564 emojis at 32px), 402 steps, batch 128, seed 0)");
    expect(html).toContain("replays <b>another run</b>");
    expect(renderReport({ ...demo, test: { ...test, run } })).toContain("It replays this run");
  });

  it("the demo's report has every section, escapes captions, and shows 'not run' without a reference", () => {
    const html = renderReport(demo);
    for (const id of REPORT_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    // the drawing styles and the transfer table, marked as a committed run's numbers
    expect(html).toContain("a training emoji has 123 distinct captions on average");
    expect(html).toContain("fluent <b>(unseen style)</b>");
    expect(html).toContain("30.0 ± 1.0%");
    expect(html).toContain("not from this run");
    expect(html).toContain("a &amp; b");
    expect(html.match(/not run/g)!.length).toBeGreaterThanOrEqual(9); // 8 metrics + wall time + the reference section
  });

  it("a run's report has the run's sections only, and contents linking to each", () => {
    const html = renderReport(run);
    const ids = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]!);
    expect(ids).toEqual([...RUN_SECTIONS]);
    const links = [.../<section id="contents">.*?<\/section>/s.exec(html)![0].matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(links).toEqual(ids.filter((id) => id !== "contents"));
    expect(renderReport({ ...run, evals: [] })).toContain("No evaluation ran during training");
  });

  it("plots the validation loss on its own axis, beside the percentages and their chance levels", () => {
    const html = renderReport(run);
    const loss = chartOf(html, "validation loss");
    expect(loss).toContain("<title>validation loss</title>");
    expect(loss).not.toContain("%");
    const percent = chartOf(html, "retrieval and zero-shot");
    expect(percent).not.toContain("<title>validation loss</title>");
    expect(percent).toContain("chance R@5");
    expect(html).toMatch(/<td>30<\/td><td>4\.6<\/td>/); // the table: step, val loss, ...
  });

  it("the logit scale's axis spans its data, not 0 to the data", () => {
    const yTicks = [...chartOf(renderReport(run), "logit scale exp(t)").matchAll(/text-anchor="end" class="tick">([^<]+)</g)].map((m) => Number(m[1]));
    expect(yTicks.length).toBeGreaterThan(2);
    expect(Math.min(...yTicks)).toBeGreaterThanOrEqual(14);
  });

  it("marks and explains where the learning rate was re-planned", () => {
    const html = renderReport(run);
    const lr = chartOf(html, "learning rate");
    expect(lr.match(/class="mark"/g)).toHaveLength(1);
    expect(lr).toContain("re-planned");
    expect(html).toMatch(/The learning rate jumps at step 121 .*time budget/);
    expect(renderReport({ ...run, steps: scheduledSteps(300, 30) })).not.toContain("The learning rate jumps");
  });
});
