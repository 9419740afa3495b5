import { afterEach, describe, expect, it } from "vitest";
import { matmul, observeKernels, ones } from "@duet/tensor";

describe("observeKernels: an optional observer of matmul calls, for profilers", () => {
  afterEach(() => observeKernels(null));

  it("sees every matmul with its shape and layout, and nothing once removed", () => {
    const seen: [string, string, number][] = [];
    observeKernels((kernel, key, ms) => seen.push([kernel, key, ms]));
    const a = ones([2, 3, 4]);
    const b = ones([4, 5]);
    const y = matmul(a, b);
    matmul(ones([2, 2]).transpose(0, 1), ones([2, 1]));
    expect(seen.map((s) => s.slice(0, 2))).toEqual([
      ["matmul", "2 x (3x4 @ 4x5)"],
      ["matmul", "(2x2ᵀ @ 2x1)"],
    ]);
    expect(seen.every((s) => s[2] >= 0)).toBe(true);
    expect(Array.from(y.data)).toEqual(new Array(30).fill(4)); // observed calls still compute
    observeKernels(null);
    matmul(a, b);
    expect(seen.length).toBe(2);
  });
});
