/**
 * Composite checks against PyTorch: tools/make_autograd_fixtures.py ran each model in torch
 * (float64) and stored its inputs, outputs and every gradient; here the same model, built
 * from Duet's ops, must agree within 1e-5 relative. No Python is needed to run this.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tensor, type Tensor } from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { expectClose } from "../support/arbitraries.js";
import { clipLoss, linear, mlp, residualBlock } from "./support/models.js";

interface Encoded {
  shape: number[];
  dtype: "float64" | "int32";
  data: number[];
}
interface Fixture {
  torch_version: string;
  seed: number;
  description: string;
  config: Record<string, unknown>;
  inputs: Record<string, Encoded>;
  outputs: Record<string, Encoded>;
  grads: Record<string, Encoded>;
}

const DIR = join(import.meta.dirname, "..", "fixtures", "autograd");
const TOLERANCE = { rtol: 1e-5, atol: 1e-12 };

function load(name: string): Fixture {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Fixture;
}

const decode = (e: Encoded): Tensor => tensor(e.data, e.shape, { dtype: e.dtype });

/** Every input as a Variable: float ones require a gradient, int32 ones (targets) do not. */
function leaves(f: Fixture): Record<string, A.Variable> {
  return Object.fromEntries(Object.entries(f.inputs).map(([name, e]) => [name, new A.Variable(decode(e), { requiresGrad: e.dtype === "float64" && name in f.grads })]));
}

/** Compares the named outputs, then every gradient torch computed. */
function compare(f: Fixture, inputs: Record<string, A.Variable>, outputs: Record<string, A.Variable>): void {
  for (const [name, expected] of Object.entries(f.outputs)) {
    expect(outputs[name], `output ${name} not computed`).toBeDefined();
    expectClose(outputs[name]!.value, decode(expected), { ...TOLERANCE, label: `output ${name}:` });
  }
  for (const [name, expected] of Object.entries(f.grads)) {
    const grad = inputs[name]!.grad;
    expect(grad, `no gradient for ${name}`).not.toBeNull();
    expectClose(grad!, decode(expected), { ...TOLERANCE, label: `d loss / d ${name}:` });
  }
}

describe("composite models agree with PyTorch", () => {
  it("a 2-layer MLP with layerNorm and GELU, under crossEntropy", () => {
    const f = load("mlp");
    const v = leaves(f);
    const logits = mlp(v.x!, { lnWeight: v.ln_weight!, lnBias: v.ln_bias!, fc1Weight: v.fc1_weight!, fc1Bias: v.fc1_bias!, fc2Weight: v.fc2_weight!, fc2Bias: v.fc2_bias! });
    const loss = A.crossEntropy(logits, v.targets!.value.to("int32"));
    loss.backward();
    compare(f, v, { logits, loss });
  });

  for (const masking of ["add", "maskedFill"] as const) {
    it(`CLIP's residual attention block with a causal mask (mask by ${masking})`, () => {
      const f = load("attention");
      const v = leaves(f);
      const { attentionWeights, y } = residualBlock(
        v.x!,
        {
          ln1Weight: v.ln_1_weight!,
          ln1Bias: v.ln_1_bias!,
          inProjWeight: v.in_proj_weight!,
          inProjBias: v.in_proj_bias!,
          outProjWeight: v.out_proj_weight!,
          outProjBias: v.out_proj_bias!,
          ln2Weight: v.ln_2_weight!,
          ln2Bias: v.ln_2_bias!,
          cFcWeight: v.c_fc_weight!,
          cFcBias: v.c_fc_bias!,
          cProjWeight: v.c_proj_weight!,
          cProjBias: v.c_proj_bias!,
        },
        f.config.heads as number,
        masking,
      );
      const loss = A.sum(A.mul(y, v.probe!));
      loss.backward();
      compare(f, v, { attention_weights: attentionWeights, y, loss });
    });
  }

  it("crossEntropy with label smoothing (mean and sum reductions)", () => {
    const f = load("cross_entropy");
    const v = leaves(f);
    const targets = v.targets!.value.to("int32");
    const lossA = A.crossEntropy(v.logits_a!, targets, { labelSmoothing: 0.1 });
    const lossB = A.crossEntropy(v.logits_b!, targets, { labelSmoothing: 0.2, reduction: "sum" });
    A.add(lossA, lossB).backward();
    compare(f, v, { loss_a: lossA, loss_b: lossB });
  });

  it("the symmetric contrastive loss of L2-normalised features with a learnable, clamped logit scale", () => {
    const f = load("clip_loss");
    const v = leaves(f);
    const { logitsPerImage, loss } = clipLoss(v.image_embeddings!, v.text_embeddings!, v.logit_scale!);
    loss.backward();
    compare(f, v, { logits_per_image: logitsPerImage, loss });
    // the scale itself is a 0-d leaf: its gradient is 0-d too
    expect(v.logit_scale!.grad!.shape).toEqual([]);
  });

  it("uses linear as x @ Wᵀ + b (the layout of torch.nn.Linear)", () => {
    const x = tensor([1, 2], [1, 2], { dtype: "float64" });
    const w = tensor([1, 0, 0, 1, 1, 1], [3, 2], { dtype: "float64" });
    const b = tensor([0.5, 0, 0], [3], { dtype: "float64" });
    expect(Array.from(linear(x, w, b).value.toFlatArray())).toEqual([1.5, 2, 3]);
  });
});
