/**
 * The trainer learns: a tiny model overfits a handful of OpenMoji emojis in seconds — its loss
 * falls under a bound and every emoji's annotation retrieves it first — and reports each step
 * through its hook and its JSONL log. The presets describe the models they promise.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  evaluateHeldOut,
  getPreset,
  modelEncoder,
  openMojiEvalSet,
  parseModelConfig,
  PRESET_NAMES,
  trainClip,
  TrainError,
  type StepRecord,
} from "../../packages/vlm/src/index.js";
import { FIXTURES } from "./data-helpers.js";
import { handfulOfOpenMoji, tempDir, tinyRun } from "./train-helpers.js";

describe("a tiny run on eight emojis", () => {
  it("overfits them: the loss falls under 0.05 and each annotation retrieves its emoji first (R@1 = 1 both ways)", async () => {
    const records: StepRecord[] = [];
    const result = await trainClip(await tinyRun(tempDir("overfit"), { steps: 60 }), { onStep: (r) => records.push(r) });
    const first = records[0]!.loss;
    const last = records.at(-1)!.loss;
    expect(first, "the first loss is near ln 8 (chance)").toBeGreaterThan(1.5);
    expect(last, `loss after 60 steps (first ${first})`).toBeLessThan(0.05);
    const openMoji = await handfulOfOpenMoji();
    const set = await openMojiEvalSet(openMoji.resolution, "all", { openMoji });
    const { record: metrics } = await evaluateHeldOut(modelEncoder(result.model, result.tokenizer), set, { loss: "clip", lossBatchSize: 8 });
    expect(metrics.images).toBe(8);
    expect(metrics["text_to_image_R@1"]).toBe(1);
    expect(metrics["image_to_text_R@1"]).toBe(1);
    expect(metrics["chance_R@1"]).toBe(1 / 8);
    expect(metrics.val_loss, "the validation loss of the overfit emojis").toBeLessThan(0.1);
    expect(result.stoppedBy).toBe("steps");
    expect(result.steps).toBe(60);
  });

  it("reports every step to onStep and as one JSONL line, with the progress bar's quantities", async () => {
    const outDir = tempDir("log");
    const records: StepRecord[] = [];
    const lines: string[] = [];
    const result = await trainClip(await tinyRun(outDir, { steps: 4, lr: 1e-3, warmup: 2 }), { onStep: (r) => records.push(r), onLog: (line) => lines.push(line) });
    const logged = readFileSync(result.logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(logged.map((r) => r["step"])).toEqual([1, 2, 3, 4]);
    for (const [i, r] of logged.entries()) {
      expect(Object.keys(r).sort()).toEqual(["epoch", "grad_norm", "logit_scale", "loss", "lr", "samples_per_s", "step", "time"]);
      expect(r).toMatchObject({ step: records[i]!.step, loss: records[i]!.loss, lr: records[i]!.lr });
      expect(r["epoch"]).toBeCloseTo(i + 1, 12); // 8 emojis, batches of 8
      expect(r["logit_scale"]).toBeGreaterThan(1);
      expect(r["logit_scale"]).toBeLessThanOrEqual(100);
    }
    // open_clip's cosine_lr at steps 0..3 of 4, warmup 2: (s + 1) / 2 · lr, then ½(1 + cos(π e / 2)) · lr
    expect(records.map((r) => r.lr)).toEqual([0.5e-3, 1e-3, 1e-3, 0.5 * (1 + Math.cos(Math.PI / 2)) * 1e-3]);
    expect(records.map((r) => r.total_steps)).toEqual([4, 4, 4, 4]);
    expect(records.at(-1)!.eta_s).toBe(0);
    expect(records[0]!.eta_s).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith("training custom"))).toBe(true);
  });

  it("trains from a caption manifest too (open_clip's CSV), with RandomResizedCrop, a BPE learned from its captions", async () => {
    const records: StepRecord[] = [];
    const manifest = join(FIXTURES, "captions", "captions.csv");
    const result = await trainClip(await tinyRun(tempDir("manifest"), { data: { kind: "captions", manifest }, batchSize: 3, steps: 30, augment: true }), { onStep: (r) => records.push(r) });
    expect(result.run.data).toMatch(/captions\.csv \(3 pairs at 16px\)/);
    expect(result.run.augment).toEqual([0.9, 1]);
    expect(records[0]!.epoch).toBe(1);
    expect(records.at(-1)!.loss).toBeLessThan(records[0]!.loss / 2);
    expect(result.tokenizer.vocabSize).toBeGreaterThan(514); // some merges learned from three captions
    expect(result.tokenizer.vocabSize).toBeLessThanOrEqual(600);
  });

  it("refuses bad options with one clear line", async () => {
    const outDir = tempDir("bad");
    await expect(trainClip(await tinyRun(outDir, { batchSize: 0 }))).rejects.toThrow(/^trainClip: batchSize must be a positive integer, got 0$/);
    await expect(trainClip(await tinyRun(outDir, { batchSize: 9 }))).rejects.toThrow(/batchSize 9 is larger than the training set \(8 pairs\)/);
    await expect(trainClip(await tinyRun(outDir, { steps: 4, epochs: 2 }))).rejects.toThrow(/give steps or epochs, not both/);
    await expect(trainClip(await tinyRun(outDir, { warmup: 6 }))).rejects.toThrow(/warmup \(6\) must be smaller than steps \(6\)/);
    await expect(trainClip(await tinyRun(outDir, { loss: "siglip" }))).rejects.toThrow(TrainError);
  });
});

describe("presets", () => {
  it("'reference' is the speed target's anchor model: 32 px, patch 4, ViT 128 × 4 layers × 4 heads; text 32 tokens, 4096 ids, 128 × 4 × 4; embed 128; batch 128", () => {
    const preset = getPreset("reference");
    const config = parseModelConfig(preset.model);
    expect(config.vision_cfg).toMatchObject({ image_size: 32, patch_size: 4, width: 128, layers: 4 });
    expect(config.vision_cfg.width / config.vision_cfg.head_width).toBe(4);
    expect(config.text_cfg).toMatchObject({ context_length: 32, vocab_size: 4096, width: 128, layers: 4, heads: 4 });
    expect(config.embed_dim).toBe(128);
    expect(preset.tokenizer).toEqual({ vocabSize: 4096, contextLength: 32 });
    expect(preset.training.batchSize).toBe(128);
  });

  it("every preset parses and learns its own tokenizer", () => {
    for (const name of PRESET_NAMES) {
      const preset = getPreset(name);
      expect(parseModelConfig(preset.model).duet.tokenizer).toBe("tokenizer.json");
      expect(preset.training.warmup).toBeLessThan(preset.training.steps);
    }
  });
});
