/**
 * Module: a tree of layers that owns named parameters and buffers, as torch.nn.Module.
 *
 *   class Block extends Module {
 *     constructor() {
 *       super();
 *       this.registerModule("fc", new Linear(4, 4));            // child: its names get "fc."
 *       this.registerParameter("scale", ones([4]));              // parameter: trained
 *       this.registerBuffer("count", zeros([], { dtype: "int32" })); // buffer: saved, not trained
 *     }
 *   }
 *   new Block().namedParameters()  // [["scale", ...], ["fc.weight", ...], ["fc.bias", ...]]
 *
 * Names and their order are PyTorch's, so a state dict saved here loads in open_clip and back:
 * - `namedParameters()` lists a module's own parameters in registration order, then each
 *   child's (pre-order, as `named_parameters`), each shared Variable once;
 * - `stateDict()` lists, module by module, its parameters then its persistent buffers, then
 *   recurses into the children (as `state_dict`).
 *
 * Parameters are Variables that own compact storage. Optimizers and `loadStateDict` write
 * into that storage in place (as torch's `param.add_` / `param.copy_`), so every reference
 * to a parameter — a layer's getter, an optimizer's group — stays valid. Buffers are plain
 * Tensors (values); a layer replaces a buffer rather than writing into it.
 */

import { Variable } from "@duet/autograd";
import { TensorError, type Tensor } from "@duet/tensor";
import { loadStateDictInto, type LoadStateDictOptions, type LoadStateDictResult, type LoadTarget, type StateDictInput } from "./state-dict.js";
import { ownedCopy } from "./tensor-utils.js";

interface BufferSlot {
  tensor: Tensor;
  /** Persistent buffers are part of the state dict; others (e.g. a cached mask) are not. */
  persistent: boolean;
}

export abstract class Module {
  /** Training mode (true) or evaluation mode (false); Dropout and BatchNorm2d read it. */
  training = true;
  private readonly ownParameters = new Map<string, Variable>();
  private readonly ownBuffers = new Map<string, BufferSlot>();
  private readonly ownChildren = new Map<string, Module>();

  /** The class name, used in error messages (`Linear.forward: ...`). */
  get typeName(): string {
    return this.constructor.name;
  }

  // ---- registration --------------------------------------------------------

  /**
   * Adds a parameter. A Tensor is copied into a new leaf Variable that requires a gradient
   * (the module owns its storage). A leaf Variable is kept as it is — so two modules can
   * share one (tied weights) — and its `requiresGrad` decides whether it trains; if its
   * storage is not compact (row-major, offset 0, no gaps) it is copied, since updates write
   * in place.
   */
  registerParameter(name: string, value: Tensor | Variable): Variable {
    this.checkNewName("registerParameter", name);
    let param: Variable;
    if (value instanceof Variable) {
      if (!value.isLeaf) {
        throw new TensorError(`${this.typeName}.registerParameter`, `parameter "${name}" must be a leaf Variable, got the output of '${value.op}'; detach() it first`);
      }
      param = value.value.isCompact() ? value : new Variable(ownedCopy(value.value), { requiresGrad: value.requiresGrad });
    } else {
      param = new Variable(ownedCopy(value), { requiresGrad: true });
    }
    this.ownParameters.set(name, param);
    return param;
  }

  /** Adds a buffer: state that is saved and loaded but not trained (e.g. BatchNorm's running mean). */
  registerBuffer(name: string, value: Tensor, options: { persistent?: boolean } = {}): void {
    this.checkNewName("registerBuffer", name);
    this.ownBuffers.set(name, { tensor: value, persistent: options.persistent ?? true });
  }

  /** Adds a child module; its parameters are named `name.<its names>`. */
  registerModule<M extends Module>(name: string, module: M): M {
    this.checkNewName("registerModule", name);
    if (!(module instanceof Module)) {
      throw new TensorError(`${this.typeName}.registerModule`, `child "${name}" must be a Module, got ${module === null ? "null" : typeof module}`);
    }
    this.ownChildren.set(name, module);
    return module;
  }

