/**
 * @duet/autograd: reverse-mode automatic differentiation over @duet/tensor.
 *
 * A Variable wraps a Tensor; ops on Variables record a graph when some input requires a
 * gradient; `backward()` walks it in reverse and fills `.grad`. Every differentiable op has
 * its forward and its vector-Jacobian product side by side under ./ops/, and a spec in the
 * registry (./registry.ts) from which docs/ops.md is generated.
 */

export { Variable, type VariableOptions, type BackwardOptions } from "./variable.js";
export { noGrad, isGradEnabled } from "./grad-mode.js";
export { graphOps } from "./graph.js";
export { gradcheck, GradcheckError, type GradcheckOptions, type GradcheckResult } from "./gradcheck.js";
export { OP_FAMILIES, OP_NAMES, FAMILIES, opSpec, registeredOps, type OpName, type OpSpec, type Family } from "./registry.js";
export type { Input, Operand } from "./operands.js";

export * from "./ops/unary.js";
export * from "./ops/activation.js";
export * from "./ops/binary.js";
export * from "./ops/reduce.js";
export { variance as var } from "./ops/reduce.js";
export * from "./ops/matmul.js";
export * from "./ops/softmax.js";
export * from "./ops/layernorm.js";
export * from "./ops/conv.js";
export * from "./ops/pooling.js";
export * from "./ops/gather.js";
export * from "./ops/shape.js";
export * from "./ops/join.js";
export * from "./ops/where.js";
export * from "./ops/tri.js";
export * from "./ops/normalize.js";
export * from "./ops/loss.js";
