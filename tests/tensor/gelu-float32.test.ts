import { describe, expect, it } from "vitest";
import { gelu, geluBackward, tensor } from "@duet/tensor";

// float32 GELU takes its exponential from fastExp and erfc from a fitted polynomial without
// branches (special.ts erfcTailFloat32); float64 keeps Math.exp and Cody's rationals. The
// float32 results must still be the float64 ones rounded, within ~2 ulps. The grid is fine
// (step 1e-4) so that it passes close to the backward's zero at x = -0.7518, where a
// slightly inaccurate erfc shows as a large relative error (a 1e-3 grid missed a 3e-6 there).
describe("float32 GELU forward and backward (fastExp inside) match float64 to float32 accuracy", () => {
  const xs = Array.from({ length: 240001 }, (_, i) => -12 + i * 0.0001);
  const ones = xs.map(() => 1);
  const f32 = (v: number[]) => tensor(v, [v.length], { dtype: "float32" });
  const f64 = (v: number[]) => tensor(v, [v.length], { dtype: "float64" });
  const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
    let w = 0;
    for (let i = 0; i < want.length; i++) {
      const scale = Math.max(Math.abs(want[i]!), 1e-30);
      w = Math.max(w, Math.abs(got[i]! - Math.fround(want[i]!)) / scale);
    }
    return w;
  };

  it("forward: relative error <= 2.4e-7 over [-12, 12] (tails included)", () => {
    const x32 = f32(xs);
    const want = gelu(f64(Array.from(x32.data))).data;
    expect(worst(gelu(x32).data, want)).toBeLessThanOrEqual(2.4e-7);
  });

  it("backward: relative error <= 2.4e-7 over [-12, 12]", () => {
    const x32 = f32(xs);
    const want = geluBackward(f64(Array.from(x32.data)), f64(ones)).data;
    expect(worst(geluBackward(x32, f32(ones)).data, want)).toBeLessThanOrEqual(2.4e-7);
  });

  it("NaN and ±Infinity give what the float64 path gives", () => {
    const specials = [NaN, Infinity, -Infinity];
    expect(Array.from(gelu(f32(specials)).data)).toEqual(Array.from(gelu(f64(specials)).data));
    expect(Array.from(geluBackward(f32(specials), f32([1, 1, 1])).data)).toEqual(Array.from(geluBackward(f64(specials), f64([1, 1, 1])).data));
  });
});
