/**
 * `pnpm bench:train`'s command line and record shape (bench/train-options.ts, bench/train-report.ts).
 * Nothing here times anything: the step times are made up.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_ROUNDS, DUET_CONFIGS, MODELS, parseTrainBenchArgs, TORCH_CONFIGS, UsageError } from "../bench/train-options.js";
import { ratioText, renderAnchorTable, renderTrainTable, toRecord } from "../bench/train-report.js";

const root = new URL("../", import.meta.url);

describe("bench:train arguments", () => {
  it("defaults to every model, the default rounds, per-model steps and warm-up, and writing the files", () => {
    expect(parseTrainBenchArgs([])).toEqual({ models: [...MODELS], rounds: DEFAULT_ROUNDS, steps: null, warmup: null, json: false, torch: false, write: true, help: false });
  });

  it("reads every flag", () => {
    const o = parseTrainBenchArgs(["--models", "demo", "--rounds", "1", "--steps", "2", "--warmup", "0", "--json", "--torch", "--no-write"]);
    expect(o).toEqual({ models: ["demo"], rounds: 1, steps: 2, warmup: 0, json: true, torch: true, write: false, help: false });
    expect(parseTrainBenchArgs(["--models", "reference,demo,reference"]).models).toEqual(["reference", "demo"]);
    expect(parseTrainBenchArgs(["-h"]).help).toBe(true);
  });

  it.each([
    [["--rounds", "0"], /--rounds takes an integer >= 1, got "0"/],
    [["--steps", "1.5"], /--steps takes an integer >= 1, got "1.5"/],
    [["--steps"], /--steps takes an integer >= 1, got nothing/],
    [["--rounds", "--json"], /--rounds takes an integer >= 1, got "--json"/],
    [["--warmup", "-1"], /--warmup takes an integer >= 0/],
    [["--models", "big"], /--models: unknown model "big"; the models are reference, demo/],
    [["--models"], /--models takes a comma-separated list/],
    [["--threads", "2"], /unknown option "--threads"/],
  ])("rejects %j with one clear line", (args, message) => {
    expect(() => parseTrainBenchArgs(args)).toThrow(UsageError);
    expect(() => parseTrainBenchArgs(args)).toThrow(message);
  });
});

describe("bench:train records and tables", () => {
  const times = { ms: [7600, 7400, 7500, 9000], cpu_ms: [14000, 14100, 14200, 14300] };

  it("a record has DESIGN §6's fields plus mode, steps, CPU time and peak RSS; throughput from the median", () => {
    const r = toRecord("reference", DUET_CONFIGS[0]!, 128, times, 812.345);
    expect(r).toEqual({
      model: "reference", impl: "duet", mode: "data-parallel", threads: 2, batch: 128, steps_timed: 4,
      min_ms: 7400, median_ms: 7550, samples_per_s: 16.95, median_cpu_ms: 14150, peak_rss_mb: 812.35,
    });
    expect(() => toRecord("demo", DUET_CONFIGS[2]!, 128, { ms: [], cpu_ms: [] }, 1)).toThrow(/no timed steps/);
  });

  it("compares with PyTorch of the same run only when it was measured", () => {
    const duet = toRecord("reference", DUET_CONFIGS[0]!, 128, times, 800);
    expect(renderTrainTable([duet])).not.toContain("PyTorch");
    const torch = toRecord("reference", TORCH_CONFIGS[0]!, 128, { ms: [500], cpu_ms: [990] }, 400);
    const table = renderTrainTable([duet, torch]);
    expect(table).toContain("vs PyTorch (this run)");
    expect(table.split("\n")[2]).toContain("15.1× slower");
  });

  it("labels the issue's anchors as the issue's, and judges the target on 2 threads only", () => {
    const rows = [toRecord("reference", DUET_CONFIGS[0]!, 128, { ms: [5500], cpu_ms: [11000] }, 800), toRecord("reference", DUET_CONFIGS[2]!, 128, { ms: [12000], cpu_ms: [12000] }, 700)];
    const text = renderAnchorTable(rows);
    expect(text).toContain("measured by the issue's author on this machine, not in this run");
    expect(text).toContain("| data-parallel | 5.50 | 11.0× slower | 50.9× faster | met (0.50 s to spare) |");
    expect(text).toContain("| 1 thread | 12.00 | — | 23.3× faster | — |");
    expect(renderAnchorTable([toRecord("demo", DUET_CONFIGS[0]!, 128, times, 1)])).toBe("");
    expect(ratioText(1, 2)).toBe("2.0× faster");
  });

  it("has its script, its README markers and a usage line", () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["bench:train"]).toBe("tsx bench/train.ts");
    const readme = readFileSync(new URL("bench/README.md", root), "utf8");
    expect(readme.indexOf("<!-- bench-train:begin -->")).toBeGreaterThan(0);
    expect(readme.indexOf("<!-- bench-train:end -->")).toBeGreaterThan(readme.indexOf("<!-- bench-train:begin -->"));
  });
});
