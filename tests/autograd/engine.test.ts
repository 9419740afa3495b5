/**
 * The tape itself: Variables, accumulation, broadcasting, noGrad, detach, retainGraph, the
 * release of the graph, the shape/dtype contract of the backward loop, and depth.
 */

import { describe, expect, it } from "vitest";
import { ones, randn, tensor, zeros, type DType, type Tensor } from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { Variable } from "../../packages/autograd/src/index.js";
import { record } from "../../packages/autograd/src/graph.js";
import { opSpec } from "../../packages/autograd/src/registry.js";

const f64 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: "float64" });
const leaf = (values: number[], shape = [values.length], dtype: DType = "float64") => new Variable(tensor(values, shape, { dtype }), { requiresGrad: true });
const flat = (t: Tensor | null) => Array.from(t!.toFlatArray());

describe("Variable", () => {
  it("wraps a tensor, with shape, dtype and ndim of its value", () => {
    const v = new Variable(zeros([2, 3], { dtype: "float64" }));
    expect([v.shape, v.dtype, v.ndim, v.size]).toEqual([[2, 3], "float64", 2, 6]);
    expect([v.requiresGrad, v.isLeaf, v.grad, v.op]).toEqual([false, true, null, null]);
  });

  it("only lets float leaves require a gradient", () => {
    expect(() => new Variable(tensor([1, 2], [2], { dtype: "int32" }), { requiresGrad: true })).toThrow(/requiresGrad: only float32 and float64 .* got int32/);
    const y = A.exp(leaf([1]));
    expect(y.requiresGrad && !y.isLeaf && y.op === "exp").toBe(true);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(/requiresGrad: can only be set on a leaf, but this Variable is the output of 'exp'/);
  });

  it("rejects what is not a tensor, naming the op and the argument", () => {
    expect(() => new Variable([1, 2] as unknown as Tensor)).toThrow("Variable: value must be a Tensor, got object");
    expect(() => A.matmul(leaf([1, 2]), "w" as unknown as Tensor)).toThrow("matmul: b must be a Variable or a Tensor, got string");
    expect(() => A.embedding(leaf([1, 2], [1, 2]), f64([0]))).toThrow("embedding: ids must be an int32 tensor, got float64 of shape [1]");
  });
});

