/**
 * The key/value cache (packages/nn/src/kv-cache.ts): stepping a causal block one token at a
 * time gives the full forward's rows (causal mask, optional key padding), and a cross-attention
 * block read through its context cache gives its forward; to float64 rounding.
 */

import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { crossAttentionCache, crossAttentionStep, KeyValueCache, ResidualAttentionBlock, selfAttentionStep } from "../../packages/nn/src/index.js";
import { causalMask, Generator, randn, Tensor } from "../../packages/tensor/src/index.js";

const TOL = 1e-12;

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.contiguousData();
  const y = b.contiguousData();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

function blocks(options: { crossAttention?: boolean; lsInitValue?: number } = {}, seed = 1): ResidualAttentionBlock[] {
  const generator = new Generator(seed);
  return [0, 1].map(() => new ResidualAttentionBlock(8, 2, { dtype: "float64", generator, ...options }));
}

describe("KeyValueCache: a cached step equals the full forward", () => {
  const B = 3;
  const T = 5;

  it("self-attention: each step's output is the causal forward's row t", () => {
    const layers = blocks({ lsInitValue: 0.3 });
    const x = randn([B, T, 8], { dtype: "float64", generator: new Generator(2) });
    A.noGrad(() => {
      let full = new A.Variable(x);
      for (const block of layers) full = block.forward(full, { attnMask: causalMask(T, { dtype: "float64" }) });
      const caches = layers.map(() => new KeyValueCache());
      for (let t = 0; t < T; t++) {
        let y = new A.Variable(x.slice(1, t, t + 1));
        layers.forEach((block, i) => (y = selfAttentionStep(block, y, caches[i]!)));
        expect(maxDiff(y.value, full.value.slice(1, t, t + 1).contiguous())).toBeLessThan(TOL);
      }
      expect(caches[0]!.length).toBe(T);
    });
  });

  it("self-attention with a key padding mask (int32, nonzero = padding)", () => {
    const [block] = blocks();
    const x = randn([B, T, 8], { dtype: "float64", generator: new Generator(3) });
    const padding = new Tensor(Int32Array.from({ length: B * T }, (_, i) => (i % T > 0 && (i * 7) % 3 === 0 ? 1 : 0)), [B, T]);
    A.noGrad(() => {
      const full = block!.forward(x, { attnMask: causalMask(T, { dtype: "float64" }), keyPaddingMask: padding });
      const cache = new KeyValueCache();
      for (let t = 0; t < T; t++) {
        const y = selfAttentionStep(block!, x.slice(1, t, t + 1), cache, { keyPaddingMask: padding.slice(1, 0, t + 1).contiguous() });
        expect(maxDiff(y.value, full.value.slice(1, t, t + 1).contiguous())).toBeLessThan(TOL);
      }
    });
  });

  it("cross-attention: the context's keys and values computed once give the forward", () => {
    const [block] = blocks({ crossAttention: true });
    const x = randn([B, T, 8], { dtype: "float64", generator: new Generator(4) });
    const context = randn([B, 7, 8], { dtype: "float64", generator: new Generator(5) });
    A.noGrad(() => {
      const full = block!.forward(x, { context });
      const cache = crossAttentionCache(block!, context);
      expect(cache.length).toBe(7);
      const step = crossAttentionStep(block!, x.slice(1, 2, 3), cache);
      expect(maxDiff(step.value, full.value.slice(1, 2, 3).contiguous())).toBeLessThan(TOL);
    });
  });

  it("selectRows reorders the cached rows (repeats allowed), as beam search needs", () => {
    const [block] = blocks();
    const x = randn([B, 2, 8], { dtype: "float64", generator: new Generator(6) });
    A.noGrad(() => {
      const cache = new KeyValueCache();
      selfAttentionStep(block!, x.slice(1, 0, 1), cache);
      const rows = new Tensor(Int32Array.from([2, 2, 0]), [3]);
      cache.selectRows(rows);
      const reordered = A.indexSelect(x, 0, rows).value;
      const fresh = new KeyValueCache();
      selfAttentionStep(block!, reordered.slice(1, 0, 1), fresh);
      expect(maxDiff(cache.keys, fresh.keys)).toBe(0);
      const a = selfAttentionStep(block!, reordered.slice(1, 1, 2), cache);
      const b = selfAttentionStep(block!, reordered.slice(1, 1, 2), fresh);
      expect(maxDiff(a.value, b.value)).toBe(0);
    });
  });

  it("errors name the function and what was expected", () => {
    const [self] = blocks();
    const [cross] = blocks({ crossAttention: true });
    const x = randn([2, 2, 8], { dtype: "float64" });
    expect(() => selfAttentionStep(self!, x, new KeyValueCache())).toThrow(/selfAttentionStep: x must hold one new token per row/);
    expect(() => selfAttentionStep(cross!, x.slice(1, 0, 1), new KeyValueCache())).toThrow(/selfAttentionStep: this is a cross-attention block/);
    expect(() => crossAttentionCache(self!, x)).toThrow(/crossAttentionCache: this block attends to itself/);
    expect(() => new KeyValueCache().keys).toThrow(/KeyValueCache.keys: the cache is empty/);
  });
});
