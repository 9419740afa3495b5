/**
 * A model's stateDict and an optimizer's state go through the safetensors writer and
 * reader unchanged: what a checkpoint folder holds (model.safetensors, optimizer.safetensors
 * with the optimizer's JSON meta under __metadata__) resumes training exactly.
 */

import { describe, expect, it } from "vitest";
import { randn } from "../../packages/tensor/src/index.js";
import { AdamW, BatchNorm2d, paramGroupsNoDecayForNdimLe1, parseSafetensors, serializeSafetensors, Sequential, Transformer, type AdamWHyper, type OptimizerMeta } from "../../packages/nn/src/index.js";
import { TinyModel } from "./support/tiny-model.js";

describe("checkpoints through safetensors", () => {
  it("a model's state dict (float and int32 buffers) round-trips and loads strictly", () => {
    const model = new Sequential([new Transformer(8, 1, 2), new BatchNorm2d(3)]);
    model.child<BatchNorm2d>("1").forward(randn([2, 3, 4, 4])); // moves the running stats and the int32 counter
    const bytes = serializeSafetensors(model.stateDict());
    const restored = new Sequential([new Transformer(8, 1, 2), new BatchNorm2d(3)]);
    restored.loadStateDict(parseSafetensors(bytes).tensors);
    for (const [k, t] of model.stateDict()) {
      const got = restored.stateDict().get(k)!;
      expect(got.dtype, k).toBe(t.dtype);
      expect(Array.from(got.contiguousData()), k).toEqual(Array.from(t.contiguousData()));
    }
  });

  it("AdamW resumes bit for bit from optimizer.safetensors", () => {
    const x = randn([8, 3], { dtype: "float64" });
    const y = randn([8, 2], { dtype: "float64" });
    const make = (m: TinyModel) => new AdamW(paramGroupsNoDecayForNdimLe1<AdamWHyper>(m.namedParameters(), 0.1), { lr: 1e-2 });
    const train = (m: TinyModel, opt: AdamW, steps: number) => {
      for (let i = 0; i < steps; i++) {
        opt.zeroGrad();
        m.loss(x, y).backward();
        opt.step();
      }
    };
    const a = new TinyModel("float64");
    const optA = make(a);
    train(a, optA, 3);
    const state = optA.state();
    const modelFile = serializeSafetensors(a.stateDict());
    const optimizerFile = serializeSafetensors(state.tensors, { metadata: { optimizer: JSON.stringify(state.meta) } });
    train(a, optA, 3);

    const b = new TinyModel("float64");
    b.loadStateDict(parseSafetensors(modelFile, { floatDtype: "float64" }).tensors);
    const optB = make(b);
    const read = parseSafetensors(optimizerFile, { floatDtype: "float64" });
    optB.loadState({ meta: JSON.parse(read.metadata.optimizer!) as OptimizerMeta, tensors: read.tensors });
    train(b, optB, 3);
    for (const [k, t] of a.stateDict()) expect(Array.from(b.stateDict().get(k)!.contiguousData()), k).toEqual(Array.from(t.contiguousData()));
  });
});
