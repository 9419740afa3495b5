/**
 * CoCa trains as CLIP does: open_clip's CoCaLoss (contrastive + 2 × caption cross-entropy) in
 * the one training step, on every road of the StepEngine. Gradient caching and data
 * parallelism give the plain batch's gradients (the captioning loss is a sum over rows, so its
 * chunks add up like the parameter gradients); trainClip logs the two parts, resumes bit for
 * bit, and its NaN guard skips a bad step.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { full, Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import { CoCa, contrastiveLoss, getPreset, isCoCa, lossOnFeatures, parseModelConfig, startStepEngine, trainClip, type ModelConfigJson, type StepRecord, type TrainClipOptions, type TrainResult } from "../../packages/vlm/src/index.js";
import { tinyCoca } from "./coca-helpers.js";
import { handfulOfOpenMoji, tempDir, tinyRun } from "./train-helpers.js";

const VOCAB = 50;
const CONTEXT = 6;

/** Random images and token rows [sot, ids..., eot, 0...] of random lengths (so some labels are padding). */
function batch(n: number, dtype: "float32" | "float64"): { images: Tensor; tokens: Tensor } {
  const g = new Generator(5);
  const tokens = new Int32Array(n * CONTEXT);
  for (let r = 0; r < n; r++) {
    const length = 2 + g.nextInt(CONTEXT - 1);
    for (let j = 0; j < length - 1; j++) tokens[r * CONTEXT + j] = 1 + g.nextInt(VOCAB - 2);
    tokens[r * CONTEXT + length - 1] = VOCAB - 1;
  }
  return { images: randn([n, 3, 16, 16], { generator: g, dtype }), tokens: new Tensor(tokens, [n, CONTEXT]) };
}

/** The loss, its parts and every parameter's gradient after one batch through an engine. */
async function gradients(shards: number, chunkSize: number | null, dtype: "float32" | "float64" = "float64") {
  const model = new CoCa(parseModelConfig(tinyCoca({ text: { context_length: CONTEXT, vocab_size: VOCAB }, multimodal: { context_length: CONTEXT, vocab_size: VOCAB } })), { dtype, generator: new Generator(11) });
  const { images, tokens } = batch(10, dtype);
  const engine = await startStepEngine(model, { shards, chunkSize, loss: "clip" });
  try {
    const parts = await engine.accumulateParts(images, tokens, 1, 99);
    return { parts, grads: model.namedParameters().map(([name, p]) => ({ name, grad: p.grad === null ? null : Float64Array.from(p.grad.contiguousData()) })) };
  } finally {
    await engine.close();
  }
}

type Grads = Awaited<ReturnType<typeof gradients>>;

