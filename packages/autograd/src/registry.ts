/**
 * The registry of differentiable ops: every op that can record itself on the graph has a
 * name here, grouped by the file that defines it, and at run time a spec (the math of its
 * forward and backward passes and what it saves) registered by `defineOp` beside the code.
 *
 * `OP_FAMILIES` is the one list to edit when adding an op. From it come the `OpName` type
 * (so `record` refuses an op without a name, and the gradient property table in the tests
 * refuses a missing op at compile time), the enumeration test and docs/ops.md.
 */

import { TensorError } from "@duet/tensor";

/** Op names by family; family `f` lives in `packages/autograd/src/ops/f.ts`. */
export const OP_FAMILIES = {
  unary: ["neg", "abs", "square", "sqrt", "rsqrt", "exp", "log", "sin", "cos", "erf", "powScalar", "clamp"],
  activation: ["relu", "sigmoid", "tanh", "gelu", "geluTanh", "quickGelu", "softplus", "logSigmoid"],
  binary: ["add", "sub", "mul", "div", "pow", "maximum", "minimum"],
  reduce: ["sum", "mean", "max", "min", "logsumexp", "variance", "std"],
  matmul: ["matmul"],
  softmax: ["softmax", "logSoftmax"],
  layernorm: ["layerNorm"],
  conv: ["conv2d"],
  pooling: ["avgPool2d", "maxPool2d", "adaptiveAvgPool2d"],
  gather: ["embedding", "gather", "indexSelect"],
  shape: ["reshape", "permute", "transpose", "expand", "slice", "select", "squeeze", "unsqueeze", "flatten"],
  join: ["concat", "stack", "split", "chunk"],
  where: ["where", "maskedFill"],
  tri: ["tril", "triu"],
  normalize: ["l2Normalize"],
  loss: ["crossEntropy"],
} as const;

export type Family = keyof typeof OP_FAMILIES;
export type OpName = (typeof OP_FAMILIES)[Family][number];

export const FAMILIES = Object.keys(OP_FAMILIES) as Family[];
export const OP_NAMES: readonly OpName[] = FAMILIES.flatMap((f) => OP_FAMILIES[f] as readonly OpName[]);

/** What an op's definition states about itself; docs/ops.md prints exactly this. */
export interface OpSpec<N extends OpName = OpName> {
  name: N;
  /** The differentiable inputs, in the order the vector-Jacobian product returns their gradients. */
  inputs: readonly string[];
  /** The forward math, e.g. `y = exp(x)`. */
  forward: string;
  /** The backward math, one gradient per input, e.g. `dx = dy * y`. */
  backward: string;
  /** What the forward pass keeps for the backward pass, and why. */
  saved: string;
  /** Optional: ties, kinks, conventions a user should know (e.g. how max routes ties). */
  notes?: string;
}

const specs = new Map<OpName, OpSpec>();

function familyOf(name: OpName): Family {
  return FAMILIES.find((f) => (OP_FAMILIES[f] as readonly string[]).includes(name))!;
}

/** Registers an op's spec. Called once per op, at module load, next to the op's code. */
export function defineOp<N extends OpName>(spec: OpSpec<N>): OpSpec<N> {
  if (!OP_NAMES.includes(spec.name)) throw new TensorError("defineOp", `unknown op name "${spec.name}": add it to OP_FAMILIES first`);
  if (specs.has(spec.name)) throw new TensorError("defineOp", `op "${spec.name}" is defined twice`);
  specs.set(spec.name, Object.freeze({ ...spec }));
  return spec;
}

/** The spec of a registered op, with its family. */
export function opSpec(name: OpName): OpSpec & { family: Family } {
  const spec = specs.get(name);
  if (!spec) throw new TensorError("opSpec", `op "${name}" has no spec: its module never called defineOp (is it imported by index.ts?)`);
  return { ...spec, family: familyOf(name) };
}

/** Every registered spec, in OP_FAMILIES order (ops whose module is not loaded are missing). */
export function registeredOps(): (OpSpec & { family: Family })[] {
  return OP_NAMES.filter((n) => specs.has(n)).map(opSpec);
}