  private checkNewName(op: string, name: string): void {
    const where = `${this.typeName}.${op}`;
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new TensorError(where, `name must be a non-empty string without ".", got ${JSON.stringify(name)}`);
    }
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.ownChildren.has(name)) {
      throw new TensorError(where, `"${name}" is already registered on this ${this.typeName}`);
    }
  }

  // ---- access --------------------------------------------------------------

  /** This module's own parameter `name`. */
  param(name: string): Variable {
    const p = this.ownParameters.get(name);
    if (!p) throw new TensorError(`${this.typeName}.param`, `no parameter "${name}"; this module has [${[...this.ownParameters.keys()].join(", ")}]`);
    return p;
  }

  /** Whether this module has its own parameter `name` (e.g. an optional bias). */
  hasParam(name: string): boolean {
    return this.ownParameters.has(name);
  }

  /** This module's own buffer `name`. */
  buffer(name: string): Tensor {
    const b = this.ownBuffers.get(name);
    if (!b) throw new TensorError(`${this.typeName}.buffer`, `no buffer "${name}"; this module has [${[...this.ownBuffers.keys()].join(", ")}]`);
    return b.tensor;
  }

  /** Replaces the value of buffer `name` (same shape; the dtype may change only via `to`). */
  setBuffer(name: string, value: Tensor): void {
    const b = this.ownBuffers.get(name);
    if (!b) throw new TensorError(`${this.typeName}.setBuffer`, `no buffer "${name}"; this module has [${[...this.ownBuffers.keys()].join(", ")}]`);
    b.tensor = value;
  }

  /** This module's direct child `name`. */
  child<M extends Module = Module>(name: string): M {
    const c = this.ownChildren.get(name);
    if (!c) throw new TensorError(`${this.typeName}.child`, `no child "${name}"; this module has [${[...this.ownChildren.keys()].join(", ")}]`);
    return c as M;
  }

  /** Whether this module has a direct child `name` (e.g. an optional LayerScale). */
  hasChild(name: string): boolean {
    return this.ownChildren.has(name);
  }

  namedChildren(): [string, Module][] {
    return [...this.ownChildren];
  }

  /** This module (name "") and every descendant, pre-order, with dotted paths; each module once. */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [path, m] = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([path, m]);
      const kids = [...m.ownChildren];
      for (let i = kids.length - 1; i >= 0; i--) {
        const [name, child] = kids[i]!;
        stack.push([path === "" ? name : `${path}.${name}`, child]);
      }
    }
    return out;
  }

  /** Every parameter with its dotted path, as torch's `named_parameters()` (each Variable once). */
  namedParameters(): [string, Variable][] {
    const out: [string, Variable][] = [];
    const seen = new Set<Variable>();
    for (const [path, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path === "" ? name : `${path}.${name}`, p]);
      }
    }
    return out;
  }

  parameters(): Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer (persistent or not) with its dotted path, as torch's `named_buffers()`. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      for (const [name, b] of m.ownBuffers) out.push([path === "" ? name : `${path}.${name}`, b.tensor]);
    }
    return out;
  }

  /** The number of parameter elements (each shared parameter counted once). */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  // ---- modes -----------------------------------------------------------------

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: Dropout becomes the identity, BatchNorm2d uses its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Forgets every parameter's gradient (as torch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * Converts every float parameter and float buffer to `dtype` (int buffers stay int32).
   * Parameters become new Variables: build optimizers after calling this.
   */
  to(dtype: "float32" | "float64"): this {
    for (const [, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters) {
        if (p.dtype !== dtype) m.ownParameters.set(name, new Variable(p.value.to(dtype), { requiresGrad: p.requiresGrad }));
      }
      for (const slot of m.ownBuffers.values()) {
        if (slot.tensor.dtype !== "int32" && slot.tensor.dtype !== dtype) slot.tensor = slot.tensor.to(dtype);
      }
    }
    return this;
  }

  // ---- state dict ------------------------------------------------------------

  /**
   * Parameters and persistent buffers by their PyTorch names, in torch's order. The
   * tensors are the live values (no copy, as torch's `state_dict()`): clone them if the
   * model will train on before they are written.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string): void => {
      for (const [name, p] of m.ownParameters) out.set(prefix + name, p.value);
      for (const [name, b] of m.ownBuffers) if (b.persistent) out.set(prefix + name, b.tensor);
      for (const [name, c] of m.ownChildren) visit(c, `${prefix}${name}.`);
    };
    visit(this, "");
    return out;
  }

  /**
   * Loads a state dict (a Map or a plain object of Tensors) into this module: parameter
   * values are copied into the existing storage, buffers replaced by copies. Everything
   * is checked before anything is written, so a failed load changes nothing.
   * See ./state-dict.ts for the rules (strict mode, shape and dtype checks).
   */
  loadStateDict(stateDict: StateDictInput, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const targets = new Map<string, LoadTarget>();
    const visit = (m: Module, prefix: string): void => {
      for (const [name, p] of m.ownParameters) targets.set(prefix + name, { kind: "parameter", value: p });
      for (const [name, b] of m.ownBuffers) {
        if (b.persistent) targets.set(prefix + name, { kind: "buffer", module: m, name, value: b.tensor });
      }
      for (const [name, c] of m.ownChildren) visit(c, `${prefix}${name}.`);
    };
    visit(this, "");
    return loadStateDictInto(`${this.typeName}.loadStateDict`, targets, stateDict, options);
  }
}
