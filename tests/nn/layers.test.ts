/**
 * Every layer against PyTorch (tools/make_nn_fixtures.py): the layer is built, torch's
 * parameters are loaded by their state-dict names (strict, so the names must be exactly
 * torch's), the same inputs go through, and the outputs and the gradients of
 * sum(output * upstream) — of every input and every parameter — must match torch's in
 * float64 (rtol 1e-12) and float32 (rtol 1e-5); see support/fixtures.ts for the tolerance.
 */

import { afterAll, describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { causalMask, type Tensor } from "../../packages/tensor/src/index.js";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  Conv2d,
  Embedding,
  GELU,
  Identity,
  LayerNorm,
  Linear,
  MaxPool2d,
  MLP,
  Module,
  MultiheadAttention,
  QuickGELU,
  ReLU,
  ResidualAttentionBlock,
  Tanh,
  Transformer,
} from "../../packages/nn/src/index.js";
import { decode, decodeAll, expectMatches, loadFixture, reportWorst, RTOL, type Encoded } from "./support/fixtures.js";

type Dtype = "float64" | "float32";

interface LayerCase {
  inputs: Record<string, Encoded>;
  state_dict: Record<string, Encoded>;
  outputs: Record<string, Encoded>;
  upstream: Record<string, Encoded>;
  grads: Record<string, Encoded>;
}
interface LayerFixture {
  description: string;
  cases: Record<Dtype, LayerCase>;
}

type Forward<M> = (m: M, inputs: Record<string, A.Variable>, dtype: Dtype) => Record<string, A.Variable>;

function checkLayer<M extends Module>(name: string, build: (dtype: Dtype) => M, forward: Forward<M>): void {
  for (const dtype of ["float64", "float32"] as const) {
    it(`${name} (${dtype}): output and every gradient match torch`, () => {
      const fixture = loadFixture<LayerFixture>(name);
      const c = fixture.cases[dtype];
      const module = build(dtype);
      module.loadStateDict(decodeAll(c.state_dict));
      const inputs: Record<string, A.Variable> = {};
      for (const [k, e] of Object.entries(c.inputs)) inputs[k] = new A.Variable(decode(e), { requiresGrad: e.dtype !== "int32" });
      const outputs = forward(module, inputs, dtype);
      expect(Object.keys(outputs).sort()).toEqual(Object.keys(c.outputs).sort());
      const rtol = RTOL[dtype];
      let loss: A.Variable | null = null;
      for (const [k, e] of Object.entries(c.outputs)) {
        expectMatches(outputs[k]!.value, decode(e), rtol, `${name} ${dtype} output ${k}`);
        const term = A.sum(A.mul(outputs[k]!, decode(c.upstream[k]!)));
        loss = loss === null ? term : A.add(loss, term);
      }
      loss!.backward();
      const params = new Map(module.namedParameters());
      const torchParamGrads = Object.keys(c.grads).filter((k) => !k.startsWith("input."));
      expect([...params.keys()]).toEqual(torchParamGrads); // same parameters, same order
      for (const [k, e] of Object.entries(c.grads)) {
        const v = k.startsWith("input.") ? inputs[k.slice("input.".length)]! : params.get(k)!;
        expect(v.grad, `${name} ${dtype}: no gradient for ${k}`).not.toBeNull();
        expectMatches(v.grad!, decode(e), rtol, `${name} ${dtype} grad ${k}`);
      }
    });
  }
}

const x = (inputs: Record<string, A.Variable>) => inputs.x!;
const causal = (n: number, dtype: Dtype): Tensor => causalMask(n, { dtype });

describe("layers match PyTorch", () => {
  checkLayer("linear", (dtype) => new Linear(5, 3, { dtype }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("linear_nobias", (dtype) => new Linear(4, 6, { dtype, bias: false }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("conv2d", (dtype) => new Conv2d(3, 4, 3, { dtype, stride: 2, padding: 1 }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("conv2d_patch", (dtype) => new Conv2d(3, 6, 4, { dtype, stride: 4, bias: false }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("layernorm", (dtype) => new LayerNorm(6, { dtype }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("embedding", (dtype) => new Embedding(10, 4, { dtype }), (m, i) => ({ y: m.forward(i.ids!) }));
  checkLayer("activations", () => new Identity(), (_, i) => ({
    gelu: new GELU().forward(x(i)),
    gelu_tanh: new GELU("tanh").forward(x(i)),
    quick_gelu: new QuickGELU().forward(x(i)),
    relu: new ReLU().forward(x(i)),
    tanh: new Tanh().forward(x(i)),
  }));
  checkLayer("mlp", (dtype) => new MLP(6, 24, { dtype, activation: "gelu" }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("mha_causal", (dtype) => new MultiheadAttention(8, 2, { dtype }), (m, i, dtype) => ({
    y: m.forward(x(i), undefined, undefined, { attnMask: causal(5, dtype) }),
  }));
  checkLayer("mha_cross", (dtype) => new MultiheadAttention(8, 2, { dtype }), (m, i) => {
    const { output, weights } = m.forwardWithWeights(i.q!, i.kv!, i.kv!, { keyPaddingMask: i.pad!.value });
    return { y: output, weights };
  });
  checkLayer("mha_seq_first", (dtype) => new MultiheadAttention(8, 4, { dtype, batchFirst: false }), (m, i, dtype) => ({
    y: m.forward(x(i), undefined, undefined, { attnMask: causal(4, dtype) }),
  }));
  checkLayer("resblock", (dtype) => new ResidualAttentionBlock(8, 2, { dtype, mlpRatio: 4, activation: "quickGelu" }), (m, i, dtype) => ({
    y: m.forward(x(i), { attnMask: causal(5, dtype) }),
  }));
  checkLayer("resblock_ls", (dtype) => new ResidualAttentionBlock(8, 2, { dtype, mlpRatio: 2, lsInitValue: 0.5 }), (m, i) => ({ y: m.forward(x(i)) }));
  checkLayer("transformer", (dtype) => new Transformer(8, 2, 2, { dtype }), (m, i, dtype) => ({ y: m.forward(x(i), { attnMask: causal(4, dtype) }) }));
  checkLayer("pooling", () => new Identity(), (_, i) => ({
    avg: new AvgPool2d(3, { stride: 2, padding: 1 }).forward(x(i)),
    max: new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x(i)),
    adaptive: new AdaptiveAvgPool2d([2, 3]).forward(x(i)),
    avg_default_stride: new AvgPool2d(2).forward(x(i)),
  }));
  afterAll(() => reportWorst("layers"));
});
