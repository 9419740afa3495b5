/** The report module on its own: charts, the heatmap, PNG data URIs, the reference reader, renderReport. */

import { describe, expect, it } from "vitest";
import { createImage, decodeImage } from "../../packages/vlm/src/image/index.js";
import {
  escapeHtml,
  formatNumber,
  lineChart,
  niceTicks,
  pngBytes,
  readReferenceRun,
  renderReport,
  REPORT_SECTIONS,
  similarityHeatmap,
  smooth,
  type ReportData,
} from "../../packages/vlm/src/report/index.js";
import { tempFolder } from "./data-helpers.js";

const folder = tempFolder("cli-report");

describe("report pieces", () => {
  it("niceTicks gives round steps covering the range", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3.2, 4.7, 5)).toEqual([3.5, 4, 4.5]);
    expect(niceTicks(2, 2).length).toBeGreaterThan(1); // a flat series still gets an axis
  });

  it("formats numbers and escapes text", () => {
    expect(formatNumber(0.0005)).toBe("5e-4");
    expect(formatNumber(0.00015)).toBe("1.5e-4");
    expect(formatNumber(12.3456)).toBe("12.35");
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  });

  it("smooth starts at the data (debiased) and follows a constant exactly", () => {
    expect(smooth([[0, 5], [1, 5], [2, 5]]).map(([, y]) => y)).toEqual([5, 5, 5].map((v) => expect.closeTo(v, 12)));
  });

  it("lineChart draws one polyline per series, and says so when there is no data", () => {
    const svg = lineChart({ title: "loss <1>", xLabel: "step", series: [{ name: "a", points: [[0, 1], [1, 2]] }, { name: "b", points: [[0, 3]] }] });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("loss &lt;1&gt;");
    expect(lineChart({ title: "t", xLabel: "x", series: [] })).toContain("no data");
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
  const data: ReportData = {
    title: "t",
    generatedAt: "now",
    dataset: "OpenMoji 17.0.0",
    split: { train: 8, val: 1, test: 2 },
    wallTime: { train: 1, total: 2 },
    metrics: {
      zeroshot: { top1: 0.5, top5: 1, chance_top1: 0.25, chance_top5: 1, n: 2, classes: 4 },
      retrieval: {
        "text_to_image_R@1": 0.5, "text_to_image_R@5": 1, "text_to_image_R@10": 1, "image_to_text_R@1": 0, "image_to_text_R@5": 1, "image_to_text_R@10": 1,
        "chance_R@1": 0.5, "chance_R@5": 1, "chance_R@10": 1, n_images: 2, n_texts: 2,
      },
    },
    reference: undefined,
    referencePath: "bench/results/reference-train.json",
    steps: [{ step: 1, loss: 2, lr: 1e-3, logitScale: 14.3 }, { step: 2, loss: 1.5, lr: 5e-4, logitScale: 14.5 }],
    evals: [],
    modelConfig: { embed_dim: 8 },
    trainConfig: { steps: 2 },
    machine: { cores: 2 },
    similarity: { images: ["data:image/png;base64,AA==", "data:image/png;base64,AA=="], captions: ["a & b", "c"], matrix: [[0.9, 0.1], [0.2, 0.8]] },
    zeroShotExamples: [{ image: "data:image/png;base64,AA==", annotation: "cat", truth: "animal", top: [{ label: "animal", probability: 0.9 }] }],
    retrievalExamples: [{ query: "cat", truthRank: 1, results: [{ image: "data:image/png;base64,AA==", annotation: "cat", score: 0.9, correct: true }] }],
    zeroShotTemplates: ["{}"],
    attributionHtml: "OpenMoji CC BY-SA 4.0",
  };

  it("has every section, escapes captions, and shows 'not run' without a reference", () => {
    const html = renderReport(data);
    for (const id of REPORT_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain("a &amp; b");
    expect(html.match(/not run/g)!.length).toBeGreaterThanOrEqual(9); // 8 metrics + wall time + the reference section
    expect(html).toContain("No evaluation ran during training");
  });
});
