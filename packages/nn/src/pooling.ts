/**
 * Pooling layers over NCHW images, as torch.nn.AvgPool2d / MaxPool2d / AdaptiveAvgPool2d.
 *
 *   x is (N, C, H, W)  ->  (N, C, OH, OW),  OH = floor((H + 2*pad - k) / stride) + 1
 *   AvgPool2d: window mean, padding counted as zeros (count_include_pad = true, torch's default)
 *   MaxPool2d: window max; dx routes each dy to the input that won
 *   AdaptiveAvgPool2d: fixed output size; window p spans floor(p*H/OH) .. ceil((p+1)*H/OH) - 1
 * stride defaults to the kernel size, as torch. No parameters.
 */

import * as A from "@duet/autograd";
import { toPair, type Size2 } from "@duet/tensor";
import { Module } from "./module.js";

export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, options: { stride?: Size2; padding?: Size2 } = {}) {
    super();
    this.kernelSize = toPair("AvgPool2d", "kernelSize", kernelSize, 1);
    this.stride = toPair("AvgPool2d", "stride", options.stride ?? kernelSize, 1);
    this.padding = toPair("AvgPool2d", "padding", options.padding ?? 0, 0);
  }

  forward(x: A.Input): A.Variable {
    return A.avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}

export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Size2, options: { stride?: Size2; padding?: Size2 } = {}) {
    super();
    this.kernelSize = toPair("MaxPool2d", "kernelSize", kernelSize, 1);
    this.stride = toPair("MaxPool2d", "stride", options.stride ?? kernelSize, 1);
    this.padding = toPair("MaxPool2d", "padding", options.padding ?? 0, 0);
  }

  forward(x: A.Input): A.Variable {
    return A.maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Size2) {
    super();
    this.outputSize = toPair("AdaptiveAvgPool2d", "outputSize", outputSize, 1);
  }

  forward(x: A.Input): A.Variable {
    return A.adaptiveAvgPool2d(x, this.outputSize);
  }
}
