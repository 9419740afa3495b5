/**
 * `pnpm bench:step`: one training step of the two transformer towers of the reference CLIP
 * model (the "reference" preset, the anchor of the speed target), timed.
 *
 *   image tower: (B, 65, 128)  65 tokens = 8x8 patches of a 32x32 image + the class token
 *   text tower:  (B, 32, 128)  causal mask
 *   each: nn.Transformer(width 128, 4 layers, 4 heads), MLP ratio 4, GELU (erf)
 *   B = 128
 *
 * A step is forward through both towers, a simple loss (mean(y * r) per tower, r a fixed
 * random tensor, so every output element gets a gradient), backward, and an AdamW step
 * (--no-adamw to leave it out). Embeddings, projections and the contrastive loss are not
 * here: the towers are where the time goes.
 *
 * Options:
 *   --steps N      timed steps after one warm-up step (default 5)
 *   --threads N    worker-pool threads (default: all cores)
 *   --batch N      batch size (default 128)
 *   --no-adamw     forward + backward only
 *   --check FILE   after the warm-up step, write the loss and every gradient to FILE, or, if
 *                  FILE exists, compare with it and print the largest differences (to show a
 *                  change moved nothing beyond float rounding)
 *
 * Prints wall ms per step (min / median), the process's CPU ms per step (all threads: the
 * work done, which a busy machine inflates less than the wall time), and the forward /
 * backward / optimizer split of the fastest step. For a per-function profile: `node --cpu-prof --import tsx bench/transformer-step.ts`.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as A from "@duet/autograd";
import { AdamW, paramGroupsNoDecayForNdimLe1, Transformer } from "@duet/nn";
import { causalMask, Generator, getNumThreads, randn, setNumThreads, shutdownThreads, type Tensor } from "@duet/tensor";

const args = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench:step: ${name} takes a positive integer, got ${String(args[i + 1])}`);
    process.exit(2);
  }
  return v;
}
if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: pnpm bench:step [--steps N] [--threads N] [--batch N] [--no-adamw] [--check FILE]");
  process.exit(0);
}
const steps = option("--steps", 5);
const batch = option("--batch", 128);
if (args.includes("--threads")) setNumThreads(option("--threads", 1));
const useAdamW = !args.includes("--no-adamw");
const checkIndex = args.indexOf("--check");
const checkFile = checkIndex >= 0 ? args[checkIndex + 1] : undefined;

const WIDTH = 128;
const LAYERS = 4;
const HEADS = 4;
const IMAGE_TOKENS = 65;
const TEXT_TOKENS = 32;

const generator = new Generator(6);
const image = new Transformer(WIDTH, LAYERS, HEADS, { generator });
const text = new Transformer(WIDTH, LAYERS, HEADS, { generator });
const imageInput = randn([batch, IMAGE_TOKENS, WIDTH], { generator });
const textInput = randn([batch, TEXT_TOKENS, WIDTH], { generator });
const imageTarget = randn([batch, IMAGE_TOKENS, WIDTH], { generator });
const textTarget = randn([batch, TEXT_TOKENS, WIDTH], { generator });
const mask = causalMask(TEXT_TOKENS);

const named = [...image.namedParameters().map(([n, p]) => [`visual.${n}`, p] as const), ...text.namedParameters().map(([n, p]) => [`text.${n}`, p] as const)];
const params = named.map(([, p]) => p);
const optimizer = new AdamW(paramGroupsNoDecayForNdimLe1(named, 0.1), { lr: 1e-4 });

interface Timing {
  total: number;
  /** CPU time of the process (all threads), ms: the work done, whatever else the machine runs */
  cpu: number;
  forward: number;
  backward: number;
  optimizer: number;
  loss: number;
}

function step(): Timing {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const p of params) p.zeroGrad();
  const imageOut = image.forward(imageInput);
  const textOut = text.forward(textInput, { attnMask: mask });
  const loss = A.add(A.mean(A.mul(imageOut, imageTarget)), A.mean(A.mul(textOut, textTarget)));
  const t1 = performance.now();
  loss.backward();
  const t2 = performance.now();
  if (useAdamW) optimizer.step();
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return { total: t3 - t0, cpu: (cpu.user + cpu.system) / 1000, forward: t1 - t0, backward: t2 - t1, optimizer: t3 - t2, loss: loss.item() };
}

/** Writes (or compares against) the warm-up step's loss and gradients. */
function check(file: string, loss: number): void {
  const grads = params.map((p) => (p.grad as Tensor).contiguousData());
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ loss, grads: grads.map((g) => Array.from(g)) }));
    console.log(`wrote loss and ${grads.length} gradients to ${file}`);
    return;
  }
  const saved = JSON.parse(readFileSync(file, "utf8")) as { loss: number; grads: number[][] };
  let maxAbs = 0;
  let maxRel = 0;
  let differing = 0;
  let total = 0;
  grads.forEach((g, k) => {
    const ref = saved.grads[k]!;
    let scale = 0;
    for (const v of ref) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < g.length; i++) {
      const d = Math.abs(g[i]! - ref[i]!);
      total++;
      if (d !== 0) differing++;
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / (scale || 1));
    }
  });
  console.log(
    `check vs ${file}: loss ${loss} vs ${saved.loss}; gradients: ${differing}/${total} elements differ, ` +
      `max |diff| ${maxAbs.toExponential(2)}, max |diff| / max |grad| of its tensor ${maxRel.toExponential(2)}`,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => ms.toFixed(0).padStart(6);

console.log(`transformer step: batch ${batch}, image (${IMAGE_TOKENS} tokens) + text (${TEXT_TOKENS}, causal), width ${WIDTH}, ${LAYERS} layers, ${HEADS} heads; ${getNumThreads()} threads; ${useAdamW ? "AdamW" : "no optimizer"}`);
const warm = step();
console.log(`warm-up ${fmt(warm.total)} ms   loss ${warm.loss}`);
if (checkFile) check(checkFile, warm.loss);
const timings: Timing[] = [];
for (let s = 0; s < steps; s++) {
  const t = step();
  timings.push(t);
  console.log(`step ${s + 1}  ${fmt(t.total)} ms  (forward ${fmt(t.forward)}, backward ${fmt(t.backward)}, optimizer ${fmt(t.optimizer)}; cpu ${fmt(t.cpu)} ms)`);
}
const totals = timings.map((t) => t.total);
const cpus = timings.map((t) => t.cpu);
const best = timings.reduce((a, b) => (b.total < a.total ? b : a));
console.log(
  `ms per step: min ${fmt(Math.min(...totals))}, median ${fmt(median(totals))}; cpu ms per step: min ${fmt(Math.min(...cpus))}, median ${fmt(median(cpus))}` +
    `   fastest: forward ${fmt(best.forward)}, backward ${fmt(best.backward)}, optimizer ${fmt(best.optimizer)}`,
);
await shutdownThreads();
