/**
 * One batch through the StepEngine in float64 on a tiny CLIP, and a comparison of two such
 * runs' loss and gradients to 1e-12: how the tests show that every road (plain, gradient
 * caching, data parallel) computes the same thing with hard negatives or loss groups.
 */

import { expect } from "vitest";
import { Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import { CLIP, parseModelConfig, startStepEngine } from "../../packages/vlm/src/index.js";
import { tinyModel } from "./train-helpers.js";

export const VOCAB = 50;
export const CONTEXT = 6;

/** Random token rows [ids..., eot, 0...] (eot = the largest id). */
export function tokenRows(n: number, g: Generator): Tensor {
  const tokens = new Int32Array(n * CONTEXT);
  for (let r = 0; r < n; r++) {
    const length = 2 + g.nextInt(CONTEXT - 1);
    for (let j = 0; j < length - 1; j++) tokens[r * CONTEXT + j] = 1 + g.nextInt(VOCAB - 2);
    tokens[r * CONTEXT + length - 1] = VOCAB - 1;
  }
  return new Tensor(tokens, [n, CONTEXT]);
}

/** Loss and every parameter's gradient (float64) after one batch of 10 with K twins per row (K = 0: none), the loss within groups of `lossGroup` rows when given. */
export async function gradients(options: { shards: number; chunkSize: number | null; k?: number; siglip?: boolean; lossGroup?: number | null }) {
  const json = tinyModel({ text: { context_length: CONTEXT, vocab_size: VOCAB } });
  json["duet"] = {};
  if (options.siglip) Object.assign(json, { init_logit_bias: -10, init_logit_scale: Math.log(10) });
  const model = new CLIP(parseModelConfig(json), { dtype: "float64", generator: new Generator(11) });
  const g = new Generator(5);
  const images = randn([10, 3, 16, 16], { generator: g, dtype: "float64" });
  const tokens = tokenRows(10, g);
  const negatives = options.k === 0 ? null : tokenRows(10 * (options.k ?? 1), g);
  const engine = await startStepEngine(model, { shards: options.shards, chunkSize: options.chunkSize, loss: options.siglip ? "siglip" : "clip", lossGroup: options.lossGroup ?? null });
  try {
    const loss = await engine.accumulate(images, tokens, 1, 99, negatives);
    return { loss, grads: model.namedParameters().map(([name, p]) => ({ name, grad: Float64Array.from(p.grad!.contiguousData()) })) };
  } finally {
    await engine.close();
  }
}

export type Grads = Awaited<ReturnType<typeof gradients>>;

export function expectSame(label: string, got: Grads, want: Grads): void {
  expect(Math.abs(got.loss - want.loss), `${label}: loss ${got.loss} vs ${want.loss}`).toBeLessThanOrEqual(1e-12 * Math.abs(want.loss));
  want.grads.forEach(({ name, grad }, i) => {
    const other = got.grads[i]!.grad;
    const scale = grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    let at = 0;
    grad.forEach((v, j) => {
      const d = Math.abs(other[j]! - v);
      if (d > worst) [worst, at] = [d, j];
    });
    expect(worst, `${label}: ${name}[${at}] is ${other[at]} vs ${grad[at]} (max |g| ${scale})`).toBeLessThanOrEqual(1e-12 * scale + 1e-15);
  });
}

