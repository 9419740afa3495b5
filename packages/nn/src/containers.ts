/**
 * Containers, as torch.nn.Sequential / ModuleList / Identity. Children of a Sequential or
 * ModuleList are named "0", "1", ..., so their parameters are `resblocks.0.attn...`.
 */

import type * as A from "@duet/autograd";
import { Variable } from "@duet/autograd";
import { TensorError } from "@duet/tensor";
import { Module } from "./module.js";

/** A module that maps one input to one output (what Sequential chains). */
export interface UnaryModule extends Module {
  forward(x: A.Input): A.Variable;
}

export class Identity extends Module {
  forward(x: A.Input): A.Variable {
    return x instanceof Variable ? x : new Variable(x);
  }
}

/** An indexable list of modules; it has no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(module: M): this {
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const i = index < 0 ? index + this.items.length : index;
    const m = this.items[i];
    if (!Number.isInteger(index) || m === undefined) {
      throw new TensorError("ModuleList.at", `index ${index} is out of range for a list of ${this.items.length} modules`);
    }
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Applies its children in order: y = m_{n-1}(... m_1(m_0(x))). */
export class Sequential extends ModuleList<UnaryModule> {
  forward(x: A.Input): A.Variable {
    let y: A.Input = x;
    for (const m of this) y = m.forward(y);
    return y instanceof Variable ? y : new Variable(y);
  }
}
