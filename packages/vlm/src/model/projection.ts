/**
 * Projection heads: from a tower's width into the shared embedding space.
 *
 *   "matrix"  y = x @ P             P [in, out]: open_clip's `visual.proj` and `text_projection`
 *                                   (a bare parameter used on the right, NOT a Linear's [out, in])
 *   "linear"  y = x @ Wᵀ + b        a Linear, weight [out, in]: open_clip's text tower with proj_bias
 *   "mlp"     y = W₂ gelu(W₁ x)     W₁ [hidden, in], W₂ [out, hidden], no biases: open_clip's
 *                                   'mlp' head of its Hugging Face text towers (children 0 and 2
 *                                   of an nn.Sequential), Duet-only for CLIP configs
 *   "none"    y = x                 (in must equal out)
 *
 *   x is (B, in)  ->  y is (B, out)
 *
 * A head registers itself on its owner under `name`, so the state dict reads `visual.proj`,
 * `text_projection`, `text_projection.weight` or `visual.proj.0.weight` as open_clip would.
 */

import * as A from "@duet/autograd";
import { GELU, init, Linear, Module, type LayerOptions } from "@duet/nn";
import { fmtShape, TensorError, zeros } from "@duet/tensor";

export type ProjectionKind = "matrix" | "linear" | "mlp" | "none";

/** Layer options, and whether to run open_clip's initialisation (skip it when weights will be loaded). */
export interface BuildOptions extends LayerOptions {
  /** false: leave the draws of open_clip's init_parameters out (the weights come from a file). Default true. */
  initialize?: boolean;
}

export interface ProjectionOptions extends BuildOptions {
  /** Hidden width of the "mlp" head (default: the input width). */
  hidden?: number;
}

/** The MLP head: Sequential-like children "0" (Linear), "1" (GELU), "2" (Linear). */
export class MlpProjection extends Module {
  constructor(inDim: number, outDim: number, hidden: number, options: LayerOptions = {}) {
    super();
    this.registerModule("0", new Linear(inDim, hidden, { ...options, bias: false }));
    this.registerModule("1", new GELU());
    this.registerModule("2", new Linear(hidden, outDim, { ...options, bias: false }));
  }

  forward(x: A.Input): A.Variable {
    return this.child<Linear>("2").forward(this.child<GELU>("1").forward(this.child<Linear>("0").forward(x)));
  }
}

/** A registered head: call `apply(x)` in the owner's forward. */
export interface Projection {
  readonly kind: ProjectionKind;
  readonly inDim: number;
  readonly outDim: number;
  apply(x: A.Input): A.Variable;
}

/**
 * Registers a head of `kind` on `owner` under `name` and returns it. Initial values, as
 * open_clip: "matrix" and the Linear's weight ~ N(0, in^-1) (std in^-0.5), the Linear's bias
 * zero; the MLP keeps torch's Linear default.
 */
export function addProjection(owner: Module, name: string, kind: ProjectionKind, inDim: number, outDim: number, options: ProjectionOptions = {}): Projection {
  const where = `${owner.typeName}.${name}`;
  const check = (x: A.Input) => {
    if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inDim) {
      throw new TensorError(where, `input must end in the tower width ${inDim}, got shape ${fmtShape(x.shape)}`);
    }
  };
  const dtype = options.dtype ?? "float32";
  switch (kind) {
    case "matrix": {
      const p = owner.registerParameter(name, zeros([inDim, outDim], { dtype }));
      if (options.initialize !== false) init.normal(p, 0, inDim ** -0.5, options);
      return { kind, inDim, outDim, apply: (x) => (check(x), A.matmul(x, owner.param(name))) };
    }
    case "linear": {
      const linear = owner.registerModule(name, new Linear(inDim, outDim, options));
      if (options.initialize !== false) {
        init.normal(linear.weight, 0, inDim ** -0.5, options);
        if (linear.bias) init.zeros(linear.bias);
      }
      return { kind, inDim, outDim, apply: (x) => (check(x), linear.forward(x)) };
    }
    case "mlp": {
      const mlp = owner.registerModule(name, new MlpProjection(inDim, outDim, options.hidden ?? inDim, options));
      return { kind, inDim, outDim, apply: (x) => (check(x), mlp.forward(x)) };
    }
    case "none":
      if (inDim !== outDim) throw new TensorError(where, `a "none" projection needs in = out, got ${inDim} -> ${outDim}`);
      return { kind, inDim, outDim, apply: (x) => (check(x), x instanceof A.Variable ? x : new A.Variable(x)) };
    default:
      throw new TensorError(where, `projection kind must be "matrix", "linear", "mlp" or "none", got ${JSON.stringify(kind)}`);
  }
}
