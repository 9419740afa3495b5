/**
 * `duet lessons --quick` over every lesson, for real, as issue #17 asks of CI: each lesson
 * trains its fewest points (here on the first 250 emojis of each style, enough training
 * pairs for the loss lesson's batch of 512; 2 steps per run, one thread, so the whole set
 * stays near a minute) and writes its runs, its plot and a verdict
 * computed from them. The verdicts of a 2-step run are not measurements; what is checked is
 * that every lesson gets one.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LESSONS } from "../../packages/vlm/src/lessons/catalog.js";
import type { LessonsFile } from "../../packages/vlm/src/lessons/output.js";
import { duet } from "./cli-helpers.js";
import { parseXml } from "./lessons-helpers.js";
import { tempDir } from "./train-helpers.js";

const STATUSES = ["holds", "holds partly", "does not hold at this scale"];

describe("duet lessons --quick, every lesson", () => {
  it("trains each lesson's fewest points and writes lessons.json, a plot and a verdict for every one", { timeout: 600_000 }, async () => {
    const out = tempDir("lessons-quick");
    const result = await duet("lessons", "--quick", "--samples", "256", "--limit", "250", "--threads", "1", "--out", out, "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);

    const file = JSON.parse(readFileSync(join(out, "lessons.json"), "utf8")) as LessonsFile;
    expect(file.lessons.map((l) => l.name)).toEqual(LESSONS.map((l) => l.name));
    for (const lesson of file.lessons) {
      const spec = LESSONS.find((l) => l.name === lesson.name)!;
      expect(lesson.runs.map((r) => r.point).sort(), lesson.name).toEqual([...spec.fewest].sort());
      for (const run of lesson.runs) expect(run.stopped, `${lesson.name} ${run.point}`).not.toBe("diverged");
      expect(STATUSES, `${lesson.name}: ${lesson.verdict.reason}`).toContain(lesson.verdict.status);
      expect(lesson.verdict.reason.length, lesson.name).toBeGreaterThan(20);
      const svg = readFileSync(join(out, `${lesson.name}.svg`), "utf8");
      expect(() => parseXml(svg), `${lesson.name}.svg`).not.toThrow();
    }
    const html = readFileSync(join(out, "index.html"), "utf8");
    for (const lesson of LESSONS) expect(html).toContain(lesson.claim.slice(0, 40));
    expect(existsSync(join(out, "runs"))).toBe(true);
  });
});
