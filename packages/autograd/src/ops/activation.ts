/**
 * Activations: elementwise nonlinearities of neural networks, y = f(x), dx = dy * f'(x).
 *
 *   x is any shape; y and dx have x's shape and dtype.
 *
 * Each VJP is one fused tensor kernel (T.geluBackward and friends): dx in a single pass
 * over dy and the saved tensor, the math written out in packages/tensor's
 * activation-backward.ts.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const RELU = defineOp({
  name: "relu",
  inputs: ["x"],
  forward: "y = max(x, 0)",
  backward: "dx = dy where y > 0, else 0",
  saved: "y, the output: y > 0 exactly where x > 0",
  notes: "At x = 0 the gradient is 0 (as torch).",
});
export function relu(x: Input): Variable {
  const xv = asVariable("relu", "x", x);
  const y = T.relu(xv.value);
  return record(RELU, y, [xv], (dy) => [T.reluBackward(y, dy)]);
}

const SIGMOID = defineOp({ name: "sigmoid", inputs: ["x"], forward: "y = 1 / (1 + e^-x)", backward: "dx = dy y (1 - y)", saved: "y, the output: σ' = σ (1 - σ)" });
export function sigmoid(x: Input): Variable {
  const xv = asVariable("sigmoid", "x", x);
  const y = T.sigmoid(xv.value);
  return record(SIGMOID, y, [xv], (dy) => [T.sigmoidBackward(y, dy)]);
}

const TANH = defineOp({ name: "tanh", inputs: ["x"], forward: "y = tanh x", backward: "dx = dy (1 - y²)", saved: "y, the output: tanh' = 1 - tanh²" });
export function tanh(x: Input): Variable {
  const xv = asVariable("tanh", "x", x);
  const y = T.tanh(xv.value);
  return record(TANH, y, [xv], (dy) => [T.tanhBackward(y, dy)]);
}

const GELU = defineOp({
  name: "gelu",
  inputs: ["x"],
  forward: "y = x Φ(x) = x (1 + erf(x/√2)) / 2",
  backward: "dx = dy (Φ(x) + x φ(x)),  φ(x) = e^(-x²/2) / √(2π)",
  saved: "x",
  notes: "The exact (erf) GELU, torch's default.",
});
export function gelu(x: Input): Variable {
  const xv = asVariable("gelu", "x", x);
  const saved = xv.value;
  return record(GELU, T.gelu(saved), [xv], (dy) => [T.geluBackward(saved, dy)]);
}

const GELU_TANH = defineOp({
  name: "geluTanh",
  inputs: ["x"],
  forward: "y = x (1 + tanh u) / 2,  u = √(2/π) (x + 0.044715 x³)",
  backward: "dx = dy ((1 + t)/2 + x (1 - t²) √(2/π) (1 + 3·0.044715 x²) / 2),  t = tanh u",
  saved: "x (t is recomputed: one tanh per element is cheaper than keeping another tensor)",
  notes: "torch's gelu(approximate='tanh').",
});
export function geluTanh(x: Input): Variable {
  const xv = asVariable("geluTanh", "x", x);
  const saved = xv.value;
  return record(GELU_TANH, T.geluTanh(saved), [xv], (dy) => [T.geluTanhBackward(saved, dy)]);
}

const QUICK_GELU = defineOp({
  name: "quickGelu",
  inputs: ["x"],
  forward: "y = x σ(1.702 x)",
  backward: "dx = dy (s + 1.702 x s (1 - s)),  s = σ(1.702 x)",
  saved: "x",
  notes: "The GELU approximation of OpenAI's CLIP (open_clip's quick_gelu).",
});
export function quickGelu(x: Input): Variable {
  const xv = asVariable("quickGelu", "x", x);
  const saved = xv.value;
  return record(QUICK_GELU, T.quickGelu(saved), [xv], (dy) => [T.quickGeluBackward(saved, dy)]);
}

const SOFTPLUS = defineOp({
  name: "softplus",
  inputs: ["x"],
  forward: "y = ln(1 + e^x)   (computed as max(x, 0) + ln(1 + e^-|x|))",
  backward: "dx = dy σ(x)",
  saved: "x",
  notes: "Never overflows: softplus(1000) is 1000, softplus(-1000) is e^-1000 (0), not NaN.",
});
export function softplus(x: Input): Variable {
  const xv = asVariable("softplus", "x", x);
  const saved = asFloat(xv.value);
  return record(SOFTPLUS, T.softplus(saved), [xv], (dy) => [T.softplusBackward(saved, dy)]);
}

const LOG_SIGMOID = defineOp({
  name: "logSigmoid",
  inputs: ["x"],
  forward: "y = ln σ(x) = -softplus(-x)",
  backward: "dx = dy σ(-x)  (= dy (1 - σ(x)))",
  saved: "x",
  notes: "The stable form of ln(sigmoid(x)) for large negative x, as SigLIP's loss needs.",
});
export function logSigmoid(x: Input): Variable {
  const xv = asVariable("logSigmoid", "x", x);
  const saved = asFloat(xv.value);
  return record(LOG_SIGMOID, T.logSigmoid(saved), [xv], (dy) => [T.logSigmoidBackward(saved, dy)]);
}

/** int32 inputs compute in float32, as the tensor kernels' float ops do. */
function asFloat(x: T.Tensor): T.Tensor {
  return x.dtype === "int32" ? x.to("float32") : x;
}
