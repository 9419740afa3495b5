/**
 * `duet demo` and `duet train` as smoke runs: a few steps on a small OpenMoji subset (the
 * hidden --limit flag) and on a three-image manifest. What is checked is the contract, not
 * the learning: the files, their keys, the report's sections, and that the checkpoint works
 * with every other command.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CAPTIONING_SECTION, REPORT_SECTIONS } from "../../packages/vlm/src/report/index.js";
import { loadCheckpoint } from "../../packages/vlm/src/model/index.js";
import { PRESET_NAMES } from "../../packages/vlm/src/train/index.js";
import { cliWorkspace, duet, IMAGES, type CliResult, TINY_MODEL_JSON } from "./cli-helpers.js";

const work = cliWorkspace("cli-demo");
const demoDir = join(work.dir, "demo");
// a PyTorch reference run's metrics, as tools/ would write them
const reference = work.write("reference-train.json", JSON.stringify({ description: "open_clip, PyTorch, 2 threads", zeroshot: { top1: 0.4321, top5: 0.7 }, retrieval: { "text_to_image_R@5": 0.3456 }, wall_time_s: { total: 98 } }));
let demo: CliResult;

beforeAll(async () => {
  demo = await duet("demo", "--out", demoDir, "--limit", "150", "--steps", "4", "--batch-size", "32", "--threads", "1", "--reference", reference, "--json");
}, 120_000);

describe("duet demo (smoke run)", () => {
  it("exits 0 and prints metrics.json on stdout with --json", () => {
    expect(demo.code, demo.stderr.join("\n")).toBe(0);
    const metrics = demo.json<Record<string, unknown>>();
    expect(metrics).toEqual(JSON.parse(readFileSync(join(demoDir, "metrics.json"), "utf8")));
  });

  it("writes metrics.json: test-split zero-shot and retrieval with chance levels, sizes, wall time, config", () => {
    const m = JSON.parse(readFileSync(join(demoDir, "metrics.json"), "utf8")) as Record<string, Record<string, unknown>>;
    expect(m["split"]).toBe("test");
    expect(m["classes"]).toBe(119);
    expect(m["zeroshot"]).toMatchObject({ classes: 119, chance_top1: 1 / 119, chance_top5: 5 / 119 });
    const n = m["n_items"] as unknown as number;
    expect(n).toBeGreaterThan(0);
    for (const key of ["top1", "top5"]) expect(m["zeroshot"]![key]).toBeGreaterThanOrEqual(0);
    for (const way of ["text_to_image", "image_to_text"]) for (const k of [1, 5, 10]) expect(m["retrieval"]![`${way}_R@${k}`]).toBeGreaterThanOrEqual(0);
    expect(m["retrieval"]).toMatchObject({ "chance_R@1": 1 / n, n_images: n, n_texts: n });
    expect(Object.keys(m["wall_time_s"]!)).toEqual(expect.arrayContaining(["prepare", "train", "evaluate", "report", "total"]));
    expect(m["train"]).toMatchObject({ steps: 4, stopped_by: "steps", batch_size: 32 });
    expect(m["config"]!["model"]).toHaveProperty("vision_cfg");
    expect(m["reference"]).toMatchObject({ path: reference, metrics: { zeroshot_top1: 0.4321, "text_to_image_R@5": 0.3456 } });
    expect(m).not.toHaveProperty("captioning"); // a CLIP has no decoder (duet demo --model coca: demo-coca.test.ts)
  });

  it("writes split.json: disjoint train/val/test hexcodes covering the emojis used", () => {
    const split = JSON.parse(readFileSync(join(demoDir, "split.json"), "utf8")) as Record<string, string[]>;
    expect(Object.keys(split)).toEqual(["train", "val", "test"]);
    const all = [...split["train"]!, ...split["val"]!, ...split["test"]!];
    expect(all).toHaveLength(150);
    expect(new Set(all).size).toBe(150);
  });

  it("writes a self-contained report.html with every section", () => {
    const html = readFileSync(join(demoDir, "report.html"), "utf8");
    for (const id of REPORT_SECTIONS) expect(html, id).toContain(`<section id="${id}">`);
    expect(html).not.toMatch(/<script|<link |@import|url\(http/);
    const sources = [...html.matchAll(/<img src="([^"]*)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(20);
    for (const src of sources) expect(src.startsWith("data:image/png;base64,")).toBe(true);
    expect(html).toContain("<svg class=\"chart\"");
    expect(html).toContain("<svg class=\"heatmap\"");
    expect(html).toContain("CC BY-SA 4.0");
    expect(html).toContain("43.2%"); // the PyTorch reference beside Duet
    expect(html).toContain("open_clip, PyTorch, 2 threads");
    expect(html).not.toContain(`<section id="${CAPTIONING_SECTION}">`);
  });

  it("writes a checkpoint that loadCheckpoint loads and the other commands use (its own BPE tokenizer)", async () => {
    const checkpointDir = join(demoDir, "checkpoint");
    for (const file of ["config.json", "model.safetensors", "tokenizer.json", "train_state.json"]) expect(existsSync(join(checkpointDir, file)), file).toBe(true);
    const checkpoint = loadCheckpoint(checkpointDir);
    expect(checkpoint.layout).toBe("duet");
    const embed = await duet("embed", "--checkpoint", checkpointDir, "--image", IMAGES[0]!, "--text", "grinning face", "--json");
    expect(embed.code).toBe(0);
    expect(embed.json<{ text_features: number[][] }>().text_features[0]).toHaveLength(checkpoint.config.embed_dim);
    const classify = await duet("classify", "--checkpoint", checkpointDir, "--image", IMAGES[2]!, "--labels", "cat face,coffee,rocket", "--json");
    expect(classify.code).toBe(0);
    const zeroshot = await duet("eval", "zeroshot", "--checkpoint", checkpointDir, "--data", "openmoji:test", "--json");
    expect(zeroshot.code).toBe(0);
    expect(zeroshot.json()).toMatchObject({ n: 546, classes: 119 });
    const tokenize = await duet("tokenize", "--checkpoint", checkpointDir, "--json", "grinning face");
    expect(tokenize.code).toBe(0);
    expect(tokenize.json<{ tokenizer: string }>().tokenizer).toMatch(/tokenizer\.json$/);
  });
});

describe("duet train", () => {
  const config = work.write("tiny.json", TINY_MODEL_JSON);

  it("trains on a caption manifest, then resumes to more steps", async () => {
    const out = join(work.dir, "run");
    const first = await duet("train", "--data", work.pairs, "--model", config, "--out", out, "--steps", "2", "--warmup", "0", "--batch-size", "3", "--threads", "1", "--json");
    expect(first.code, first.stderr.join("\n")).toBe(0);
    expect(first.json()).toMatchObject({ steps: 2, stopped_by: "steps", checkpoint: join(out, "checkpoint") });
    expect(readFileSync(join(out, "train_log.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    const resumed = await duet("train", "--data", work.pairs, "--resume", out, "--out", out, "--steps", "3", "--extend", "--threads", "1", "--json");
    expect(resumed.code, resumed.stderr.join("\n")).toBe(0);
    expect(resumed.json()).toMatchObject({ steps: 3 });
    expect(readFileSync(join(out, "train_log.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("--val-data on a CSV manifest logs a validation loss and retrieval every --eval-every steps", async () => {
    const out = join(work.dir, "run-val");
    const run = await duet("train", "--data", work.pairs, "--val-data", work.pairs, "--eval-every", "2", "--model", config, "--out", out, "--steps", "4", "--warmup", "0", "--batch-size", "3", "--threads", "1", "--json");
    expect(run.code, run.stderr.join("\n")).toBe(0);
    const evals = readFileSync(join(out, "eval_log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, number | string>);
    expect(evals.map((e) => e["step"])).toEqual([2, 4]);
    for (const e of evals) {
      expect(e["data"]).toBe("pairs.csv");
      expect(typeof e["val_loss"] === "number" && Number.isFinite(e["val_loss"]), `val_loss in ${JSON.stringify(e)}`).toBe(true);
      expect(e["text_to_image_R@1"]).toBeGreaterThanOrEqual(0);
      expect(e["chance_R@1"]).toBeGreaterThan(0);
    }
    expect(run.json<{ last_eval: { step: number } }>().last_eval.step).toBe(4);
    expect(run.json<{ run: { valData: string } }>().run.valData).toBe(work.pairs);
    const alone = await duet("train", "--data", work.pairs, "--val-data", work.pairs, "--model", config, "--out", join(work.dir, "run-val-2"), "--steps", "1");
    expect(alone.code).toBe(2);
    expect(alone.stderr.join("\n")).toMatch(/--val-data needs --eval-every/);
  });

  const TRAIN_ERRORS: [string, string[], RegExp][] = [
    ["no --out", ["train", "--data", "openmoji"], /--out is required/],
    ["a bad loss", ["train", "--out", "x", "--loss", "triplet"], /--loss must be clip or siglip/],
    ["zero steps", ["train", "--out", "x", "--steps", "0"], /--steps must be a positive integer/],
    ["steps and epochs", ["train", "--out", "x", "--steps", "3", "--epochs", "1"], /--steps or --epochs/],
    ["a negative lr", ["train", "--out", "x", "--lr=-1"], /--lr must be a number >= 0/],
    ["a value that looks like a flag", ["train", "--out", "x", "--lr", "-1"], /ambiguous.*'--lr=-XYZ'/],
    ["an unknown preset", ["train", "--out", "x", "--model", "huge"], new RegExp(`preset \\(${PRESET_NAMES.join(", ")}\\)`)],
    ["a missing model config", ["train", "--out", "x", "--model", "nowhere.json"], /no such file/],
    ["a missing manifest", ["train", "--out", "x", "--data", "nowhere.csv"], /nowhere\.csv/],
    ["a missing run to resume", ["train", "--out", "x", "--resume", "nowhere"], /--resume nowhere: no such folder/],
    ["resume and init", ["train", "--out", "x", "--resume", "a", "--init", "b"], /--resume .* or --init/],
    ["zero minutes", ["demo", "--minutes", "0"], /--minutes must be a number/],
    ["demo steps not a number", ["demo", "--steps", "many"], /--steps must be a positive integer/],
    ["a demo flag that does not exist", ["demo", "--epochs", "3"], /unknown flag --epochs/],
  ];

  it.each(TRAIN_ERRORS)("bad input, %s: exit 2 and one line", async (_name, argv, message) => {
    const result = await duet(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(message);
  });

  it("a folder that is no training run cannot be resumed (the trainer's error, exit 2)", async () => {
    const result = await duet("train", "--out", join(work.dir, "r2"), "--data", work.pairs, "--resume", work.duetCheckpoint, "--threads", "1");
    expect(result.code).toBe(2);
    expect(result.stderr.at(-1)).toMatch(/train_state\.json/);
  });
});
