/**
 * `pnpm bench:profile`: where the time of one training step goes, on one thread.
 *
 * Runs the trainer's step (TrainingStep: forward, InfoNCE, backward, clipping, AdamW) of a bench
 * preset ("demo" or "reference") on one synthetic batch, as `pnpm bench:train` does, on one
 * thread and one shard, under V8's sampling profiler (node:inspector, in this process), and
 * prints:
 *
 * - the step's wall time (min / median over the timed steps);
 * - the profile's self time per category (matmul, softmax, layerNorm, GELU and the other
 *   elementwise kernels, reductions, the optimizer, autograd's bookkeeping, garbage
 *   collection...), in ms per step and as a share of the step;
 * - every matrix-product shape of the step, timed call by call (tensor's `observeKernels`),
 *   with its GFLOP/s;
 * - the functions with the most self time.
 *
 * Thread hand-offs are not in a one-thread profile: `pnpm bench:train` gives them, as the CPU
 * time of a data-parallel step beyond a one-thread step.
 *
 * Usage: pnpm bench:profile [--model demo|reference|coca] [--steps N] [--warmup N] [--json]
 */

import { Session } from "node:inspector/promises";
import { Generator, observeKernels, randn, setNumThreads, shutdownThreads, Tensor } from "@duet/tensor";
import { createModel, parseModelConfig, recipeDefaults, startStepEngine, TrainingStep, type ModelConfig } from "@duet/vlm";
import { categoryOf, flopsOf, selfTimes, shortUrl } from "./profile-report.js";
import { presetModel } from "./preset-model.js";
import { MODELS as TRAIN_MODELS } from "./train-options.js";

/** bench:train's models, and the CoCa preset (profiled only: PyTorch's side of bench:train has no CoCa step). */
const MODELS = [...TRAIN_MODELS, "coca"] as const;
type BenchModel = (typeof MODELS)[number];

const USAGE = `usage: pnpm bench:profile [--model ${MODELS.join("|")}] [--steps N] [--warmup N] [--json]

Profiles one thread running the trainer's step of a bench preset on a synthetic batch: the
time per category (matmul, softmax, layerNorm, elementwise, optimizer, autograd, GC, ...),
every matrix product by shape, and the top functions.

  --model NAME   demo (default), reference or coca
  --steps N      profiled steps (default: demo and coca 6, reference 2)
  --warmup N     steps before profiling (default: demo and coca 3, reference 1)
  --json         the result as JSON on stdout`;

interface Options {
  model: BenchModel;
  steps: number | null;
  warmup: number | null;
  json: boolean;
}

