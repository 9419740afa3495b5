/**
 * One Duet configuration of `pnpm bench:train`, in its own process, so the peak RSS it
 * reports is its own (process.resourceUsage().maxRSS counts its data-parallel and kernel
 * worker threads, which live in this process).
 *
 * The step is the trainer's own, TrainingStep (vlm's train/step.ts), on its StepEngine:
 *
 *   model.zeroGrad()
 *   loss = engine.accumulate(images, tokens)   forward, InfoNCE, backward (plain or data-parallel)
 *   the global gradient norm; the clip to the preset's max norm
 *   optimizer.step()                           AdamW, no decay for ndim <= 1
 *   model.clampLogitScale()
 *
 * on one synthetic batch of the model's shapes, used for every step: images (B, 3, S, S)
 * drawn from N(0, 1) (already "normalised"), token rows [start, random ids, end, 0 ...] of
 * random lengths. The work of a step does not depend on the values, and no data loading
 * (OpenMoji lookup, random crops, tokenising: a few ms of a 1-8 s step) is timed. Left out
 * against the trainer's loop: the learning-rate assignment, the data loader and the log line.
 *
 * Protocol: see StepProcessSpec in train-options.ts.
 */

import { createInterface } from "node:readline";
import { Generator, randn, setNumThreads, shutdownThreads, Tensor } from "@duet/tensor";
import { createModel, parseModelConfig, recipeDefaults, startStepEngine, TrainingStep, type ModelConfig } from "@duet/vlm";
import type { StepProcessSpec } from "./train-options.js";

const send = (message: Record<string, unknown>) => process.stdout.write(JSON.stringify(message) + "\n");

/** (B, 3, S, S) images and (B, L) int32 tokens: [start, ids in [1, V-2), end, 0 ...], start = V-2, end = V-1 (the largest id). */
function syntheticBatch(config: ModelConfig, batch: number, generator: Generator): { images: Tensor; tokens: Tensor } {
  const size = config.vision_cfg.image_size;
  const { context_length: context, vocab_size: vocab } = config.text_cfg;
  const ids = new Int32Array(batch * context);
  for (let row = 0; row < batch; row++) {
    const length = 1 + generator.nextInt(context - 2); // ids between start and end
    const at = row * context;
    ids[at] = vocab - 2;
    for (let k = 1; k <= length; k++) ids[at + k] = 1 + generator.nextInt(vocab - 3);
    ids[at + length + 1] = vocab - 1;
  }
  return { images: randn([batch, 3, size, size], { generator }), tokens: new Tensor(ids, [batch, context]) };
}

async function main(spec: StepProcessSpec): Promise<void> {
  const config = parseModelConfig(spec.modelConfig);
  const model = createModel(config, { generator: new Generator(spec.seed) });
  model.train();
  // As trainClip does, after building the model: data-parallel shards take the threads, so
  // each shard's kernels run on one; otherwise one shard and the kernels split.
  const dataParallel = spec.config.mode === "data-parallel";
  setNumThreads(dataParallel ? 1 : spec.config.threads);
  const engine = await startStepEngine(model, { shards: dataParallel ? spec.config.threads : 1, chunkSize: null, loss: config.duet.loss });
  // the trainer's recipe with the preset's settings; no warmup and a schedule far longer than
  // the benchmark, so the learning rate stays at its peak
  const recipe = { ...recipeDefaults(null), steps: 1_000_000, warmup: 0, lr: spec.lr, weightDecay: spec.weightDecay, gradClipNorm: spec.gradClipNorm, loss: config.duet.loss };
  const stepper = new TrainingStep(model, engine, recipe);
  const { images, tokens } = syntheticBatch(config, spec.batch, new Generator(spec.seed + 1));
  let stepsDone = 0;

  const step = async (): Promise<number> => {
    const seed = stepsDone++;
    return (await stepper.run(seed, () => ({ images, tokens, samples: spec.batch, seed }))).loss;
  };

  send({ ready: true, parameters: model.numParameters() });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { run?: number; exit?: boolean };
    if (command.exit) break;
    const ms: number[] = [];
    const cpuMs: number[] = [];
    let loss = NaN;
    for (let s = 0; s < (command.run ?? 0); s++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      loss = await step();
      ms.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      cpuMs.push((cpu.user + cpu.system) / 1000);
    }
    send({ ms, cpu_ms: cpuMs, loss });
  }
  await engine.close();
  await shutdownThreads();
  send({ peak_rss_mb: process.resourceUsage().maxRSS / 1024 });
}

try {
  await main(JSON.parse(process.argv[2] ?? "") as StepProcessSpec);
} catch (error) {
  send({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
}
