/**
 * Gradient caching and data parallelism compute the plain batch's gradients: the contrastive
 * loss sees the towers only through the features, so embedding in chunks without a graph,
 * taking dL/d(features), and back-propagating each chunk from its slice — on one thread or
 * several — sums the same terms in another order. In float64 the gradients agree to ~1e-12;
 * in float32, to float rounding. Each path is deterministic for its thread count.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import { CLIP, parseModelConfig, planChunks, startStepEngine, trainClip, type StepRecord } from "../../packages/vlm/src/index.js";
import { tempDir, tinyModel, tinyRun } from "./train-helpers.js";

const VOCAB = 50;
const CONTEXT = 6;

/** A batch of random images and token rows [sot, ids..., eot, 0...] (eot = the largest id). */
function batch(n: number, seed: number, dtype: "float32" | "float64" = "float32"): { images: Tensor; tokens: Tensor } {
  const g = new Generator(seed);
  const tokens = new Int32Array(n * CONTEXT);
  for (let r = 0; r < n; r++) {
    const length = 2 + g.nextInt(CONTEXT - 1);
    for (let j = 0; j < length - 1; j++) tokens[r * CONTEXT + j] = 1 + g.nextInt(VOCAB - 2);
    tokens[r * CONTEXT + length - 1] = VOCAB - 1;
  }
  return { images: randn([n, 3, 16, 16], { generator: g, dtype }), tokens: new Tensor(tokens, [n, CONTEXT]) };
}

function model(dtype: "float32" | "float64", siglip = false): CLIP {
  const json = tinyModel({ text: { context_length: CONTEXT, vocab_size: VOCAB } });
  json["duet"] = {};
  if (siglip) Object.assign(json, { init_logit_bias: -10, init_logit_scale: Math.log(10) });
  return new CLIP(parseModelConfig(json), { dtype, generator: new Generator(11) });
}

/** Loss and every parameter's gradient after one contrastive batch through an engine. */
async function gradients(options: { shards: number; chunkSize: number | null; dtype?: "float32" | "float64"; siglip?: boolean; n?: number }) {
  const dtype = options.dtype ?? "float64";
  const m = model(dtype, options.siglip);
  const { images, tokens } = batch(options.n ?? 10, 5, dtype);
  const engine = await startStepEngine(m, { shards: options.shards, chunkSize: options.chunkSize, loss: options.siglip ? "siglip" : "clip" });
  try {
    const loss = await engine.accumulate(images, tokens, 1, 99);
    return { loss, grads: m.namedParameters().map(([name, p]) => ({ name, grad: Float64Array.from(p.grad!.contiguousData()) })) };
  } finally {
    await engine.close();
  }
}

type Grads = Awaited<ReturnType<typeof gradients>>;

/** Every gradient element within `rtol`·max|g| + `atol` of the reference; the message names the worst. */
function expectSameGradients(label: string, got: Grads, want: Grads, rtol: number, atol = 0): void {
  expect(Math.abs(got.loss - want.loss), `${label}: loss ${got.loss} vs ${want.loss}`).toBeLessThanOrEqual(rtol * Math.abs(want.loss) + atol);
  want.grads.forEach(({ name, grad }, i) => {
    const other = got.grads[i]!.grad;
    const scale = grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    let at = 0;
    grad.forEach((v, k) => {
      const d = Math.abs(other[k]! - v);
      if (d > worst) [worst, at] = [d, k];
    });
    expect(worst, `${label}: ${name}[${at}] is ${other[at]} vs ${grad[at]} (max |g| ${scale}, tolerance ${rtol * scale + atol})`).toBeLessThanOrEqual(rtol * scale + atol);
  });
}

describe("planChunks", () => {
  it("partitions the batch's rows; with chunkSize, chunk c goes to shard c mod shards and holds at most chunkSize rows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.option(fc.integer({ min: 1, max: 25 }), { nil: null }), fc.integer({ min: 1, max: 5 }), (n, chunkSize, shards) => {
        const plan = planChunks(n, chunkSize, shards);
        expect(plan).toHaveLength(shards);
        const rows = plan.flat().sort((a, b) => a[0] - b[0]);
        let next = 0;
        for (const [a, b] of rows) {
          expect(a).toBe(next);
          expect(b).toBeGreaterThan(a);
          next = b;
        }
        expect(next).toBe(n);
        if (chunkSize !== null && chunkSize * shards < n) {
          rows.forEach(([a, b], c) => {
            expect(b - a).toBeLessThanOrEqual(chunkSize);
            expect(plan[c % shards]).toContainEqual([a, b]);
          });
        }
      }),
    );
  });
});

describe("gradient caching", () => {
  it("equals the plain batch for every chunk size (float64: to 1e-12)", async () => {
    const plain = await gradients({ shards: 1, chunkSize: null });
    for (const chunkSize of [1, 3, 4, 7]) expectSameGradients(`chunks of ${chunkSize}`, await gradients({ shards: 1, chunkSize }), plain, 1e-12, 1e-15);
  });

  it("equals the plain batch for SigLIP's loss too, logit_bias included", async () => {
    const plain = await gradients({ shards: 1, chunkSize: null, siglip: true });
    expect(plain.grads.map((g) => g.name)).toContain("logit_bias");
    expectSameGradients("siglip, chunks of 3", await gradients({ shards: 1, chunkSize: 3, siglip: true }), plain, 1e-12, 1e-15);
  });

  it("in float32, agrees to float rounding", async () => {
    const plain = await gradients({ shards: 1, chunkSize: null, dtype: "float32", n: 16 });
    expectSameGradients("float32, chunks of 5", await gradients({ shards: 1, chunkSize: 5, dtype: "float32", n: 16 }), plain, 1e-4, 1e-7);
  });
});

describe("data parallelism over worker threads", () => {
  it("equals one thread: 2 and 3 shards, with and without chunks within each (float64: to 1e-12)", async () => {
    const plain = await gradients({ shards: 1, chunkSize: null });
    expectSameGradients("2 shards", await gradients({ shards: 2, chunkSize: null }), plain, 1e-12, 1e-15);
    expectSameGradients("3 shards", await gradients({ shards: 3, chunkSize: null }), plain, 1e-12, 1e-15);
    expectSameGradients("2 shards, chunks of 2", await gradients({ shards: 2, chunkSize: 2 }), plain, 1e-12, 1e-15);
  });

  it("is deterministic for a thread count: the same gradients, bit for bit, run after run (float32)", async () => {
    const first = await gradients({ shards: 2, chunkSize: 3, dtype: "float32" });
    const second = await gradients({ shards: 2, chunkSize: 3, dtype: "float32" });
    expect(second).toEqual(first);
  });

  it("trains like one thread: trainClip's loss curve with 2 data-parallel threads matches 1 thread within float tolerance", async () => {
    const curve = async (threads: number, dataParallel: boolean) => {
      const losses: number[] = [];
      await trainClip(await tinyRun(tempDir("dp"), { threads, dataParallel, steps: 4 }), { onStep: (r: StepRecord) => losses.push(r.loss) });
      return losses;
    };
    const one = await curve(1, false);
    const two = await curve(2, true);
    two.forEach((loss, i) => expect(Math.abs(loss - one[i]!), `step ${i + 1}: ${loss} vs ${one[i]}`).toBeLessThan(1e-4 * Math.abs(one[i]!)));
    expect(await curve(2, true)).toEqual(two);
  });
});
