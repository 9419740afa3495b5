/**
 * LayerNorm over the trailing dims, as torch.nn.LayerNorm (eps 1e-5).
 *
 *   x is (..., ...normalizedShape)  ->  y has x's shape
 *   y = (x - mean) / √(var + eps) * weight + bias   (mean and biased var over normalizedShape)
 *   weight (ones) and bias (zeros) have shape normalizedShape
 *
 * open_clip's LayerNorm subclass only casts back to the input dtype, which is a no-op
 * here: Duet computes in the input's dtype.
 */

import * as A from "@duet/autograd";
import { fmtShape, ones, shapesEqual, TensorError, zeros } from "@duet/tensor";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export interface LayerNormOptions extends LayerOptions {
  /** Added to the variance before the square root (default 1e-5, as torch). */
  eps?: number;
  /** Learn a per-element gain and bias (default true). */
  elementwiseAffine?: boolean;
  /** With an affine transform, whether it has a bias (default true). */
  bias?: boolean;
}

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0) throw new TensorError("LayerNorm", `normalizedShape must have at least one dim, got []`);
    shape.forEach((d, i) => positiveInt("LayerNorm", `normalizedShape[${i}]`, d));
    this.normalizedShape = shape;
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new TensorError("LayerNorm", `eps must be a non-negative number, got ${options.eps}`);
    const dtype = floatDtype("LayerNorm", options.dtype);
    if (options.elementwiseAffine !== false) {
      this.registerParameter("weight", ones(shape, { dtype }));
      if (options.bias !== false) this.registerParameter("bias", zeros(shape, { dtype }));
    }
  }

  get weight(): A.Variable | null {
    return this.hasParam("weight") ? this.param("weight") : null;
  }
  get bias(): A.Variable | null {
    return this.hasParam("bias") ? this.param("bias") : null;
  }

  forward(x: A.Input): A.Variable {
    const k = this.normalizedShape.length;
    if (x.shape.length < k || !shapesEqual(x.shape.slice(x.shape.length - k), this.normalizedShape)) {
      throw new TensorError("LayerNorm.forward", `x must end in normalizedShape ${fmtShape(this.normalizedShape)}, got shape ${fmtShape(x.shape)}`);
    }
    return A.layerNorm(x, this.normalizedShape, this.weight ?? undefined, this.bias ?? undefined, this.eps);
  }
}
