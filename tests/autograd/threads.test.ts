/**
 * Threads do not change gradients: a pre-norm attention + MLP block, large enough that its
 * elementwise ops, softmax, layerNorm, bias sums and products all split over the worker pool,
 * gives the same loss and the same gradients, bit for bit, on one thread and on two.
 */

import { afterAll, describe, expect, it } from "vitest";
import { causalMask, Generator, getNumThreads, normal, poolStats, randn, setNumThreads, shutdownThreads, zeros, ones, type Tensor } from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { Variable } from "../../packages/autograd/src/index.js";

afterAll(async () => {
  await shutdownThreads();
});

function block(): { loss: number; grads: Tensor[]; jobs: number } {
  const g = new Generator(5);
  const [B, L, E, H] = [16, 33, 64, 4];
  const Dh = E / H;
  const param = (shape: number[], std: number) => new Variable(normal(shape, 0, std, { generator: g }), { requiresGrad: true });
  const x = new Variable(randn([B, L, E], { generator: g }), { requiresGrad: true });
  const lnW = new Variable(ones([E]), { requiresGrad: true });
  const lnB = new Variable(zeros([E]), { requiresGrad: true });
  const wQkv = param([3 * E, E], 0.1);
  const bQkv = param([3 * E], 0.1);
  const wFc = param([4 * E, E], 0.1);
  const bFc = param([4 * E], 0.1);
  const wProj = param([E, 4 * E], 0.1);
  const target = randn([B, L, E], { generator: g });
  const jobs = poolStats().parallelJobs;

  const h = A.layerNorm(x, [E], lnW, lnB);
  const [q, k, v] = A.split(A.add(A.matmul(h, A.transpose(wQkv)), bQkv), E, -1) as [Variable, Variable, Variable];
  const heads = (t: Variable) => A.transpose(A.reshape(t, [B, L, H, Dh]), 1, 2);
  const scores = A.add(A.matmul(A.mul(heads(q), 1 / Math.sqrt(Dh)), A.transpose(heads(k))), causalMask(L));
  const attn = A.reshape(A.transpose(A.matmul(A.softmax(scores, -1), heads(v)), 1, 2), [B, L, E]);
  const r = A.add(x, attn);
  const mlp = A.matmul(A.gelu(A.add(A.matmul(A.layerNorm(r, [E], lnW, lnB), A.transpose(wFc)), bFc)), A.transpose(wProj));
  const out = A.add(r, A.tanh(mlp));
  const loss = A.mean(A.mul(out, target));
  loss.backward();
  const leaves = [x, lnW, lnB, wQkv, bQkv, wFc, bFc, wProj];
  return { loss: loss.item(), grads: leaves.map((p) => p.grad!), jobs: poolStats().parallelJobs - jobs };
}

function sameBits(x: Tensor, y: Tensor): boolean {
  const a = x.contiguousData();
  const b = y.contiguousData();
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe("threads", () => {
  it("one thread and two give the same loss and gradients, bit for bit", () => {
    const before = getNumThreads();
    try {
      setNumThreads(1);
      const one = block();
      setNumThreads(2);
      const two = block();
      expect(one.jobs).toBe(0);
      expect(two.jobs, "ops that went to the pool").toBeGreaterThan(20);
      expect(two.loss).toBe(one.loss);
      two.grads.forEach((g, k) => expect(sameBits(g, one.grads[k]!), `gradient ${k}`).toBe(true));
    } finally {
      setNumThreads(before);
    }
  });
});
