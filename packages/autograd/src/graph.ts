/**
 * The graph: each op application that involves a Variable requiring a gradient becomes a
 * Node, which holds the op's inputs and its vector-Jacobian product (VJP). The VJP is a
 * closure over exactly the tensors the op saved for its backward pass, so dropping the
 * closure drops them: `release()` is what frees the tape after backward.
 */

import type { Tensor } from "@duet/tensor";
import { isGradEnabled } from "./grad-mode.js";
import type { OpSpec } from "./registry.js";
import { Variable } from "./variable.js";

/**
 * Maps the gradient of the op's output, dy (the output's shape and dtype), to one gradient
 * per input, each of that input's shape and dtype, or null where the input needs none.
 * `needsGrad[i]` says whether input i wants a gradient, so the VJP can skip the work.
 */
export type Vjp = (dy: Tensor, needsGrad: readonly boolean[]) => readonly (Tensor | null)[];

export class Node {
  /** The inputs, positionally (null where the op took a plain number); null once released. */
  inputs: readonly (Variable | null)[] | null;
  /** The VJP; null once released. */
  vjp: Vjp | null;

  constructor(
    readonly spec: OpSpec,
    inputs: readonly (Variable | null)[],
    vjp: Vjp,
  ) {
    this.inputs = inputs;
    this.vjp = vjp;
  }

  get released(): boolean {
    return this.vjp === null;
  }

  /** Drops the links to the inputs and the saved tensors. */
  release(): void {
    this.inputs = null;
    this.vjp = null;
  }
}

/**
 * Wraps an op's output. When grad mode is on and some input requires a gradient, the
 * output remembers how it was made (a Node); otherwise it is a plain constant and the VJP
 * closure, with everything it saved, is garbage at once.
 */
export function record(spec: OpSpec, value: Tensor, inputs: readonly (Variable | null)[], vjp: Vjp): Variable {
  if (!isGradEnabled() || !inputs.some((v) => v !== null && v.requiresGrad)) return new Variable(value);
  return Variable.fromNode(value, new Node(spec, inputs, vjp));
}

/**
 * The op names in the graph behind `root`, each once, found iteratively (for tests and
 * debugging: "did this expression really go through softmax?").
 */
export function graphOps(root: Variable): string[] {
  const names = new Set<string>();
  const seen = new Set<Node>();
  const stack: Node[] = root.node ? [root.node] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    names.add(node.spec.name);
    for (const input of node.inputs ?? []) if (input?.node) stack.push(input.node);
  }
  return [...names];
}
