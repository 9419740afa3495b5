/**
 * `duet lessons` through the CLI: one real lesson end to end with a tiny training (the first
 * 150 emojis of each style, 2 steps per run, 1 seed, 1 thread) writing every output to a
 * temporary folder; the same call again trains nothing; Ctrl-C keeps the run in progress and
 * stops (a fake trainer, so no training); bad input exits 2 with one line.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lessonsCommandWith } from "../../packages/vlm/src/cli/commands/lessons.js";
import { captureIo } from "../../packages/vlm/src/cli/io.js";
import { projectionDimLesson } from "../../packages/vlm/src/lessons/projection-dim.js";
import type { LessonsFile } from "../../packages/vlm/src/lessons/output.js";
import { duet } from "./cli-helpers.js";
import { allElements, fakeTrainer, parseXml } from "./lessons-helpers.js";
import { tempDir } from "./train-helpers.js";

const TINY = ["--quick", "--samples", "256", "--limit", "150", "--threads", "1"];

describe("duet lessons, for real", () => {
  it("runs projection-dim end to end: lessons.json, the plot, index.html and the run cache; again, it trains nothing", { timeout: 120_000 }, async () => {
    const out = tempDir("lessons-cli");
    const first = await duet("lessons", "projection-dim", "--out", out, ...TINY, "--json");
    expect(first.code, first.stderr.join("\n")).toBe(0);
    expect(first.stderr.join("\n")).toMatch(/projection-dim: 3 points × 1 seed = 3 runs, 256 samples seen each \(embed 2; embed 16; embed 512\)/);
    const summary = first.json<{ out: string; lessons: { name: string; verdict: { status: string; reason: string } }[]; runs: Record<string, number> }>();
    expect(summary.runs).toEqual({ trained: 3, cached: 0, left: 0 });
    expect(summary.lessons[0]!.name).toBe("projection-dim");
    expect(["holds", "holds partly", "does not hold at this scale"]).toContain(summary.lessons[0]!.verdict.status);

    const file = JSON.parse(readFileSync(join(out, "lessons.json"), "utf8")) as LessonsFile;
    const [lesson] = file.lessons;
    expect(lesson!.runs.map((r) => r.point)).toEqual(["embed 2", "embed 16", "embed 512"]);
    for (const run of lesson!.runs) {
      expect(run.steps).toBe(2);
      expect(run.config.model["embed_dim"]).toBe(Number(run.point.split(" ")[1]));
      const r5 = run.metrics["openmoji:test R@5"]!;
      expect(r5).toBeGreaterThanOrEqual(0);
      expect(r5).toBeLessThanOrEqual(1);
      expect(run.metrics["openmoji:test zero-shot top-1"]).toBeGreaterThanOrEqual(0);
      expect(run.metrics["final_loss"]).toBeGreaterThan(0);
      expect(run.curves.loss).toHaveLength(2);
    }
    // the projections' width is the one thing that changed
    const params = lesson!.runs.map((r) => r.metrics["parameters"]!);
    expect(params[0]).toBeLessThan(params[1]!);
    expect(params[1]).toBeLessThan(params[2]!);
    expect(lesson!.verdict.reason).toContain(`${(100 * lesson!.points[0]!.stats["openmoji:test R@5"]!.mean!).toFixed(1)}%`);

    const svg = parseXml(readFileSync(join(out, "projection-dim.svg"), "utf8"));
    expect(allElements(svg).filter((e) => e.attributes["class"] === "error-bar")).toHaveLength(projectionDimLesson.plot.panels.length * 3);
    parseXml(readFileSync(join(out, "index.html"), "utf8"));
    expect(readdirSync(join(out, "runs"))).toHaveLength(3);

    const again = await duet("lessons", "projection-dim", "--out", out, ...TINY, "--json");
    expect(again.code).toBe(0);
    expect(again.json<{ runs: Record<string, number> }>().runs).toEqual({ trained: 0, cached: 3, left: 0 });
    expect(JSON.parse(readFileSync(join(out, "lessons.json"), "utf8")).lessons[0].verdict).toEqual(lesson!.verdict);
  });
});

describe("duet lessons, interrupted", () => {
  it("a Ctrl-C lets the run in progress finish and be cached, writes what is done, exits 130; the next call goes on", async () => {
    const out = tempDir("lessons-sigint");
    const fake = fakeTrainer();
    const io = captureIo();
    const command = lessonsCommandWith({
      execute: async (config, context) => {
        if (fake.calls.length === 0) process.emit("SIGINT"); // during the first run
        return fake.execute(config, context);
      },
    });
    const code = await command.run(["projection-dim", "--out", out, "--seeds", "1", "--samples", "256", "--threads", "1"], io);
    expect(code).toBe(130);
    expect(fake.calls).toHaveLength(1);
    expect(io.stderr.join("\n")).toMatch(/interrupted \(Ctrl-C\): stopping after the run in progress/);
    expect(io.stderr.at(-1)).toMatch(/stopped by SIGINT: 3 runs left; the finished ones are cached in .*runs: run the same command again to continue/);
    const file = JSON.parse(readFileSync(join(out, "lessons.json"), "utf8")) as LessonsFile;
    expect(file.lessons[0]!.verdict.status).toBe("incomplete");
    expect(existsSync(join(out, "index.html"))).toBe(true);

    const rest = fakeTrainer();
    const next = await lessonsCommandWith({ execute: rest.execute }).run(["projection-dim", "--out", out, "--seeds", "1", "--samples", "256", "--threads", "1"], captureIo());
    expect(next).toBe(0);
    expect(rest.calls).toEqual(["embed 16", "embed 128", "embed 512"].map((p) => `projection-dim/${p}/0`));
  });
});

describe("duet lessons, bad input", () => {
  it("exits 2 with one line naming the problem", async () => {
    const out = tempDir("lessons-bad");
    const cases: [string[], RegExp][] = [
      [["nope"], /^duet lessons: no lesson "nope"; the lessons are batch-size, projection-dim, /],
      [["batch-size", "--minutes", "0.5", "--out", out], /^duet lessons: --minutes 0.5 cannot hold batch-size: .*give --minutes \d+ or more, or --quick$/],
      [["--seeds", "0"], /^duet lessons: --seeds must be a positive integer, got "0"$/],
      [["--minutes", "soon"], /^duet lessons: --minutes must be a number/],
      [["--qiuck"], /^duet lessons: unknown flag --qiuck; did you mean --quick\?$/],
    ];
    for (const [args, message] of cases) {
      const result = await duet("lessons", ...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toHaveLength(1);
      expect(result.stderr[0]).toMatch(message);
    }
  });

  it("--list names all eight lessons, the built ones marked", async () => {
    const result = await duet("lessons", "--list", "--json");
    expect(result.code).toBe(0);
    const { lessons } = result.json<{ lessons: { name: string; built: boolean; claim: string }[] }>();
    expect(lessons.map((l) => `${l.name}${l.built ? "" : "?"}`)).toEqual(["batch-size", "projection-dim", "temperature", "hard-negatives", "filtering", "augmentation", "loss", "towers"]);
  });
});
