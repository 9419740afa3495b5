/**
 * Negatives from groups (loss/model-loss.ts `group`, trainClip's `lossGroup`): the contrastive
 * loss taken within runs of g consecutive pairs, so each pair's negatives are the other g − 1 of
 * its group — the batch-size lesson's control for the number of negatives at equal batch, steps
 * and samples. The law: the loss is the size-weighted mean of the groups' own losses, a row's
 * gradient comes from its group only, and every road of the StepEngine computes the same.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import { CLIP, lossOnFeatures, parseModelConfig, trainClip, type LossKind } from "../../packages/vlm/src/index.js";
import { duet } from "./cli-helpers.js";
import { expectSame, gradients } from "./engine-gradients.js";
import { tinyCoca } from "./coca-helpers.js";
import { tempDir, tinyModel, tinyRun } from "./train-helpers.js";

/** A tiny float64 CLIP (its logit scale, and for SigLIP its bias, are what the loss reads). */
function model(kind: LossKind): CLIP {
  const json = tinyModel();
  if (kind === "siglip") Object.assign(json, { init_logit_bias: -10, init_logit_scale: Math.log(10) });
  return new CLIP(parseModelConfig(json), { dtype: "float64", generator: new Generator(3) });
}

/** n random L2-normalised rows of width d (float64). */
function features(n: number, d: number, g: Generator): Tensor {
  const x = randn([n, d], { generator: g, dtype: "float64" });
  return A.l2Normalize(x, -1).value;
}

/** Rows [a, b) of a tensor. */
const rows = (x: Tensor, a: number, b: number) => x.slice(0, a, b).contiguous();

describe("the loss within groups", () => {
  for (const kind of ["clip", "siglip"] as const) {
    it(`${kind}: the size-weighted mean of each group's own loss; a group as large as the batch is the plain loss`, () => {
      const m = model(kind);
      const g = new Generator(7);
      const [image, text, twins] = [features(7, 8, g), features(7, 8, g), features(7, 8, g)];
      const plain = lossOnFeatures(m, image, text, kind, twins).item();
      expect(lossOnFeatures(m, image, text, kind, twins, 7).item()).toBeCloseTo(plain, 14);
      expect(lossOnFeatures(m, image, text, kind, twins, 50).item()).toBeCloseTo(plain, 14);
      // groups of 3 over 7 rows: [0, 3), [3, 6) and the shorter last one, [6, 7)
      const grouped = lossOnFeatures(m, image, text, kind, twins, 3).item();
      let want = 0;
      for (const [a, b] of [[0, 3], [3, 6], [6, 7]] as const) want += ((b - a) / 7) * lossOnFeatures(m, rows(image, a, b), rows(text, a, b), kind, rows(twins, a, b)).item();
      expect(Math.abs(grouped - want), `grouped ${grouped} vs per-group mean ${want}`).toBeLessThan(1e-12);
      expect(Math.abs(grouped - plain)).toBeGreaterThan(1e-6);
    });
  }

  it("a row's gradient comes from its group only: changing another group's texts leaves it as it was", () => {
    const m = model("clip");
    const g = new Generator(9);
    const [image, text] = [features(8, 8, g), features(8, 8, g)];
    const gradOfRow0 = (texts: Tensor, group: number | null) => {
      const v = new A.Variable(image, { requiresGrad: true });
      lossOnFeatures(m, v, texts, "clip", undefined, group).backward();
      return Array.from(v.grad!.slice(0, 0, 1).contiguousData());
    };
    // rows 4-7, the second group of 4, replaced by other texts
    const changed = new Tensor(Float64Array.from([...rows(text, 0, 4).contiguousData(), ...features(4, 8, new Generator(10)).contiguousData()]), [8, 8]);
    expect(gradOfRow0(changed, 4)).toEqual(gradOfRow0(text, 4));
    expect(gradOfRow0(changed, null)).not.toEqual(gradOfRow0(text, null)); // with the whole batch, it does move
  });

  it("refuses a group with no room for a negative", () => {
    const m = model("clip");
    const g = new Generator(1);
    expect(() => lossOnFeatures(m, features(4, 8, g), features(4, 8, g), "clip", undefined, 1)).toThrow(/lossOnFeatures: group must be an integer >= 2 \(a pair and at least one negative\), got 1/);
  });
});

describe("groups on every road of the StepEngine", () => {
  it("gradient caching and data parallelism give the plain batch's gradients (float64: to 1e-12), with and without hard negatives", { timeout: 60_000 }, async () => {
    for (const k of [0, 1]) {
      const plain = await gradients({ shards: 1, chunkSize: null, k, lossGroup: 3 });
      expectSame(`K ${k}, groups of 3, chunks of 4`, await gradients({ shards: 1, chunkSize: 4, k, lossGroup: 3 }), plain);
      expectSame(`K ${k}, groups of 3, 2 shards`, await gradients({ shards: 2, chunkSize: null, k, lossGroup: 3 }), plain);
      const whole = await gradients({ shards: 1, chunkSize: null, k });
      expect(Math.abs(whole.loss - plain.loss), "groups of 3 must change the loss of a batch of 10").toBeGreaterThan(1e-6);
    }
  });
});

describe("trainClip with lossGroup", () => {
  it("records it in the run and its checkpoint, and a resumed run must keep it", async () => {
    const out = tempDir("loss-group");
    const result = await trainClip(await tinyRun(out, { steps: 1, warmup: 0, lossGroup: 4 }));
    expect(result.run.lossGroup).toBe(4);
    const state = JSON.parse(readFileSync(join(out, "checkpoint", "train_state.json"), "utf8")) as { config: { lossGroup: number | null } };
    expect(state.config.lossGroup).toBe(4);
    await expect(trainClip(await tinyRun(out, { steps: 2, warmup: 0, resume: out, lossGroup: 2 }))).rejects.toThrow(/resume continues a run started with lossGroup = 4, but lossGroup = 2 was given/);
    expect((await trainClip(await tinyRun(tempDir("no-loss-group"), { steps: 1, warmup: 0 }))).run.lossGroup).toBeNull();
  });

  it("refuses a CoCa before its first step: its contrastive loss is open_clip's, over the whole batch", async () => {
    const out = tempDir("loss-group-coca");
    await expect(trainClip(await tinyRun(out, { steps: 1, warmup: 0, model: tinyCoca({ multimodal: { context_length: 16 }, top: { duet: { tokenizer: "tokenizer.json" } } }), lossGroup: 4 }))).rejects.toThrow(/StepEngine: lossGroup is for a CLIP/);
    expect(existsSync(join(out, "checkpoint"))).toBe(false);
  });

  it("refuses a group below 2, or one that does not divide the batch", async () => {
    await expect(trainClip(await tinyRun(tempDir("loss-group-bad"), { steps: 1, lossGroup: 1 }))).rejects.toThrow(/lossGroup.*an integer >= 2 \(a pair and at least one negative\) or null/);
    await expect(trainClip(await tinyRun(tempDir("loss-group-odd"), { steps: 1, lossGroup: 3 }))).rejects.toThrow(/lossGroup 3 must divide batchSize 8/);
  });
});

describe("duet train --loss-group", () => {
  it("is in --help, and a value that is not a positive integer is refused", async () => {
    const help = await duet("train", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--loss-group N\s+the contrastive loss within groups of N pairs/);
    const bad = await duet("train", "--out", tempDir("loss-group-cli"), "--loss-group", "two");
    expect(bad.code).toBe(2);
    expect(bad.stderr.join("\n")).toMatch(/--loss-group/);
  });
});
