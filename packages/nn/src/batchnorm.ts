/**
 * BatchNorm2d: per-channel normalisation over (N, H, W), as torch.nn.BatchNorm2d.
 *
 *   x is (N, C, H, W)  ->  y has x's shape;  weight, bias, runningMean, runningVar are [C]
 *   training (or trackRunningStats false): batch statistics over the n = N*H*W values of
 *     each channel, y = (x - mean) / √(var + eps) * weight + bias   (biased var);
 *     gradients flow through mean and var (the composition of differentiable ops does it)
 *   evaluation: y = (x - runningMean) / √(runningVar + eps) * weight + bias
 *
 * Running statistics (buffers, updated in training when tracked, as torch):
 *   numBatchesTracked += 1
 *   f = momentum (0.1), or 1 / numBatchesTracked when momentum is null (a cumulative average)
 *   runningMean = (1 - f) * runningMean + f * mean
 *   runningVar  = (1 - f) * runningVar  + f * var * n / (n - 1)   (unbiased, as torch)
 * State-dict names are torch's: weight, bias, running_mean, running_var, num_batches_tracked
 * (an int32 scalar here; int64 in torch).
 */

import * as A from "@duet/autograd";
import { add, fmtShape, mul, ones, scalar, TensorError, zeros, type Tensor } from "@duet/tensor";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export interface BatchNorm2dOptions extends LayerOptions {
  eps?: number;
  /** Weight of the newest batch in the running statistics (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel gain and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them every mode uses batch statistics. */
  trackRunningStats?: boolean;
}

export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    this.numFeatures = positiveInt("BatchNorm2d", "numFeatures", numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new TensorError("BatchNorm2d", `momentum must be in [0, 1] or null, got ${options.momentum}`);
    }
    this.trackRunningStats = options.trackRunningStats ?? true;
    const dtype = floatDtype("BatchNorm2d", options.dtype);
    if (options.affine !== false) {
      this.registerParameter("weight", ones([numFeatures], { dtype }));
      this.registerParameter("bias", zeros([numFeatures], { dtype }));
    }
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures], { dtype }));
      this.registerBuffer("running_var", ones([numFeatures], { dtype }));
      this.registerBuffer("num_batches_tracked", scalar(0, { dtype: "int32" }));
    }
  }

  get weight(): A.Variable | null {
    return this.hasParam("weight") ? this.param("weight") : null;
  }
  get bias(): A.Variable | null {
    return this.hasParam("bias") ? this.param("bias") : null;
  }

  forward(x: A.Input): A.Variable {
    const C = this.numFeatures;
    if (x.shape.length !== 4 || x.shape[1] !== C) {
      throw new TensorError("BatchNorm2d.forward", `x must be (N, ${C}, H, W), got shape ${fmtShape(x.shape)}`);
    }
    const perChannel = [1, C, 1, 1];
    let normalized: A.Variable;
    if (this.training || !this.trackRunningStats) {
      const n = x.shape[0]! * x.shape[2]! * x.shape[3]!;
      if (this.training && n <= 1) {
        throw new TensorError("BatchNorm2d.forward", `training needs more than 1 value per channel, got x of shape ${fmtShape(x.shape)}`);
      }
      const mean = A.mean(x, [0, 2, 3], true);
      const variance = A.variance(x, [0, 2, 3], true, 0);
      normalized = A.mul(A.sub(x, mean), A.rsqrt(A.add(variance, this.eps)));
      if (this.training && this.trackRunningStats) this.updateRunningStats(mean.value.reshape([C]), variance.value.reshape([C]), n);
    } else {
      const dtype = x.dtype;
      const mean = this.buffer("running_mean").to(dtype).reshape(perChannel);
      const variance = this.buffer("running_var").to(dtype).reshape(perChannel);
      normalized = A.mul(A.sub(x, mean), A.rsqrt(A.add(variance, this.eps)));
    }
    const weight = this.weight;
    const bias = this.bias;
    if (weight) normalized = A.mul(normalized, A.reshape(weight, perChannel));
    if (bias) normalized = A.add(normalized, A.reshape(bias, perChannel));
    return normalized;
  }

  private updateRunningStats(batchMean: Tensor, batchVar: Tensor, n: number): void {
    const tracked = this.buffer("num_batches_tracked").item() + 1;
    this.setBuffer("num_batches_tracked", scalar(tracked, { dtype: "int32" }));
    const f = this.momentum ?? 1 / tracked;
    const dtype = this.buffer("running_mean").dtype;
    const unbiased = mul(batchVar, n / (n - 1));
    const blend = (running: Tensor, batch: Tensor): Tensor => add(mul(running, 1 - f), mul(batch.to(dtype), f)).to(dtype);
    this.setBuffer("running_mean", blend(this.buffer("running_mean"), batchMean));
    this.setBuffer("running_var", blend(this.buffer("running_var"), unbiased));
  }
}
