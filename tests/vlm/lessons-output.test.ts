/**
 * What `duet lessons` writes, from synthetic runs: lessons.json's shape, the plots (well-formed
 * XML that resvg renders, one error bar per panel and point), index.html (well-formed, the
 * claims, plots and verdicts in it), lessons kept across calls, and "incomplete" for a lesson
 * with runs missing.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rasterizeSvg } from "../../packages/vlm/src/data/openmoji/rasterize.js";
import { R5, ZERO_SHOT } from "../../packages/vlm/src/lessons/base.js";
import { batchSizeLesson } from "../../packages/vlm/src/lessons/batch-size.js";
import { makePlan } from "../../packages/vlm/src/lessons/plan.js";
import { writeOutputs, type LessonsFile } from "../../packages/vlm/src/lessons/output.js";
import { temperatureLesson } from "../../packages/vlm/src/lessons/temperature.js";
import type { LessonRun } from "../../packages/vlm/src/lessons/types.js";
import { allElements, jitter, parseXml, PLAN_OPTIONS, synthRuns } from "./lessons-helpers.js";
import { tempDir } from "./train-helpers.js";

const options = { ...PLAN_OPTIONS, seeds: 3, samples: 4096 };

function runsOf(lesson: typeof batchSizeLesson): LessonRun[] {
  return synthRuns(lesson, (p, seed) => {
    const i = lesson.points!.indexOf(p);
    return { [R5]: 0.1 + 0.04 * i + jitter(seed, 0.01), [ZERO_SHOT]: 0.02 + 0.005 * i, "loss / ln N": 0.7, max_logit_scale: 30 + 10 * i, logit_scale: 25 };
  });
}

describe("writeOutputs", () => {
  const dir = tempDir("lessons-out");
  const plan = makePlan([batchSizeLesson, temperatureLesson], options, () => false);
  const runs = new Map([
    ["batch-size", runsOf(batchSizeLesson)],
    ["temperature", runsOf(temperatureLesson)],
  ]);
  const entries = writeOutputs(dir, plan.lessons, runs, 3, plan.notes);

  it("writes lessons.json: every lesson with its claim, verdict, points' stats and every run with config, seed and metrics", () => {
    const file = JSON.parse(readFileSync(join(dir, "lessons.json"), "utf8")) as LessonsFile;
    expect(file.format).toBe("duet-lessons");
    expect(file.lessons.map((l) => l.name)).toEqual(["batch-size", "temperature"]);
    const [batch] = file.lessons;
    expect(Object.keys(batch!)).toEqual(expect.arrayContaining(["name", "claim", "verdict", "runs", "points", "plot", "samples", "seeds"]));
    expect(batch!.claim).toBe(batchSizeLesson.claim);
    expect(batch!.verdict).toEqual(entries[0]!.verdict);
    expect(batch!.verdict.status).toBe("holds");
    expect(batch!.runs).toHaveLength(batchSizeLesson.points!.length * 3);
    for (const run of batch!.runs) {
      expect(run.config.seed).toBe(run.seed);
      expect(run.config.training.steps * run.config.training.batchSize).toBe(4096);
      expect(typeof run.metrics[R5]).toBe("number");
      expect(run.hash).toMatch(/^[0-9a-f]{16}$/);
    }
    const first = batch!.points[0]!;
    expect(first.label).toBe("batch 128, negatives from groups of 4"); // the points in the order of the x axis
    expect(first.stats[R5]!.n).toBe(3);
    expect(first.stats[R5]!.mean).toBeCloseTo(0.1, 12);
    expect(first.stats[R5]!.sd).toBeCloseTo(0.01, 12);
    expect(file.lessons[1]!.curve_plot).toBe("temperature-curve.svg");
  });

  it("draws each plot as well-formed SVG with one error bar per panel and point, which resvg renders", async () => {
    for (const lesson of [batchSizeLesson, temperatureLesson]) {
      const svg = readFileSync(join(dir, `${lesson.name}.svg`), "utf8");
      const root = parseXml(svg);
      expect(root.name).toBe("svg");
      expect(root.attributes["xmlns"]).toBe("http://www.w3.org/2000/svg");
      const bars = allElements(root).filter((e) => e.attributes["class"] === "error-bar");
      expect(bars).toHaveLength(lesson.plot.panels.length * lesson.points!.length);
      // each bar spans mean ± sd: its path has a vertical segment of non-zero length where the sd is not 0
      expect(bars[0]!.attributes["d"]).toMatch(/^M[\d.]+ [\d.]+V[\d.]+M/);
      // resvg parses strictly (roxmltree) and draws it: some pixels are not white
      const pixels = await rasterizeSvg(svg, 96, `${lesson.name}.svg`);
      expect(pixels.some((v) => v < 200)).toBe(true);
    }
    const curve = parseXml(readFileSync(join(dir, "temperature-curve.svg"), "utf8"));
    expect(allElements(curve).filter((e) => e.name === "polyline")).toHaveLength(temperatureLesson.points!.length);
  });

  it("writes index.html: well-formed, each claim in a sentence, its plot inline and its measured verdict", () => {
    const html = readFileSync(join(dir, "index.html"), "utf8");
    const root = parseXml(html);
    expect(root.name).toBe("html");
    const sections = allElements(root).filter((e) => e.name === "section");
    expect(sections.map((s) => s.attributes["id"])).toEqual(["batch-size", "temperature"]);
    for (const entry of entries) {
      expect(html).toContain(entry.claim.replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
      expect(html).toContain(entry.verdict.reason.replace(/'/g, "&#39;").replace(/"/g, "&quot;"));
    }
    expect(allElements(root).filter((e) => e.name === "svg")).toHaveLength(3); // two plots and the curve
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/Not built yet/); // every lesson is built
  });

  it("keeps the lessons an earlier call wrote, and calls a lesson with runs missing incomplete", () => {
    const partial = makePlan([temperatureLesson], options, () => false);
    const few = runsOf(temperatureLesson).slice(0, 4);
    const again = writeOutputs(dir, partial.lessons, new Map([["temperature", few]]), 3, partial.notes);
    expect(again.map((e) => e.name)).toEqual(["batch-size", "temperature"]);
    expect(again[1]!.verdict).toEqual({ status: "incomplete", reason: expect.stringMatching(/^4 of 15 runs finished; run the same command again/) });
    expect(again[0]!.verdict).toEqual(entries[0]!.verdict);
    const svg = readFileSync(join(dir, "temperature.svg"), "utf8");
    // 4 runs: seed 0 of the five points bar one, so four points per panel have a bar
    expect(allElements(parseXml(svg)).filter((e) => e.attributes["class"] === "error-bar")).toHaveLength(temperatureLesson.plot.panels.length * 4);
    parseXml(readFileSync(join(dir, "index.html"), "utf8"));
  });
});