describe("backward", () => {
  it("computes d loss / d leaf for a scalar loss", () => {
    const x = leaf([1, 2, 3]);
    A.sum(A.mul(x, x)).backward();
    expect(flat(x.grad)).toEqual([2, 4, 6]);
  });

  it("accumulates (+=) over backward calls until zeroGrad", () => {
    const x = leaf([1, 2]);
    A.sum(A.mul(x, 3)).backward();
    A.sum(A.mul(x, 3)).backward();
    expect(flat(x.grad)).toEqual([6, 6]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    A.sum(x).backward();
    expect(flat(x.grad)).toEqual([1, 1]);
  });

  it("sums fan-out: a value used on several paths gets every path's gradient", () => {
    const x = leaf([2]);
    const h = A.square(x); // used three times below
    const y = A.add(A.mul(h, h), A.mul(h, x)); // x^4 + x^3
    y.backward();
    expect(flat(x.grad)).toEqual([4 * 8 + 3 * 4]);
  });

  it("sums the gradient of a broadcast operand back to its shape", () => {
    const a = leaf([1, 2, 3], [3, 1]);
    const b = leaf([10, 20, 30, 40], [4]);
    const c = leaf([5]); // 1-D of size 1 against (3, 4)
    A.sum(A.mul(A.add(a, b), c)).backward();
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(flat(a.grad)).toEqual([20, 20, 20]);
    expect(flat(b.grad)).toEqual([15, 15, 15, 15]);
    expect(flat(c.grad)).toEqual([4 * 6 + 3 * 100]);
  });

  it("gives each operand a gradient in its own dtype", () => {
    const a = leaf([1, 2], [2], "float32");
    const b = leaf([3, 4], [2], "float64");
    const y = A.mul(a, b);
    expect(y.dtype).toBe("float64");
    A.sum(y).backward();
    expect([a.grad!.dtype, b.grad!.dtype]).toEqual(["float32", "float64"]);
    expect(flat(a.grad)).toEqual([3, 4]);
  });

  it("takes an explicit output gradient, which must match the output", () => {
    const x = leaf([1, 2, 3]);
    const y = A.mul(x, 2);
    expect(() => y.backward()).toThrow("backward: gradOutput is required for a non-scalar output: this Variable has shape [3]");
    expect(() => y.backward(f64([1, 1]))).toThrow("backward: gradOutput must match the output: expected float64 [3], got float64 [2]");
    y.backward(f64([1, 0, -1]));
    expect(flat(x.grad)).toEqual([2, 0, -2]);
  });

  it("works from a leaf, and refuses an output that needs no gradient", () => {
    const x = leaf([1, 2]);
    x.backward(f64([3, 4]));
    expect(flat(x.grad)).toEqual([3, 4]);
    const c = A.exp(new Variable(f64([1])));
    expect(c.requiresGrad).toBe(false);
    expect(() => c.backward()).toThrow(/backward: this Variable \(shape \[1\]\) does not require a gradient/);
  });

  it("treats Tensors and numbers as constants", () => {
    const x = leaf([1, 2]);
    const y = A.sum(A.add(A.mul(x, f64([3, 4])), 5));
    y.backward();
    expect(flat(x.grad)).toEqual([3, 4]);
  });
});

describe("noGrad and detach", () => {
  it("noGrad records nothing, nests, and restores the mode even on a throw", () => {
    const x = leaf([1]);
    const y = A.noGrad(() => A.exp(x));
    expect([y.requiresGrad, y.op]).toEqual([false, null]);
    expect(A.isGradEnabled()).toBe(true);
    A.noGrad(() => {
      A.noGrad(() => undefined);
      expect(A.isGradEnabled()).toBe(false);
    });
    expect(() =>
      A.noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(A.isGradEnabled()).toBe(true);
  });

  it("detach cuts the graph: no gradient flows through the detached branch", () => {
    const x = leaf([3]);
    const y = A.mul(x, x.detach()); // d/dx = the detached x = 3, not 2x
    y.backward();
    expect(flat(x.grad)).toEqual([3]);
  });
});

describe("the graph's lifetime", () => {
  it("is released after backward: the output no longer reaches its inputs", () => {
    const x = leaf([1, 2]);
    const h = A.exp(x);
    const y = A.sum(h);
    y.backward();
    expect(y.node!.released && h.node!.released).toBe(true);
    expect(y.node!.inputs).toBeNull();
  });

  it("is kept with retainGraph, so backward can run again (and gradients add up)", () => {
    const x = leaf([1, 2]);
    const y = A.sum(A.square(x));
    y.backward(undefined, { retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(flat(x.grad)).toEqual([6, 12]);
  });

  it("backward twice without retainGraph is an error that says what to do", () => {
    const x = leaf([1, 2]);
    const y = A.sum(A.square(x));
    y.backward();
    expect(() => y.backward()).toThrow(
      "backward: the graph through 'sum' was already freed by an earlier backward(); to run backward through the same graph twice, pass { retainGraph: true } to every backward call but the last",
    );
    // also when a new graph is built on top of a freed one
    const z = A.sum(A.mul(A.square(x), 1));
    const w = A.square(x);
    A.sum(w).backward();
    expect(() => A.sum(A.add(w, z)).backward()).toThrow(/the graph through 'square' was already freed/);
  });

  it("survives a chain 100,000 ops deep (no recursion)", () => {
    const x = leaf([1]);
    let y: Variable = x;
    for (let i = 0; i < 100_000; i++) y = A.mul(y, 1.00001);
    y.backward();
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.00001, 100_000), 8);
  });
});

describe("the backward loop's contract", () => {
  it("rejects a gradient of the wrong shape, naming the op and the input", () => {
    const a = leaf([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = record(opSpec("matmul"), randn([2, 2], { dtype: "float64" }), [a, null], () => [zeros([3, 2], { dtype: "float64" }), null]);
    expect(() => y.backward(ones([2, 2], { dtype: "float64" }))).toThrow(
      "backward: 'matmul' returned a gradient of float64 [3,2] for input 0 (a), expected float64 [2,3] (the input's own)",
    );
  });

  it("rejects a gradient of the wrong dtype", () => {
    const a = leaf([1, 2], [2], "float32");
    const y = record(opSpec("exp"), a.value, [a], (dy) => [dy.to("float64")]);
    expect(() => y.backward(ones([2]))).toThrow("backward: 'exp' returned a gradient of float64 [2] for input 0 (x), expected float32 [2] (the input's own)");
  });

  it("gives leaves a row-major gradient of their own, even from a broadcast view", () => {
    const x = leaf([1, 2, 3, 4], [2, 2]);
    A.sum(x).backward(); // sum's VJP returns an expanded (stride 0) view of dy
    expect(x.grad!.isCompact()).toBe(true);
    const shared = new Variable(f64([1, 2]), { requiresGrad: true });
    const other = new Variable(f64([3, 4]), { requiresGrad: true });
    A.sum(A.add(shared, other)).backward(); // add hands the same dy to both
    expect(shared.grad).not.toBe(other.grad);
    shared.grad!.data[0] = 100;
    expect(flat(other.grad)).toEqual([1, 1]);
  });
});

describe("op argument errors name the op, the argument, what was expected and what came", () => {
  it("crossEntropy", () => {
    const logits = leaf([1, 2, 3, 4, 5, 6], [2, 3]);
    const int = (v: number[]) => tensor(v, [v.length], { dtype: "int32" });
    expect(() => A.crossEntropy(logits, int([0]))).toThrow("crossEntropy: targets must be 1-D with one class per row of logits (2), got shape [1]");
    expect(() => A.crossEntropy(logits, int([0, 3]))).toThrow("crossEntropy: target 3 at row 1 is out of range for 3 classes; valid: [0, 2]");
    expect(() => A.crossEntropy(logits, f64([0, 1]))).toThrow("crossEntropy: targets must be an int32 tensor, got float64 of shape [2]");
    expect(() => A.crossEntropy(leaf([1, 2]), int([0]))).toThrow("crossEntropy: logits must be 2-D (N, C), got shape [2]");
    expect(() => A.crossEntropy(logits, int([0, 1]), { labelSmoothing: 2 })).toThrow("crossEntropy: labelSmoothing must be in [0, 1], got 2");
  });

  it("maskedFill and concat", () => {
    expect(() => A.maskedFill(leaf([1, 2]), tensor([1, 0, 1], [3], { dtype: "int32" }), 0)).toThrow("maskedFill: shapes cannot broadcast: mask is [3], x is [2]");
    expect(() => A.maskedFill(leaf([1, 2]), tensor([1, 0], [2, 1], { dtype: "int32" }), 0)).toThrow("maskedFill: mask must broadcast to x's shape: mask is [2,1], x is [2]");
    expect(() => A.concat([leaf([1, 2]), 3 as unknown as Tensor])).toThrow("concat: tensors[1] must be a Variable or a Tensor, got number");
  });
});