function parseArgs(argv: string[]): Options | "help" {
  const o: Options = { model: "demo", steps: null, warmup: null, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const positive = (): number => {
      const value = argv[++i];
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer, got ${value === undefined ? "nothing" : JSON.stringify(value)}`);
      return n;
    };
    if (flag === "--help" || flag === "-h") return "help";
    else if (flag === "--json") o.json = true;
    else if (flag === "--steps") o.steps = positive();
    else if (flag === "--warmup") o.warmup = positive();
    else if (flag === "--model") {
      const name = argv[++i];
      if (!(MODELS as readonly string[]).includes(name ?? "")) throw new Error(`--model takes one of ${MODELS.join(", ")}, got ${name === undefined ? "nothing" : JSON.stringify(name)}`);
      o.model = name as BenchModel;
    } else throw new Error(`unknown option ${JSON.stringify(flag)} (see --help)`);
  }
  return o;
}

/** (B, 3, S, S) images from N(0, 1) and (B, L) token rows [start, ids, end, 0 ...], as bench/train-child.ts makes them. */
function syntheticBatch(config: ModelConfig, batch: number, generator: Generator): { images: Tensor; tokens: Tensor } {
  const size = config.vision_cfg.image_size;
  const { context_length: context, vocab_size: vocab } = config.text_cfg;
  const ids = new Int32Array(batch * context);
  for (let row = 0; row < batch; row++) {
    const length = 1 + generator.nextInt(context - 2);
    const at = row * context;
    ids[at] = vocab - 2;
    for (let k = 1; k <= length; k++) ids[at + k] = 1 + generator.nextInt(vocab - 3);
    ids[at + length + 1] = vocab - 1;
  }
  return { images: randn([batch, 3, size, size], { generator }), tokens: new Tensor(ids, [batch, context]) };
}


async function main(): Promise<void> {
  let options: Options | "help";
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench:profile: ${(error as Error).message}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const { model: modelName, json } = options;
  const steps = options.steps ?? (modelName === "reference" ? 2 : 6);
  const warmup = options.warmup ?? (modelName === "reference" ? 1 : 3);
  const say = json ? (line: string) => console.error(line) : (line: string) => console.log(line);

  const preset = await presetModel(modelName);
  const config = parseModelConfig(preset.json);
  const model = createModel(config, { generator: new Generator(0) });
  model.train();
  setNumThreads(1);
  const engine = await startStepEngine(model, { shards: 1, chunkSize: null, loss: config.duet.loss });
  const recipe = { ...recipeDefaults(null), steps: 1_000_000, warmup: 0, lr: preset.lr, weightDecay: preset.weightDecay, gradClipNorm: preset.gradClipNorm, loss: config.duet.loss };
  const stepper = new TrainingStep(model, engine, recipe);
  const { images, tokens } = syntheticBatch(config, preset.batch, new Generator(1));
  let seed = 0;
  const step = async () => {
    const s = seed++;
    await stepper.run(s, () => ({ images, tokens, samples: preset.batch, seed: s }));
  };

  say(`bench:profile: ${modelName} (${model.numParameters()} parameters, batch ${preset.batch}), 1 thread; ${warmup} warm-up step(s), ${steps} profiled`);
  for (let i = 0; i < warmup; i++) await step();

  const products = new Map<string, { calls: number; ms: number; flops: number }>();
  // the step's wall time first, with neither the profiler nor the matmul observer running
  const wall: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    wall.push(performance.now() - t0);
  }

  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  observeKernels((_kernel, key, ms) => {
    const entry = products.get(key) ?? { calls: 0, ms: 0, flops: flopsOf(key) };
    entry.calls++;
    entry.ms += ms;
    products.set(key, entry);
  });
  await session.post("Profiler.start");
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const profiledMs = performance.now() - t0;
  const { profile } = await session.post("Profiler.stop");
  observeKernels(null);
  session.disconnect();
  await engine.close();
  await shutdownThreads();

  const self = selfTimes(profile);
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url } = node.callFrame;
    const fn = functionName || "(anonymous)";
    const category = categoryOf(fn, url);
    byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
    const label = url ? `${fn} (${shortUrl(url)})` : fn;
    byFunction.set(label, (byFunction.get(label) ?? 0) + ms);
  }
  const sampledMs = [...byCategory.values()].reduce((s, v) => s + v, 0);
  wall.sort((a, b) => a - b);
  const median = wall[Math.floor(wall.length / 2)]!;
  const result = {
    model: modelName,
    parameters: model.numParameters(),
    batch: preset.batch,
    threads: 1,
    step_ms: { min: wall[0]!, median },
    profiled_step_ms: profiledMs / steps,
    categories: [...byCategory.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms_per_step: ms / steps, share: ms / sampledMs })),
    matmul_shapes: [...products.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([shape, e]) => ({ shape, calls_per_step: e.calls / steps, ms_per_step: e.ms / steps, gflops: (e.flops * e.calls) / e.ms / 1e6 })),
    top_functions: [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([name, ms]) => ({ name, ms_per_step: ms / steps, share: ms / sampledMs })),
  };
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const f1 = (x: number) => x.toFixed(1);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  say(`\nstep wall time: min ${f1(result.step_ms.min)} ms, median ${f1(median)} ms (unprofiled); ${f1(result.profiled_step_ms)} ms profiled\n`);
  say("| where | ms / step | share |\n| --- | ---: | ---: |");
  for (const c of result.categories) say(`| ${c.name} | ${f1(c.ms_per_step)} | ${pct(c.share)} |`);
  const matmulMs = result.matmul_shapes.reduce((s, e) => s + e.ms_per_step, 0);
  say(`\nmatrix products (${f1(matmulMs)} ms / step, timed per call, output allocation included):\n`);
  say("| shape | calls / step | ms / step | GFLOP/s |\n| --- | ---: | ---: | ---: |");
  for (const e of result.matmul_shapes) say(`| ${e.shape} | ${e.calls_per_step} | ${f1(e.ms_per_step)} | ${e.gflops.toFixed(2)} |`);
  say("\ntop functions by self time:\n");
  say("| function | ms / step | share |\n| --- | ---: | ---: |");
  for (const e of result.top_functions) say(`| ${e.name.replaceAll("|", "\\|")} | ${f1(e.ms_per_step)} | ${pct(e.share)} |`);
}

await main();
