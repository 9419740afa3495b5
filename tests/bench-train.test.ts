/**
 * `pnpm bench:train`'s command line and record shape (bench/train-options.ts, bench/train-report.ts).
 * Nothing here times anything: the step times are made up. The package script is run for its
 * usage only (-h, a bad flag), and the README's tables are placed in a copy of bench/README.md.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { measuredLine, replaceMarkedBlock } from "../bench/report.js";
import { DEFAULT_ROUNDS, DUET_CONFIGS, MODELS, parseTrainBenchArgs, TORCH_CONFIGS, USAGE, UsageError } from "../bench/train-options.js";
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

  it("labels the anchor figures as not this run's, and judges the target on 2 threads only", () => {
    const rows = [toRecord("reference", DUET_CONFIGS[0]!, 128, { ms: [5500], cpu_ms: [11000] }, 800), toRecord("reference", DUET_CONFIGS[2]!, 128, { ms: [12000], cpu_ms: [12000] }, 700)];
    const text = renderAnchorTable(rows);
    expect(text).toContain("measured on a 2-core machine of this kind when the target was set, not in this run");
    expect(text).toContain("| data-parallel | 5.50 | 11.0× slower | 50.9× faster | met (0.50 s to spare) |");
    expect(text).toContain("| 1 thread | 12.00 | — | 23.3× faster | — |");
    expect(renderAnchorTable([toRecord("demo", DUET_CONFIGS[0]!, 128, times, 1)])).toBe("");
    expect(ratioText(1, 2)).toBe("2.0× faster");
  });

  it("its package script runs bench/train.ts: -h prints the usage and exits 0, a bad flag exits 2 with one line", () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { scripts: Record<string, string> };
    const [command, ...args] = pkg.scripts["bench:train"]!.split(" ");
    expect(command, 'the "bench:train" script runs a file with tsx').toBe("tsx");
    const run = (...extra: string[]) => spawnSync(fileURLToPath(new URL("node_modules/.bin/tsx", root)), [...args, ...extra], { cwd: fileURLToPath(root), encoding: "utf8", timeout: 60_000 });
    const help = run("-h");
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout.trim()).toBe(USAGE.trim());
    const bad = run("--rounds", "0");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('bench:train: --rounds takes an integer >= 1, got "0"');
  }, 60_000);

  it("places its tables between bench/README.md's markers, leaving the rest of the file as it was", () => {
    const folder = mkdtempSync(join(tmpdir(), "duet-bench-readme-"));
    try {
      const path = join(folder, "README.md");
      const original = readFileSync(new URL("bench/README.md", root), "utf8");
      writeFileSync(path, original);
      const rows = [toRecord("reference", DUET_CONFIGS[0]!, 128, times, 800)];
      const body = `${measuredLine({ cpu: "a CPU", cores: 2, node: "v20", date: "2026-01-02T00:00:00Z", load_average: [0.5] }, "1 round")}\n\n${renderTrainTable(rows)}`;
      expect(replaceMarkedBlock(path, "bench-train", body), "bench/README.md has the bench-train markers").toBe(true);
      const placed = readFileSync(path, "utf8");
      const begin = "<!-- bench-train:begin -->";
      const end = "<!-- bench-train:end -->";
      expect(placed.slice(placed.indexOf(begin), placed.indexOf(end) + end.length)).toBe(`${begin}\n${body}\n${end}`);
      expect(placed.slice(0, placed.indexOf(begin))).toBe(original.slice(0, original.indexOf(begin)));
      expect(placed.slice(placed.indexOf(end))).toBe(original.slice(original.indexOf(end)));
      replaceMarkedBlock(path, "bench-train", body);
      expect(readFileSync(path, "utf8"), "placing the same tables twice changes nothing").toBe(placed);
      expect(replaceMarkedBlock(path, "no-such-block", body)).toBe(false);
      expect(readFileSync(path, "utf8")).toBe(placed);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
