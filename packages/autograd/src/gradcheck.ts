/**
 * gradcheck: autograd against float64 central differences.
 *
 * For f = fn(inputs) of any shape, draw a fixed random cotangent w (seeded) and compare,
 * for every input element x_i,
 *   analytic:  d Σ(w * f) / d x_i   from one backward pass with gradOutput w
 *   numeric:   (Σ w * f(x + h e_i) - Σ w * f(x - h e_i)) / 2h
 * Checking against a random w tests the whole vector-Jacobian product, not just one row.
 * Small inputs are checked at every index; larger ones at `maxIndicesPerInput` sampled
 * indices (always including the first and the last). With h = 1e-6 in float64, the
 * truncation error (h² f''') and the rounding error (1e-16 |f| / h) both stay near 1e-10.
 */

import { fmtShape, Generator, isFloat, normal, Tensor, TensorError, zeros } from "@duet/tensor";
import { noGrad } from "./grad-mode.js";
import { Variable } from "./variable.js";

export interface GradcheckOptions {
  /** What is being checked, for the failure message (an op name, say). Default "fn". */
  name?: string;
  /** The central-difference step h. Default 1e-6. */
  eps?: number;
  /** Absolute tolerance. Default 1e-6. */
  atol?: number;
  /** Relative tolerance, against |numeric|. Default 1e-5. */
  rtol?: number;
  /** Inputs with more elements are checked at this many sampled indices. Default 64. */
  maxIndicesPerInput?: number;
  /** Seeds the cotangent and the sampled indices. Default 0. */
  seed?: number;
}

export interface GradcheckResult {
  /** How many (input, index) pairs were compared. */
  checked: number;
  /** The largest |analytic - numeric| seen. */
  maxAbsError: number;
}

export class GradcheckError extends TensorError {
  constructor(detail: string) {
    super("gradcheck", detail);
    this.name = "GradcheckError";
  }
}

/**
 * Checks the gradients of `fn` with respect to every input (float tensors, converted to
 * float64, keeping their layout when already float64). Throws a GradcheckError naming the
 * function, the input shapes, the index and both derivatives on the first mismatch.
 */
export function gradcheck(fn: (...inputs: Variable[]) => Variable, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { name = "fn", eps = 1e-6, atol = 1e-6, rtol = 1e-5, maxIndicesPerInput = 64, seed = 0 } = options;
  const xs = inputs.map((t, k) => {
    if (!(t instanceof Tensor) || !isFloat(t.dtype)) throw new GradcheckError(`${name}: input ${k} must be a float Tensor, got ${t instanceof Tensor ? t.dtype : typeof t}`);
    return t.dtype === "float64" ? t : t.to("float64");
  });
  const shapes = xs.map((x) => fmtShape(x.shape)).join(", ");
  const generator = new Generator(seed);

  // analytic: one backward pass with a random cotangent
  const leaves = xs.map((x) => new Variable(x, { requiresGrad: true }));
  const out = fn(...leaves);
  if (out.dtype !== "float64") throw new GradcheckError(`${name}: the output must be float64 for central differences, got ${out.dtype}`);
  const w = normal(out.shape, 0, 1, { dtype: "float64", generator });
  if (out.requiresGrad) out.backward(w);
  const analytic = leaves.map((v, k) => (v.grad ?? zeros(xs[k]!.shape, { dtype: "float64" })).contiguousData());

  // numeric: Σ w * f at x ± h e_i, one input element at a time
  const weights = w.contiguousData();
  const objective = (args: Tensor[]): number =>
    noGrad(() => {
      const f = fn(...args.map((a) => new Variable(a))).value.contiguousData();
      let total = 0;
      for (let j = 0; j < f.length; j++) total += weights[j]! * f[j]!;
      return total;
    });

  let checked = 0;
  let maxAbsError = 0;
  xs.forEach((x, k) => {
    const probe = x.clone(); // row-major copy whose elements we nudge
    const args = [...xs];
    args[k] = probe;
    for (const i of indicesToCheck(x.size, maxIndicesPerInput, generator)) {
      const original = probe.data[i]!;
      probe.data[i] = original + eps;
      const up = objective(args);
      probe.data[i] = original - eps;
      const down = objective(args);
      probe.data[i] = original;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[k]![i]!;
      const error = Math.abs(a - numeric);
      const tolerance = atol + rtol * Math.abs(numeric);
      if (!(error <= tolerance)) {
        throw new GradcheckError(
          `${name}: d/d(input ${k}) at index ${fmtIndex(i, x.shape)} (flat ${i}): analytic ${a}, numeric ${numeric}, ` +
            `|diff| ${error.toExponential(3)} > tolerance ${tolerance.toExponential(3)} (atol ${atol}, rtol ${rtol}, h ${eps}); input shapes ${shapes}`,
        );
      }
      maxAbsError = Math.max(maxAbsError, error);
      checked++;
    }
  });
  return { checked, maxAbsError };
}

/** Every index of a small input; a sorted sample (first and last included) of a large one. */
function indicesToCheck(size: number, limit: number, generator: Generator): number[] {
  if (size <= limit) return Array.from({ length: size }, (_, i) => i);
  const picked = new Set<number>([0, size - 1]);
  while (picked.size < limit) picked.add(generator.nextInt(size));
  return [...picked].sort((a, b) => a - b);
}

function fmtIndex(flat: number, shape: readonly number[]): string {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${index.join(",")}]`;
}
