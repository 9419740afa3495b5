/**
 * A training checkpoint is a model checkpoint (config.json, model.safetensors, tokenizer.json)
 * that loadCheckpoint reads back into the same model, plus train_state.json and
 * optimizer.safetensors for an exact resume. `init` starts a new run from its weights.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../packages/nn/src/node.js";
import { stack } from "../../packages/tensor/src/index.js";
import { embedImages, embedTexts, loadCheckpoint, TRAIN_STATE_FORMAT, trainClip, type TrainState } from "../../packages/vlm/src/index.js";
import { handfulOfOpenMoji, tempDir, tinyRun } from "./train-helpers.js";

describe("training checkpoints", () => {
  it("hold config.json, model.safetensors, tokenizer.json, train_state.json and optimizer.safetensors, and reload into the same model", async () => {
    const dir = tempDir("ckpt");
    const result = await trainClip(await tinyRun(dir, { steps: 3, checkpointEvery: 2, seed: 7 }));
    expect(readdirSync(result.checkpointDir).sort()).toEqual(["config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "train_state.json"]);

    const loaded = loadCheckpoint(result.checkpointDir);
    expect(loaded.config).toEqual(result.config);
    const openMoji = await handfulOfOpenMoji();
    const captions = openMoji.items.map((item) => `an emoji of ${item.annotation}`);
    expect(Array.from(loaded.tokenize(captions).contiguousData())).toEqual(Array.from(result.tokenizer.tokenize(captions, 16).contiguousData()));
    const images = openMoji.items.map((_, i) => openMoji.imageTensor(i));
    result.model.eval();
    expect(Array.from(embedImages(loaded.model, stack(images)).contiguousData())).toEqual(Array.from(embedImages(result.model, stack(images)).contiguousData()));
    expect(Array.from(embedTexts(loaded.model, loaded.tokenize(captions)).contiguousData())).toEqual(Array.from(embedTexts(result.model, loaded.tokenize(captions)).contiguousData()));

    const state = JSON.parse(readFileSync(join(result.checkpointDir, "train_state.json"), "utf8")) as TrainState;
    expect(state).toMatchObject({ format: TRAIN_STATE_FORMAT, version: 1, step: 3, epoch: 3, samples_seen: 24, loader: { epoch: 3, index: 0 }, nan_streak: 0 });
    expect(state.rng.default).toHaveLength(5);
    expect(state.config).toMatchObject({ seed: 7, steps: 3, batchSize: 8, lr: 2e-3, warmup: 1, loss: "clip", vocabSize: 600, contextLength: 16, gradClipNorm: 1 });
    expect(state.optimizer.kind).toBe("AdamW");
    expect(state.optimizer.groups.map((g) => g.hyper["weightDecay"])).toEqual([0, 0.1]);
    expect(state.optimizer.groups[0]!.params).toContain("logit_scale"); // no weight decay for ndim <= 1, as open_clip

    const moments = readSafetensors(join(result.checkpointDir, "optimizer.safetensors")).tensors;
    for (const [name, p] of result.model.namedParameters()) {
      expect(moments.get(`${name}.exp_avg`)?.shape, name).toEqual(p.shape);
      expect(moments.get(`${name}.exp_avg_sq`)?.shape, name).toEqual(p.shape);
      expect(state.optimizer.steps[name]).toBe(3);
    }
  });

  it("init starts a new run from a checkpoint's weights, config and tokenizer", async () => {
    const first = await trainClip(await tinyRun(tempDir("first"), { steps: 2 }));
    const before = new Map([...loadCheckpoint(first.checkpointDir).model.stateDict()].map(([k, t]) => [k, Array.from(t.contiguousData())]));
    // lr 0: the weights cannot move, so the new run's are the checkpoint's
    const second = await trainClip(await tinyRun(tempDir("second"), { init: first.checkpointDir, steps: 2, lr: 0, vocabSize: undefined, contextLength: undefined }));
    expect(second.steps).toBe(2);
    for (const [k, t] of second.model.stateDict()) expect(Array.from(t.contiguousData()), k).toEqual(before.get(k));
    const state = JSON.parse(readFileSync(join(second.checkpointDir, "train_state.json"), "utf8")) as TrainState;
    expect(state.step).toBe(2);
    expect(state.config["model"]).toBe(`init:${first.checkpointDir}`);
    await expect(trainClip(await tinyRun(tempDir("third"), { init: first.checkpointDir, vocabSize: 700 }))).rejects.toThrow(/vocabSize is 600 in .*; it cannot become 700/);
  });
});
