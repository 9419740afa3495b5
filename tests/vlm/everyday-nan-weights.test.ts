/**
 * One NaN in the weights is refused wherever weights come in or go out: at load (every command,
 * `train --resume` and `--init`, the browser's loader), before a save, and in evaluation's
 * features. Before, a NaN weight gave NaN features, which every ranking keeps in input order:
 * `eval zeroshot` reported top-1 = 100% and `eval retrieval` R@1 = 100% (exit 0), `embed`
 * printed null features, and `train --resume` skipped every step and exited 0.
 */

import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serializeSafetensors } from "../../packages/nn/src/index.js";
import { readSafetensors, writeSafetensors } from "../../packages/nn/src/node.js";
import { full, stack } from "../../packages/tensor/src/index.js";
import { checkpointFromFiles } from "../../packages/vlm/src/browser/checkpoint.js";
import { embedImages, embedTexts } from "../../packages/vlm/src/eval/embed.js";
import { loadCheckpoint, ModelError, saveCheckpoint } from "../../packages/vlm/src/model/index.js";
import { cliWorkspace, duet, TINY_MODEL_JSON } from "./cli-helpers.js";

const work = cliWorkspace("nan-weights");

/** Sets one value of one tensor of the checkpoint folder `dir`. */
function poison(dir: string, tensor: string, value: number, index = 0): void {
  const file = join(dir, "model.safetensors");
  const tensors = readSafetensors(file).tensors;
  const t = tensors.get(tensor)!.clone();
  t.data[index] = value;
  tensors.set(tensor, t);
  writeSafetensors(file, tensors);
}

/** A poisoned copy of a checkpoint folder. */
function poisoned(source: string, name: string, tensor: string, value: number, index = 0): string {
  const dir = join(work.dir, name);
  cpSync(source, dir, { recursive: true });
  poison(dir, tensor, value, index);
  return dir;
}

function expectOneLine(result: { code: number; stderr: string[] }, message: RegExp): void {
  expect(result.code, result.stderr.join("\n")).toBe(2);
  expect(result.stderr).toHaveLength(1);
  expect(result.stderr[0]).toMatch(message);
}

describe("a NaN or Inf weight", () => {
  const nan = poisoned(work.duetCheckpoint, "nan", "visual.proj", Number.NaN, 5);
  const inf = poisoned(work.duetCheckpoint, "inf", "token_embedding.weight", Number.NEGATIVE_INFINITY, 7);

  it("is refused by loadCheckpoint, naming the file, the tensor and where", () => {
    expect(() => loadCheckpoint(nan)).toThrow(ModelError);
    expect(() => loadCheckpoint(nan)).toThrow(/model\.safetensors: a weight is not finite: visual\.proj holds a NaN \(at flat index 5 of \d+\)/);
    expect(() => loadCheckpoint(inf)).toThrow(/token_embedding\.weight holds a -Inf \(at flat index 7 of \d+\)/);
  });

  it("makes eval zeroshot, eval retrieval and embed exit 2 with one line (they reported 100% and null features)", async () => {
    expectOneLine(await duet("eval", "zeroshot", "--checkpoint", nan, "--data", work.labels, "--json"), /visual\.proj holds a NaN/);
    expectOneLine(await duet("eval", "retrieval", "--checkpoint", nan, "--data", work.pairs, "--json"), /visual\.proj holds a NaN/);
    expectOneLine(await duet("embed", "--checkpoint", nan, "--image", work.images[0]!, "--text", "a cat", "--json"), /visual\.proj holds a NaN/);
    expectOneLine(await duet("classify", "--checkpoint", inf, "--image", work.images[0]!, "--labels", "cat,dog", "--json"), /token_embedding\.weight holds a -Inf/);
    // the same folder before poisoning works
    expect((await duet("eval", "zeroshot", "--checkpoint", work.duetCheckpoint, "--data", work.labels, "--json")).code).toBe(0);
  });

  it("in a training checkpoint makes train --resume and --init exit 2 before any step (it skipped every step and exited 0)", async () => {
    const config = work.write("tiny.json", TINY_MODEL_JSON);
    const run = join(work.dir, "run");
    const first = await duet("train", "--data", work.pairs, "--model", config, "--out", run, "--steps", "2", "--warmup", "0", "--batch-size", "3", "--threads", "1", "--json");
    expect(first.code, first.stderr.join("\n")).toBe(0);
    const bad = join(work.dir, "bad-run");
    cpSync(run, bad, { recursive: true });
    poison(join(bad, "checkpoint"), "transformer.resblocks.0.attn.in_proj_weight", Number.NaN);
    const log = readFileSync(join(bad, "train_log.jsonl"), "utf8");

    const resumed = await duet("train", "--resume", bad, "--out", bad, "--steps", "4", "--extend", "--threads", "1", "--json");
    expect(resumed.code, resumed.stderr.join("\n")).toBe(2);
    expect(resumed.stderr.at(-1)).toMatch(/checkpoint\/model\.safetensors: a weight is not finite: transformer\.resblocks\.0\.attn\.in_proj_weight holds a NaN/);
    expect(readFileSync(join(bad, "train_log.jsonl"), "utf8")).toBe(log); // nothing trained, nothing logged

    const init = await duet("train", "--init", join(bad, "checkpoint"), "--data", work.pairs, "--out", join(work.dir, "from-bad"), "--steps", "1", "--threads", "1");
    expect(init.code).toBe(2);
    expect(init.stderr.at(-1)).toMatch(/in_proj_weight holds a NaN/);
  });

  it("is never saved: saveCheckpoint refuses, naming the tensor, and writes nothing", () => {
    const model = loadCheckpoint(work.duetCheckpoint).model;
    model.param("logit_scale").value.data[0] = Number.POSITIVE_INFINITY;
    const dir = join(work.dir, "never");
    expect(() => saveCheckpoint(dir, model)).toThrow(/saveCheckpoint: .*never: not saved, a weight is not finite: logit_scale holds an Inf/);
    expect(existsSync(dir)).toBe(false);
  });

  it("is refused by the browser's loader too", async () => {
    const tensors = readSafetensors(join(nan, "model.safetensors")).tensors;
    const files = { config: JSON.parse(readFileSync(join(nan, "config.json"), "utf8")) as unknown, layout: "duet" as const, weights: serializeSafetensors(tensors), source: "/checkpoint/" };
    await expect(checkpointFromFiles(files)).rejects.toThrow(/visual\.proj holds a NaN/);
  });
});

describe("evaluation refuses features that are not finite", () => {
  it("embedImages and embedTexts name the row (a NaN input gives NaN features)", () => {
    const checkpoint = loadCheckpoint(work.duetCheckpoint);
    const size = checkpoint.preprocess.size;
    const good = full([3, size, size], 0.5);
    const bad = full([3, size, size], Number.NaN);
    expect(() => embedImages(checkpoint.model, stack([good, bad]))).toThrow(/embedImages: the model gives NaN features for image 1 of 2/);
    expect(embedImages(checkpoint.model, stack([good])).shape).toEqual([1, checkpoint.config.embed_dim]);
    const model = checkpoint.model;
    model.param("text_projection").value.data.fill(Number.NaN);
    expect(() => embedTexts(model, checkpoint.tokenize(["a cat"]))).toThrow(/embedTexts: the model gives NaN features for text 0 of 1/);
  });
});
