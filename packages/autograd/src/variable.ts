/**
 * Variable: a Tensor that autograd tracks.
 *
 *   const w = new Variable(randn([3, 2], { dtype: "float64" }), { requiresGrad: true });
 *   const loss = sum(square(matmul(x, w)));
 *   loss.backward();      // w.grad now holds d loss / d w, shape [3,2]
 *
 * A leaf is a Variable the user made (parameters, inputs); every other Variable is the
 * output of an op and remembers it (`node`) while some input requires a gradient.
 * `backward()` fills `.grad` of the leaves that require one, adding (+=) to what is
 * there, so a leaf used many times, or over several backward calls, sums its gradients.
 * There is nothing to dispose: the graph and everything it saved are released by
 * backward (unless `retainGraph`) or, untouched, by the garbage collector.
 */

import { TensorError, fmtShape, isFloat, shapesEqual, Tensor, type DType } from "@duet/tensor";
import { runBackward } from "./backward.js";
import type { Node } from "./graph.js";

export interface VariableOptions {
  /** Whether backward should compute this leaf's gradient (float dtypes only). Default false. */
  requiresGrad?: boolean;
}

export interface BackwardOptions {
  /** Keep the graph and its saved tensors, so backward can run through it again. Default false. */
  retainGraph?: boolean;
}

export class Variable {
  /** The value. Never written by autograd. */
  readonly value: Tensor;
  /**
   * d(output of backward) / d(this), the same shape and dtype as `value`, or null before
   * the first backward. A fresh row-major tensor owned by this Variable: optimizers may
   * update it in place. Only leaves that require a gradient get one.
   */
  grad: Tensor | null = null;
  /** The op application that made this value, for outputs that require a gradient; null for leaves. */
  readonly node: Node | null;
  private leafRequiresGrad: boolean;

  constructor(value: Tensor, options: VariableOptions = {}) {
    if (!(value instanceof Tensor)) {
      throw new TensorError("Variable", `value must be a Tensor, got ${value === null ? "null" : typeof value}`);
    }
    this.value = value;
    this.node = null;
    this.leafRequiresGrad = false;
    this.requiresGrad = options.requiresGrad ?? false;
  }

  /** @internal An op's output; only `record` calls this. */
  static fromNode(value: Tensor, node: Node): Variable {
    const v = new Variable(value);
    (v as { node: Node | null }).node = node;
    return v;
  }

  /** Whether gradients flow to (leaf) or through (op output) this Variable. */
  get requiresGrad(): boolean {
    return this.node !== null || this.leafRequiresGrad;
  }

  /** Leaves only: turn gradient tracking on or off (e.g. to freeze a parameter). */
  set requiresGrad(flag: boolean) {
    if (this.node !== null) {
      throw new TensorError("requiresGrad", `can only be set on a leaf, but this Variable is the output of '${this.node.spec.name}'; use detach() for a constant copy`);
    }
    if (flag && !isFloat(this.value.dtype)) {
      throw new TensorError("requiresGrad", `only float32 and float64 Variables can require a gradient, got ${this.value.dtype} of shape ${fmtShape(this.value.shape)}`);
    }
    this.leafRequiresGrad = flag;
  }

  /** True for Variables the user made (no op recorded them). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The name of the op that made this value, or null for a leaf or a constant. */
  get op(): string | null {
    return this.node?.spec.name ?? null;
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }
  get dtype(): DType {
    return this.value.dtype;
  }
  get ndim(): number {
    return this.value.ndim;
  }
  get size(): number {
    return this.value.size;
  }

  /** The value of a one-element Variable, as a number. */
  item(): number {
    return this.value.item();
  }

  /**
   * Reverse-mode differentiation from this Variable. Without `gradOutput` this must hold
   * one element (a loss) and the seed is 1; otherwise `gradOutput` is d(something)/d(this)
   * and must have this Variable's shape and dtype. Gradients are added to the `.grad`
   * of every leaf that requires one. The graph is released afterwards unless
   * `{ retainGraph: true }`; running backward through a released graph is an error.
   */
  backward(gradOutput?: Tensor, options: BackwardOptions = {}): void {
    runBackward(this, gradOutput, options.retainGraph ?? false);
  }

  /** The same value as a constant: no graph, no gradient. Shares storage (values are immutable). */
  detach(): Variable {
    return new Variable(this.value);
  }

  /**
   * Leaves only: puts `value` in place of this Variable's value, under the same object. It is
   * for moving a parameter's storage (onto shared memory for data parallelism, as torch's
   * `module.share_memory()`) while modules, optimizers and their state, which hold the
   * Variable itself, keep holding it. The new value must have the same shape and dtype, so
   * `grad` and an optimizer's slots stay valid; optimizers write parameters in place, so give
   * them compact storage (a fresh `new Tensor(data, shape)`).
   *
   * Refused for an op's output: later ops and its node were recorded from the value it has.
   * A graph already recorded from this leaf keeps the tensors it saved, so its backward is the
   * gradient at the old values, added to `grad` as usual.
   */
  replaceStorage(value: Tensor): void {
    if (this.node !== null) {
      throw new TensorError("replaceStorage", `only a leaf's storage can be replaced, but this Variable is the output of '${this.node.spec.name}' in a recorded graph`);
    }
    if (!(value instanceof Tensor)) {
      throw new TensorError("replaceStorage", `value must be a Tensor, got ${value === null ? "null" : typeof value}`);
    }
    if (value.dtype !== this.dtype || !shapesEqual(value.shape, this.shape)) {
      throw new TensorError("replaceStorage", `value must be ${this.dtype} ${fmtShape(this.shape)} like the storage it replaces, got ${value.dtype} ${fmtShape(value.shape)}`);
    }
    (this as { value: Tensor }).value = value;
  }

  /** Forgets the accumulated gradient (sets `grad` to null; the next backward starts from zero). */
  zeroGrad(): void {
    this.grad = null;
  }

  toString(): string {
    const how = this.node ? `op=${this.node.spec.name}` : this.requiresGrad ? "leaf, requiresGrad" : "constant";
    return `Variable(${this.dtype}, ${fmtShape(this.shape)}, ${how}) ${JSON.stringify(this.value.toArray())}`;
  }
}
