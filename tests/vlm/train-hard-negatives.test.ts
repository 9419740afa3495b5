/**
 * `duet train --hard-negatives`: each caption's swapped twin (data/caption-swap.ts) is
 * tokenised in the collate, embedded by the chunk that embeds its row, and handed to the loss
 * as `hardNegatives` — the image → text logits have N + N·K columns. The three roads of the
 * StepEngine (plain, gradient caching, data parallel) give the same gradients with them as
 * without, and the run records the setting.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import { captionTwin, swapWordOrder } from "../../packages/vlm/src/data/caption-swap.js";
import { wordBag } from "../../packages/vlm/src/data/openmoji/binding.js";
import { CLIP, parseModelConfig, startStepEngine, trainClip, trainLoader } from "../../packages/vlm/src/index.js";
import { CONTEXT, expectSame, gradients, tokenRows, VOCAB } from "./engine-gradients.js";
import { trainBpe } from "../../packages/vlm/src/tokenizer/trainer.js";
import { duet } from "./cli-helpers.js";
import { tempDir, tinyModel, tinyRun } from "./train-helpers.js";

// every cross-entropy's logits shape, to see what the loss was given (the function itself runs unchanged)
const seen = vi.hoisted(() => ({ shapes: [] as number[][] }));
vi.mock("@duet/autograd", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@duet/autograd")>();
  return {
    ...actual,
    crossEntropy: (logits: { shape: readonly number[] }, ...rest: unknown[]) => {
      seen.shapes.push([...logits.shape]);
      return (actual.crossEntropy as (...a: unknown[]) => unknown)(logits, ...rest);
    },
  };
});

describe("the swapped twin", () => {
  it("reorders phrases, else words, keeping the words; an emoji's binding is swapped instead", () => {
    expect(swapWordOrder("grinning face, smile")).toBe("smile, grinning face");
    expect(swapWordOrder("laugh: grinning face")).toBe("grinning face: laugh");
    expect(swapWordOrder("grinning face (cheerful)")).toBe("cheerful (grinning face)");
    expect(swapWordOrder("an emoji of grinning face")).toBe("an emoji of face grinning");
    expect(swapWordOrder("brain")).toBe("");
    for (const caption of ["grinning face, happy, teeth", "an icon of red apple", "family: man, man, boy", "kiss: woman, man"]) {
      const twin = swapWordOrder(caption);
      expect(twin).not.toBe(caption);
      expect(wordBag(twin)).toEqual(wordBag(caption));
    }
    expect(captionTwin("deal: handshake: light skin tone, dark skin tone", "handshake: light skin tone, dark skin tone")).toBe("deal: handshake: dark skin tone, light skin tone");
    expect(captionTwin("an emoji of person walking: facing right", "person walking: facing right")).toBe("an emoji of person walking");
    expect(captionTwin("grinning face, smile", "grinning face")).toBe("smile, grinning face");
  });

  it("the collate tokenises each caption's twin beside it, row for row", async () => {
    const pairs = ["grinning face, smile", "red apple", "an emoji of dog face"].map((caption) => ({ image: new Tensor(new Float32Array(3 * 4 * 4), [3, 4, 4]), caption }));
    const tokenizer = trainBpe(pairs.map((p) => p.caption), { vocabSize: 600 });
    const loader = trainLoader({ length: 3, get: (k) => pairs[k]! }, tokenizer, 12, 3, 0, true);
    const batch = (await loader.next()).data;
    expect(batch.negatives!.shape).toEqual([3, 12]);
    expect(batch.negatives!.contiguousData()).toEqual(tokenizer.tokenize(batch.captions.map((c) => swapWordOrder(c)), 12).contiguousData());
    const plain = (await trainLoader({ length: 3, get: (k) => pairs[k]! }, tokenizer, 12, 3, 0).next()).data;
    expect(plain.negatives).toBeUndefined();
  });
});

describe("the loss sees the hard negatives", () => {
  it("trainClip with hardNegatives: the image → text logits are (N, N + N·K), text → image (N, N); the run records it", async () => {
    const out = tempDir("hard-negatives");
    seen.shapes.length = 0;
    const result = await trainClip(await tinyRun(out, { steps: 1, warmup: 0, hardNegatives: true }));
    expect(seen.shapes).toEqual([[8, 16], [8, 8]]);
    expect(result.run.hardNegatives).toBe(true);
    const state = JSON.parse(readFileSync(join(out, "checkpoint", "train_state.json"), "utf8")) as { config: { hardNegatives: boolean } };
    expect(state.config.hardNegatives).toBe(true);

    seen.shapes.length = 0;
    const without = await trainClip(await tinyRun(tempDir("no-hard-negatives"), { steps: 1, warmup: 0 }));
    expect(seen.shapes).toEqual([[8, 8], [8, 8]]);
    expect(without.run.hardNegatives).toBe(false);
  });

  it("changes the loss: the same batch scores higher with its twins as extra negatives", async () => {
    const withTwins = await gradients({ shards: 1, chunkSize: null });
    const without = await gradients({ shards: 1, chunkSize: null, k: 0 });
    expect(withTwins.loss).toBeGreaterThan(without.loss);
  });
});

describe("hard negatives on every road of the StepEngine", () => {
  it("gradient caching and data parallelism give the plain batch's gradients (float64: to 1e-12), K = 1 and 2", { timeout: 60_000 }, async () => {
    for (const k of [1, 2]) {
      const plain = await gradients({ shards: 1, chunkSize: null, k });
      expectSame(`K ${k}, chunks of 3`, await gradients({ shards: 1, chunkSize: 3, k }), plain);
      expectSame(`K ${k}, 2 shards`, await gradients({ shards: 2, chunkSize: null, k }), plain);
      expectSame(`K ${k}, 2 shards, chunks of 2`, await gradients({ shards: 2, chunkSize: 2, k }), plain);
    }
  });

  it("SigLIP's loss takes them too, the same on every road", async () => {
    const plain = await gradients({ shards: 1, chunkSize: null, siglip: true });
    expectSame("siglip, chunks of 4", await gradients({ shards: 1, chunkSize: 4, siglip: true }), plain);
  });

  it("refuses twin tokens that are not (B·K, L)", async () => {
    const json = tinyModel({ text: { context_length: CONTEXT, vocab_size: VOCAB } });
    json["duet"] = {};
    const model = new CLIP(parseModelConfig(json), { dtype: "float64", generator: new Generator(1) });
    const engine = await startStepEngine(model, { shards: 1, chunkSize: null, loss: "clip" });
    const g = new Generator(2);
    await expect(engine.accumulate(randn([4, 3, 16, 16], { generator: g, dtype: "float64" }), tokenRows(4, g), 1, 0, tokenRows(6, g))).rejects.toThrow(
      /StepEngine.accumulate: hard negatives must be \(B·K, L\) = \(4·K, 6\) tokens with K >= 1, got \[6, ?6\]/,
    );
  });
});

describe("duet train --hard-negatives", () => {
  it("is in --help", async () => {
    const help = await duet("train", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--hard-negatives\s+one swapped twin per caption as a hard negative/);
  });
});
