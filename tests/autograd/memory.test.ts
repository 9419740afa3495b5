/**
 * Memory: the tape is released by backward. 1,000 training steps of a small MLP keep the
 * heap flat after a forced GC, even though every step's loss Variable is kept alive (as a
 * careless training loop that logs its losses would): were the graph not released, each
 * retained loss would pin that step's activations, tens of kilobytes per step.
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { Generator, normal, randn, tensor, type Tensor } from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { Variable } from "../../packages/autograd/src/index.js";
import { mlp } from "./support/models.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe("memory", () => {
  it("1,000 forward/backward steps keep the heap flat: the tape is released", () => {
    const g = new Generator(3);
    const param = (shape: number[], std: number) => new Variable(normal(shape, 0, std, { generator: g }), { requiresGrad: true });
    const [B, D, H, C] = [16, 32, 64, 10];
    const p = {
      lnWeight: new Variable(tensor(new Array(D).fill(1), [D]), { requiresGrad: true }),
      lnBias: param([D], 0.1),
      fc1Weight: param([H, D], 1 / Math.sqrt(D)),
      fc1Bias: param([H], 0.1),
      fc2Weight: param([C, H], 1 / Math.sqrt(H)),
      fc2Bias: param([C], 0.1),
    };
    const params = Object.values(p);
    const x = randn([B, D], { generator: g });
    const targets = tensor(Array.from({ length: B }, (_, i) => i % C), [B], { dtype: "int32" });
    const losses: Variable[] = [];

    const step = () => {
      const loss = A.crossEntropy(mlp(x, p), targets);
      loss.backward();
      for (const v of params) {
        // SGD in place: a leaf's grad and value are its own buffers
        const w = v.value.data as Float32Array;
        const dw = (v.grad as Tensor).data;
        for (let i = 0; i < w.length; i++) w[i]! -= 0.01 * dw[i]!;
        v.zeroGrad();
      }
      losses.push(loss);
    };

    for (let i = 0; i < 100; i++) step(); // warm up: JIT, pools, lazily built tables
    const before = liveBytes();
    for (let i = 0; i < 900; i++) step();
    const after = liveBytes();

    expect(losses.every((l) => l.node!.released)).toBe(true);
    expect(losses.at(-1)!.item()).toBeLessThan(losses[0]!.item()); // it did train
    // 900 retained losses cost a few hundred bytes each; 900 retained graphs would cost > 20 MB
    const growth = after - before;
    expect(growth, `heap grew by ${(growth / 1e6).toFixed(2)} MB over 900 steps`).toBeLessThan(3e6);
  });
});
