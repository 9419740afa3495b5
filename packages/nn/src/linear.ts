/**
 * Linear: y = x @ weightᵀ + bias, as torch.nn.Linear.
 *
 *   x is (..., inFeatures)  ->  y is (..., outFeatures)
 *   weight is [outFeatures, inFeatures] (PyTorch's layout), bias is [outFeatures]
 *
 * Initialised as torch: weight and bias U(-1/√inFeatures, 1/√inFeatures).
 */

import * as A from "@duet/autograd";
import { fmtShape, TensorError, zeros } from "@duet/tensor";
import { defaultLinearInit } from "./init.js";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export interface LinearOptions extends LayerOptions {
  /** Whether the layer adds a learned bias (default true). */
  bias?: boolean;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = positiveInt("Linear", "inFeatures", inFeatures);
    this.outFeatures = positiveInt("Linear", "outFeatures", outFeatures);
    const dtype = floatDtype("Linear", options.dtype);
    const weight = this.registerParameter("weight", zeros([outFeatures, inFeatures], { dtype }));
    const bias = options.bias === false ? null : this.registerParameter("bias", zeros([outFeatures], { dtype }));
    defaultLinearInit(weight, bias, options);
  }

  get weight(): A.Variable {
    return this.param("weight");
  }
  get bias(): A.Variable | null {
    return this.hasParam("bias") ? this.param("bias") : null;
  }

  forward(x: A.Input): A.Variable {
    const last = x.shape[x.shape.length - 1];
    if (x.shape.length === 0 || last !== this.inFeatures) {
      throw new TensorError("Linear.forward", `x must end in inFeatures = ${this.inFeatures}, got shape ${fmtShape(x.shape)}`);
    }
    const y = A.matmul(x, A.transpose(this.weight));
    const bias = this.bias;
    return bias ? A.add(y, bias) : y;
  }
}