function expectSame(label: string, got: Grads, want: Grads, rtol: number, atol: number): void {
  for (const key of ["loss", "contrastive", "caption"] as const) {
    const [g, w] = [got.parts[key]!, want.parts[key]!];
    expect(Math.abs(g - w), `${label}: ${key} ${g} vs ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w) + atol);
  }
  want.grads.forEach(({ name, grad }, i) => {
    const other = got.grads[i]!.grad;
    expect(other === null, `${label}: ${name} has a gradient in one and not the other`).toBe(grad === null);
    if (grad === null || other === null) return;
    const scale = grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    let at = 0;
    grad.forEach((v, k) => {
      const d = Math.abs(other[k]! - v);
      if (d > worst) [worst, at] = [d, k];
    });
    expect(worst, `${label}: ${name}[${at}] is ${other[at]} vs ${grad[at]} (max |g| ${scale})`).toBeLessThanOrEqual(rtol * scale + atol);
  });
}

describe("CoCa on the StepEngine's roads", () => {
  it("the plain batch is open_clip's CoCaLoss: two parts that add up, every parameter reached", async () => {
    const plain = await gradients(1, null);
    const { loss, contrastive, caption } = plain.parts;
    expect(contrastive! + caption!).toBeCloseTo(loss, 12);
    expect(caption!).toBeGreaterThan(0);
    // logit_scale through InfoNCE, the decoder through the caption loss, the towers through both
    for (const { name, grad } of plain.grads) expect(grad, `${name} has no gradient`).not.toBeNull();
  });

  it("gradient caching and 2 data-parallel shards equal the plain batch (float64: to 1e-12)", async () => {
    const plain = await gradients(1, null);
    for (const chunkSize of [1, 3, 4]) expectSame(`chunks of ${chunkSize}`, await gradients(1, chunkSize), plain, 1e-12, 1e-15);
    expectSame("2 shards", await gradients(2, null), plain, 1e-12, 1e-15);
    expectSame("2 shards, chunks of 2", await gradients(2, 2), plain, 1e-12, 1e-15);
  });

  it("in float32, 2 shards agree with one to float rounding, and deterministically", async () => {
    const plain = await gradients(1, null, "float32");
    const two = await gradients(2, 3, "float32");
    expectSame("float32, 2 shards, chunks of 3", two, plain, 1e-4, 1e-7);
    expect(await gradients(2, 3, "float32")).toEqual(two);
  });

  it("lossOnFeatures (the validation loss) of a CoCa is its InfoNCE alone, without logit_bias, as CoCaLoss's contrastive part", () => {
    const model = new CoCa(parseModelConfig(tinyCoca({ top: { init_logit_bias: -3 } })), { dtype: "float64", generator: new Generator(2) });
    const g = new Generator(8);
    const [image, text] = [randn([5, 16], { generator: g, dtype: "float64" }), randn([5, 16], { generator: g, dtype: "float64" })];
    expect(lossOnFeatures(model, image, text, "clip").item()).toBe(contrastiveLoss(image, text, model.logitScaleExp()).item());
  });

  it("refuses SigLIP's loss for a CoCa (open_clip's CoCaLoss is InfoNCE's)", async () => {
    const model = new CoCa(parseModelConfig(tinyCoca()), { generator: new Generator(1) });
    const engine = await startStepEngine(model, { shards: 1, chunkSize: null, loss: "siglip" });
    const { images } = batch(2, "float32");
    await expect(engine.accumulate(images, new Tensor(new Int32Array([1, 19, 0, 0, 0, 0, 2, 3, 19, 0, 0, 0]), [2, 6]), 1, 0)).rejects.toThrow(/loss "siglip" is not a CoCa's/);
  });
});

/** A tiny CoCa for trainClip (a learned BPE: the run sets vocab and context, the decoder follows). */
function tinyCocaModel(): ModelConfigJson {
  return {
    embed_dim: 16,
    vision_cfg: { image_size: 16, patch_size: 8, width: 32, layers: 1, head_width: 16, attentional_pool: true, attn_pooler_queries: 5, attn_pooler_heads: 2 },
    text_cfg: { width: 16, heads: 2, layers: 1, embed_cls: true },
    multimodal_cfg: { width: 16, heads: 2, layers: 1 },
    custom_text: true,
    duet: { tokenizer: "tokenizer.json" },
  };
}

async function cocaRun(dir: string, options: Partial<TrainClipOptions> = {}): Promise<TrainClipOptions> {
  return tinyRun(dir, { model: tinyCocaModel(), ...options });
}

async function run(options: TrainClipOptions, stopAt?: number): Promise<{ records: StepRecord[]; warnings: string[]; result: TrainResult }> {
  const records: StepRecord[] = [];
  const warnings: string[] = [];
  const controller = new AbortController();
  const result = await trainClip({ ...options, signal: controller.signal }, {
    onStep: (r) => {
      records.push(r);
      if (r.step === stopAt) controller.abort();
    },
    onLog: (line, level) => level === "warn" && warnings.push(line),
  });
  return { records, warnings, result };
}

const weights = (result: TrainResult) => Object.fromEntries([...result.model.stateDict()].map(([k, t]) => [k, Array.from(t.contiguousData())]));

describe("trainClip on a CoCa", () => {
  it("a few steps on eight emojis lower the loss; train_log holds its two parts; the decoder's context follows the text's", async () => {
    const { records, result } = await run(await cocaRun(tempDir("coca-train"), { steps: 8, lr: 5e-3 }));
    expect(isCoCa(result.model)).toBe(true);
    expect(result.config.multimodal_cfg!.context_length).toBe(16);
    expect(result.config.multimodal_cfg!.vocab_size).toBe(result.config.text_cfg.vocab_size);
    const losses = records.map((r) => r.loss);
    // the batch is the eight emojis each step (their captions vary), so the curve is noisy but falls
    expect(Math.max(...losses.slice(-2)), `losses ${losses.join(", ")}`).toBeLessThan(0.85 * losses[0]!);
    const logged = readFileSync(result.logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    for (const line of logged) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(["step", "epoch", "loss", "lr", "logit_scale", "grad_norm", "samples_per_s", "time", "contrastive_loss", "caption_loss"]));
      expect(line["contrastive_loss"]! + line["caption_loss"]!).toBeCloseTo(line["loss"]!, 5);
    }
    expect(logged[logged.length - 1]!["caption_loss"]).toBeLessThan(logged[0]!["caption_loss"]!);
  });

  it("refuses a decoder context shorter than the captions it must read, before training", async () => {
    const model = tinyCocaModel();
    (model["multimodal_cfg"] as Record<string, unknown>)["context_length"] = 8;
    await expect(trainClip(await cocaRun(tempDir("coca-short"), { model, steps: 1 }))).rejects.toThrow(/multimodal_cfg\.context_length \(8\) must be at least the text context minus one \(15\)/);
  });

  it("with 2 data-parallel threads and chunks, the loss curve matches one thread within float tolerance", async () => {
    const curve = async (threads: number, dataParallel: boolean, chunkSize: number | null) => (await run(await cocaRun(tempDir("coca-dp"), { steps: 3, threads, dataParallel, chunkSize }))).records.map((r) => r.loss);
    const one = await curve(1, false, null);
    const two = await curve(2, true, 3);
    two.forEach((loss, i) => expect(Math.abs(loss - one[i]!), `step ${i + 1}: ${loss} vs ${one[i]}`).toBeLessThan(1e-4 * Math.abs(one[i]!)));
  });

  it("accumulates batches and caches gradients for a CoCa: the logged parts are the batches' means and add up to the loss", async () => {
    const { records } = await run(await cocaRun(tempDir("coca-accumulate"), { steps: 2, batchSize: 4, accumulation: 2, chunkSize: 3 }));
    for (const r of records) {
      expect(r.skipped).toBeUndefined();
      expect(r.contrastive_loss! + r.caption_loss!).toBeCloseTo(r.loss, 5);
    }
  });

  it("stopped at step 2 and resumed, equals the uninterrupted run bit for bit", async () => {
    const whole = await run(await cocaRun(tempDir("coca-whole"), { steps: 4, warmup: 1 }));
    const dir = tempDir("coca-stopped");
    const first = await run(await cocaRun(dir, { steps: 4, warmup: 1 }), 2);
    expect(first.result.stoppedBy).toBe("signal");
    const second = await run(await cocaRun(dir, { steps: 4, warmup: 1, resume: dir }));
    expect(isCoCa(second.result.model)).toBe(true);
    expect([...first.records, ...second.records].map((r) => [r.loss, r.contrastive_loss, r.caption_loss])).toEqual(whole.records.map((r) => [r.loss, r.contrastive_loss, r.caption_loss]));
    expect(weights(second.result)).toEqual(weights(whole.result));
  });

  it("the NaN guard skips a step whose batch holds a NaN image, and trains on", async () => {
    const openMoji = await handfulOfOpenMoji();
    const pairs = openMoji.items.map((item, i) => ({ image: openMoji.imageTensor(i), caption: item.annotation }));
    const good = pairs[0]!.image;
    let reads = 0; // read 1 is the trainer's check of the data, read k + 1 is step k's batch
    Object.defineProperty(pairs[0], "image", { get: () => (++reads === 3 ? full(good.shape, Number.NaN) : good) });
    const { records, warnings, result } = await run(await cocaRun(tempDir("coca-nan"), { data: { kind: "pairs", pairs }, steps: 3 }));
    expect(records.map((r) => r.skipped ?? false)).toEqual([false, true, false]);
    expect(warnings).toEqual([expect.stringMatching(/^step 2: loss NaN, gradient norm NaN: not finite, the step was skipped/)]);
    expect(Number.isFinite(records[2]!.loss)).toBe(true);
    expect(result.steps).toBe(3);
  });
});

describe("the coca preset", () => {
  it("is the demo's towers with open_clip's CoCa parts; its decoder's context and vocabulary follow the fitted text's; one step trains", async () => {
    const demo = getPreset("demo");
    const coca = getPreset("coca");
    expect(coca.training).toEqual(demo.training);
    expect(coca.tokenizer).toEqual(demo.tokenizer);
    expect(coca.model["vision_cfg"]).toMatchObject({ ...(demo.model["vision_cfg"] as object), attentional_pool: true, attn_pooler_heads: 8 });
    expect(coca.model["text_cfg"]).toMatchObject({ ...(demo.model["text_cfg"] as object), embed_cls: true });
    const g = new Generator(3);
    const captions = ["a red apple", "a dog", "a smiling face with open eyes", "a blue car on the road"];
    const pairs = captions.map((caption) => ({ image: randn([3, 32, 32], { generator: g }), caption }));
    const { records, result } = await run({ model: "coca", data: { kind: "pairs", pairs }, outDir: tempDir("coca-preset"), steps: 1, warmup: 0, batchSize: 4, threads: 1, dataParallel: false, checkpointEvery: 0 });
    expect(isCoCa(result.model)).toBe(true);
    expect(result.run.model).toBe("coca");
    const { text_cfg: text, multimodal_cfg: multimodal } = result.config;
    expect(multimodal).toMatchObject({ width: 64, heads: 2, layers: 2, context_length: text.context_length, vocab_size: text.vocab_size });
    expect(records[0]!.skipped).toBeUndefined();
    expect(records[0]!.caption_loss).toBeGreaterThan(0);
  });
});
