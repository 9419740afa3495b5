/**
 * Conv2d: 2-D cross-correlation over NCHW images, as torch.nn.Conv2d (groups = 1, dilation = 1).
 *
 *   x is (N, inChannels, H, W)  ->  y is (N, outChannels, OH, OW)
 *   OH = floor((H + 2*padH - kh) / strideH) + 1, OW likewise
 *   weight is [outChannels, inChannels, kh, kw] (PyTorch's layout), bias is [outChannels]
 *
 * Initialised as torch: weight and bias U(-1/√fanIn, 1/√fanIn), fanIn = inChannels*kh*kw.
 * CLIP's ViT patch embedding (`visual.conv1`) is a Conv2d with stride = kernel and no bias.
 */

import * as A from "@duet/autograd";
import { fmtShape, TensorError, toPair, zeros, type Size2 } from "@duet/tensor";
import { defaultLinearInit } from "./init.js";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export interface Conv2dLayerOptions extends LayerOptions {
  stride?: Size2;
  padding?: Size2;
  /** Whether the layer adds a learned bias (default true). */
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2dLayerOptions = {}) {
    super();
    this.inChannels = positiveInt("Conv2d", "inChannels", inChannels);
    this.outChannels = positiveInt("Conv2d", "outChannels", outChannels);
    this.kernelSize = toPair("Conv2d", "kernelSize", kernelSize, 1);
    this.stride = toPair("Conv2d", "stride", options.stride ?? 1, 1);
    this.padding = toPair("Conv2d", "padding", options.padding ?? 0, 0);
    const dtype = floatDtype("Conv2d", options.dtype);
    const weight = this.registerParameter("weight", zeros([outChannels, inChannels, ...this.kernelSize], { dtype }));
    const bias = options.bias === false ? null : this.registerParameter("bias", zeros([outChannels], { dtype }));
    defaultLinearInit(weight, bias, options);
  }

  get weight(): A.Variable {
    return this.param("weight");
  }
  get bias(): A.Variable | null {
    return this.hasParam("bias") ? this.param("bias") : null;
  }

  forward(x: A.Input): A.Variable {
    if (x.shape.length !== 4 || x.shape[1] !== this.inChannels) {
      throw new TensorError("Conv2d.forward", `x must be (N, ${this.inChannels}, H, W), got shape ${fmtShape(x.shape)}`);
    }
    return A.conv2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, padding: this.padding });
  }
}
