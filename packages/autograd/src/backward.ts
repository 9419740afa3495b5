/**
 * The backward pass: reverse-mode differentiation over the recorded graph.
 *
 * 1. Order. An iterative depth-first search from the root lists every node after all the
 *    nodes it reads from (post-order). No recursion: a chain of 100,000 ops is a 100,000-
 *    element array, not 100,000 stack frames.
 * 2. Sweep. Walking that list backwards, each node is visited after every node that
 *    consumes it, so its output gradient dy is complete. Its VJP maps dy to one gradient
 *    per input; each is checked against the input's shape and dtype, then added (+=) to
 *    the input's pending gradient (an op output) or to its `.grad` (a leaf). Fan-out sums
 *    by construction. A node's dy is dropped as soon as it is used.
 * 3. Release. Unless `retainGraph`, each node forgets its inputs and its VJP (and with it
 *    every saved tensor) once used, so the tape's memory goes back as the sweep goes on.
 */

import { add, fmtShape, ones, shapesEqual, TensorError, type Tensor } from "@duet/tensor";
import type { Node } from "./graph.js";
import type { Variable } from "./variable.js";

export function runBackward(root: Variable, gradOutput: Tensor | undefined, retainGraph: boolean): void {
  const seed = seedGradient(root, gradOutput);
  if (root.node === null) {
    accumulateLeaf(root, seed);
    return;
  }
  const order = topologicalOrder(root.node);
  const pending = new Map<Node, Tensor>([[root.node, seed]]);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const dy = pending.get(node);
    pending.delete(node);
    const inputs = node.inputs!;
    if (dy !== undefined) {
      const needsGrad = inputs.map((v) => v !== null && v.requiresGrad);
      const grads = node.vjp!(dy, needsGrad);
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i];
        const g = grads[i];
        if (!input || !needsGrad[i] || g === null || g === undefined) continue;
        checkGradient(node, i, g, input);
        if (input.node === null) accumulateLeaf(input, g);
        else {
          const sofar = pending.get(input.node);
          pending.set(input.node, sofar === undefined ? g : add(sofar, g));
        }
      }
    }
    if (!retainGraph) node.release();
  }
}

/** The gradient backward starts from: 1 for a one-element root, else the caller's. */
function seedGradient(root: Variable, gradOutput: Tensor | undefined): Tensor {
  if (!root.requiresGrad) {
    throw new TensorError(
      "backward",
      `this Variable (shape ${fmtShape(root.shape)}) does not require a gradient: no input of the computation had requiresGrad: true, or it ran inside noGrad`,
    );
  }
  if (gradOutput === undefined) {
    if (root.size !== 1) {
      throw new TensorError("backward", `gradOutput is required for a non-scalar output: this Variable has shape ${fmtShape(root.shape)} (${root.size} elements); backward() without it needs a single element, such as a loss`);
    }
    return ones(root.shape, { dtype: root.dtype });
  }
  if (!shapesEqual(gradOutput.shape, root.shape) || gradOutput.dtype !== root.dtype) {
    throw new TensorError(
      "backward",
      `gradOutput must match the output: expected ${root.dtype} ${fmtShape(root.shape)}, got ${gradOutput.dtype} ${fmtShape(gradOutput.shape)}`,
    );
  }
  return gradOutput;
}

/** Nodes reachable from `root`, each after every node it reads from (iterative post-order DFS). */
function topologicalOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>([root]);
  checkNotReleased(root);
  const stack: Node[] = [root];
  const nextInput: number[] = [0];
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top]!;
    const inputs = node.inputs!;
    if (nextInput[top]! < inputs.length) {
      const child = inputs[nextInput[top]!++]?.node;
      if (child && !visited.has(child)) {
        checkNotReleased(child);
        visited.add(child);
        stack.push(child);
        nextInput.push(0);
      }
    } else {
      order.push(node);
      stack.pop();
      nextInput.pop();
    }
  }
  return order;
}

function checkNotReleased(node: Node): void {
  if (!node.released) return;
  throw new TensorError(
    "backward",
    `the graph through '${node.spec.name}' was already freed by an earlier backward(); to run backward through the same graph twice, pass { retainGraph: true } to every backward call but the last`,
  );
}

/** The backward loop's contract with every VJP: each gradient has its input's shape and dtype. */
function checkGradient(node: Node, i: number, g: Tensor, input: Variable): void {
  if (shapesEqual(g.shape, input.shape) && g.dtype === input.dtype) return;
  const names = node.spec.inputs;
  const name = names[i] ?? `${names[names.length - 1] ?? "input"}[${i}]`;
  throw new TensorError(
    "backward",
    `'${node.spec.name}' returned a gradient of ${g.dtype} ${fmtShape(g.shape)} for input ${i} (${name}), expected ${input.dtype} ${fmtShape(input.shape)} (the input's own)`,
  );
}

/** leaf.grad += g, into a buffer the leaf owns (the first gradient is copied, never shared). */
function accumulateLeaf(leaf: Variable, g: Tensor): void {
  if (leaf.grad === null) {
    leaf.grad = g.clone();
    return;
  }
  const grad = leaf.grad;
  if (!grad.isCompact() || !shapesEqual(grad.shape, g.shape)) {
    leaf.grad = add(grad, g);
    return;
  }
  const target = grad.data;
  const source = g.contiguousData();
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
}
