/** gradcheck itself: it passes right gradients, samples large inputs, and explains a wrong one. */

import { describe, expect, it } from "vitest";
import { randn, tensor } from "../../packages/tensor/src/index.js";
import * as T from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { GradcheckError, gradcheck } from "../../packages/autograd/src/index.js";
import { record } from "../../packages/autograd/src/graph.js";
import { opSpec } from "../../packages/autograd/src/registry.js";

const f64 = (shape: number[]) => randn(shape, { dtype: "float64", generator: new T.Generator(7) });

describe("gradcheck", () => {
  it("passes a correct gradient, checking every index of small inputs", () => {
    const result = gradcheck((a, b) => A.mul(A.sin(a!), b!), [f64([2, 3]), f64([3])], { name: "sin*b" });
    expect(result.checked).toBe(6 + 3);
    expect(result.maxAbsError).toBeLessThan(1e-8);
  });

  it("samples the indices of large inputs (first and last included)", () => {
    const result = gradcheck((a) => A.exp(a!), [f64([20, 20])], { maxIndicesPerInput: 16 });
    expect(result.checked).toBe(16);
  });

  it("converts float32 inputs to float64", () => {
    const x = randn([3]);
    expect(gradcheck((a) => A.tanh(a!), [x]).checked).toBe(3);
  });

  it("fails a wrong gradient with the op, the shapes, the index and both derivatives", () => {
    // a broken exp whose VJP forgets to multiply by y
    const brokenExp = (x: A.Variable) => record(opSpec("exp"), T.exp(x.value), [x], (dy) => [dy]);
    const x = tensor([0, 0.5, 1, 1.5, 2, 2.5], [2, 3], { dtype: "float64" });
    let error: unknown;
    try {
      gradcheck((a) => brokenExp(a!), [x], { name: "brokenExp", atol: 1e-6, rtol: 1e-5 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GradcheckError);
    const message = (error as Error).message;
    expect(message).toMatch(/^gradcheck: brokenExp: d\/d\(input 0\) at index \[0,1\] \(flat 1\): analytic -?[\d.e-]+, numeric -?[\d.e-]+, \|diff\| [\d.e+-]+ > tolerance [\d.e+-]+ \(atol 0\.000001, rtol 0\.00001, h 0\.000001\); input shapes \[2,3\]$/);
  });

  it("refuses int32 inputs and non-float64 outputs", () => {
    expect(() => gradcheck((a) => a!, [tensor([1], [1], { dtype: "int32" })])).toThrow("gradcheck: fn: input 0 must be a float Tensor, got int32");
    expect(() => gradcheck(() => new A.Variable(tensor([1], [1])), [f64([1])])).toThrow("gradcheck: fn: the output must be float64 for central differences, got float32");
  });
});
