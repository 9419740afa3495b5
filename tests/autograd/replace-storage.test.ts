/**
 * Variable.replaceStorage: a leaf's value swapped under the same object (what sharing a
 * model's parameters over threads needs), with its refusals, and what a graph recorded
 * before the swap computes.
 */

import { describe, expect, it } from "vitest";
import { Tensor, tensor, zeros } from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { Variable } from "../../packages/autograd/src/index.js";

const leaf = (values: number[], shape = [values.length]) => new Variable(tensor(values, shape, { dtype: "float64" }), { requiresGrad: true });

describe("Variable.replaceStorage", () => {
  it("swaps the value under the same Variable: holders see the new storage, the gradient stays", () => {
    const w = leaf([1, 2, 3, 4], [2, 2]);
    const holder = { weight: w };
    A.sum(A.mul(w, w)).backward();
    const storage = new Float64Array(new SharedArrayBuffer(4 * 8));
    storage.set([5, 6, 7, 8]);
    w.replaceStorage(new Tensor(storage, [2, 2]));
    expect(holder.weight.value.data).toBe(storage);
    expect([w.isLeaf, w.requiresGrad, w.shape, w.dtype]).toEqual([true, true, [2, 2], "float64"]);
    expect(Array.from(w.grad!.contiguousData())).toEqual([2, 4, 6, 8]);
    // later ops read the new storage, and their gradients add to the same grad
    A.sum(w).backward();
    expect(A.sum(w).item()).toBe(26);
    expect(Array.from(w.grad!.contiguousData())).toEqual([3, 5, 7, 9]);
  });

  it("leaves a graph recorded before the swap at the values it saw", () => {
    const x = leaf([1, 2]);
    const w = leaf([10, 20]);
    const y = A.sum(A.mul(x, w));
    w.replaceStorage(tensor([-1, -1], [2], { dtype: "float64" }));
    y.backward();
    expect(Array.from(x.grad!.contiguousData())).toEqual([10, 20]);
    expect(Array.from(w.grad!.contiguousData())).toEqual([1, 2]);
  });

  it("refuses another shape or dtype, naming both", () => {
    const w = leaf([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => w.replaceStorage(zeros([3, 2], { dtype: "float64" }))).toThrow("replaceStorage: value must be float64 [2,3] like the storage it replaces, got float64 [3,2]");
    expect(() => w.replaceStorage(zeros([2, 3], { dtype: "float32" }))).toThrow("replaceStorage: value must be float64 [2,3] like the storage it replaces, got float32 [2,3]");
    expect(() => w.replaceStorage(new Float64Array(6) as unknown as Tensor)).toThrow("replaceStorage: value must be a Tensor, got object");
    expect(Array.from(w.value.contiguousData())).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("refuses an op's output, naming the op", () => {
    const y = A.exp(leaf([0, 1]));
    expect(() => y.replaceStorage(zeros([2], { dtype: "float64" }))).toThrow("replaceStorage: only a leaf's storage can be replaced, but this Variable is the output of 'exp' in a recorded graph");
  });
});
