/**
 * CoCa's layers against PyTorch 2.13 / open_clip 3.3.0 (tools/make_coca_nn_fixtures.py):
 * MultiheadAttention with keys and values of other widths (torch's kdim / vdim and its
 * q/k/v_proj_weight layout), the cross-attention block (ResidualAttentionBlock with ln_1_kv)
 * and the AttentionalPooler. As tests/nn/layers.test.ts: torch's parameters load by their
 * state-dict names (strict), and the outputs and the gradients of sum(output * upstream) of
 * every input and parameter match in float64 (rtol 1e-12) and float32 (rtol 1e-5).
 */

import { afterAll, describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { randn } from "../../packages/tensor/src/index.js";
import { AttentionalPooler, MultiheadAttention, ResidualAttentionBlock, type Module } from "../../packages/nn/src/index.js";
import { decode, decodeAll, expectMatches, loadFixture, reportWorst, RTOL, type Encoded } from "./support/fixtures.js";

type Dtype = "float64" | "float32";

interface LayerCase {
  inputs: Record<string, Encoded>;
  state_dict: Record<string, Encoded>;
  outputs: Record<string, Encoded>;
  upstream: Record<string, Encoded>;
  grads: Record<string, Encoded>;
}

function checkLayer<M extends Module>(name: string, build: (dtype: Dtype) => M, forward: (m: M, inputs: Record<string, A.Variable>) => A.Variable): void {
  for (const dtype of ["float64", "float32"] as const) {
    it(`${name} (${dtype}): output and every gradient match torch`, () => {
      const c = loadFixture<{ cases: Record<Dtype, LayerCase> }>(name).cases[dtype];
      const module = build(dtype);
      module.loadStateDict(decodeAll(c.state_dict));
      const inputs: Record<string, A.Variable> = {};
      for (const [k, e] of Object.entries(c.inputs)) inputs[k] = new A.Variable(decode(e), { requiresGrad: e.dtype !== "int32" });
      const y = forward(module, inputs);
      expectMatches(y.value, decode(c.outputs.y!), RTOL[dtype], `${name} ${dtype} output`);
      A.sum(A.mul(y, decode(c.upstream.y!))).backward();
      const params = new Map(module.namedParameters());
      expect([...params.keys()]).toEqual(Object.keys(c.grads).filter((k) => !k.startsWith("input."))); // torch's names and order
      for (const [k, e] of Object.entries(c.grads)) {
        const v = k.startsWith("input.") ? inputs[k.slice("input.".length)]! : params.get(k)!;
        expect(v.grad, `${name} ${dtype}: no gradient for ${k}`).not.toBeNull();
        expectMatches(v.grad!, decode(e), RTOL[dtype], `${name} ${dtype} grad ${k}`);
      }
    });
  }
}

describe("CoCa's layers match PyTorch", () => {
  checkLayer("mha_kdim", (dtype) => new MultiheadAttention(8, 2, { dtype, kdim: 6, vdim: 5 }), (m, i) => m.forward(i.q!, i.k!, i.v!, { keyPaddingMask: i.pad!.value }));
  const cross = (m: ResidualAttentionBlock, i: Record<string, A.Variable>) => m.forward(i.x!, { context: i.context! });
  checkLayer("cross_attn_block", (dtype) => new ResidualAttentionBlock(8, 2, { dtype, crossAttention: true }), cross);
  checkLayer("cross_attn_block_ls", (dtype) => new ResidualAttentionBlock(8, 4, { dtype, crossAttention: true, mlpRatio: 2, lsInitValue: 0.5, activation: "quickGelu" }), cross);
  checkLayer("attn_pooler", (dtype) => new AttentionalPooler(8, 6, { dtype, nHead: 2, nQueries: 3 }), (m, i) => m.forward(i.x!));
  checkLayer("attn_pooler_packed", (dtype) => new AttentionalPooler(8, 8, { dtype, nHead: 4, nQueries: 2 }), (m, i) => m.forward(i.x!));
  afterAll(() => reportWorst("cross-attention"));
});

describe("cross-attention layers: layout, init and errors", () => {
  it("kdim / vdim ≠ embedDim stores q, k, v weights apart (torch's names and shapes), each xavier-uniform", () => {
    const m = new MultiheadAttention(8, 2, { kdim: 6, vdim: 5 });
    const shapes = Object.fromEntries(m.namedParameters().map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({ q_proj_weight: [8, 8], k_proj_weight: [8, 6], v_proj_weight: [8, 5], in_proj_bias: [24], "out_proj.weight": [8, 8], "out_proj.bias": [8] });
    for (const [w, fanIn] of [[m.projWeights[1], 6], [m.projWeights[2], 5]] as const) {
      const bound = Math.sqrt(6 / (fanIn + 8)); // xavier-uniform: U(-a, a), a = √(6 / (fan_in + fan_out))
      const data = Array.from(w.value.contiguousData());
      expect(Math.max(...data.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...data.map(Math.abs))).toBeGreaterThan(bound / 2);
    }
    expect(() => m.inProjWeight).toThrow(/kdim \(6\) or vdim \(5\) differs from embedDim \(8\)/);
    expect(new MultiheadAttention(8, 2, { kdim: 8, vdim: 8 }).namedParameters().map(([k]) => k)[0]).toBe("in_proj_weight");
  });

  it("a key of the wrong width is named with the width it should have", () => {
    const m = new MultiheadAttention(8, 2, { kdim: 6, vdim: 5 });
    expect(() => m.forward(randn([1, 2, 8]), randn([1, 3, 8]), randn([1, 3, 5]))).toThrow(/key must be \(B, L, kdim\) with kdim = 6, the query's rank, got shape \[1,3,8\]/);
  });

  it("a cross-attention block registers ln_1_kv between ls_1 and ln_2 and needs a context; a self-attention block refuses one", () => {
    const block = new ResidualAttentionBlock(8, 2, { crossAttention: true, lsInitValue: 0.1 });
    expect(block.namedChildren().map(([k]) => k)).toEqual(["ln_1", "attn", "ls_1", "ln_1_kv", "ln_2", "mlp", "ls_2"]);
    expect(() => block.forward(randn([1, 2, 8]))).toThrow(/needs options\.context/);
    expect(() => new ResidualAttentionBlock(8, 2).forward(randn([1, 2, 8]), { context: randn([1, 3, 8]) })).toThrow(/for cross-attention blocks/);
  });

  it("the pooler gives nQueries tokens for any sequence length, the same queries for every item", () => {
    const pool = new AttentionalPooler(8, 6, { nHead: 2, nQueries: 3, dtype: "float64" });
    const x = randn([2, 7, 6], { dtype: "float64" });
    const y = pool.forward(x);
    expect(y.shape).toEqual([2, 3, 8]);
    // item 1 alone gives the same tokens as in the batch: the queries do not mix items
    const alone = pool.forward(x.slice(0, 1, 2)).value.contiguousData();
    const inBatch = y.value.slice(0, 1, 2).contiguousData();
    alone.forEach((v, i) => expect(v).toBeCloseTo(inBatch[i]!, 12));
    expect(() => pool.forward(randn([2, 7, 8]))).toThrow(/x must be \(N, S, contextDim\) with contextDim = 6/);
  });
});
