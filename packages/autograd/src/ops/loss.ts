/**
 * crossEntropy: fused log-softmax and negative log-likelihood over class logits, as
 * torch.nn.functional.cross_entropy with int32 class targets.
 *
 *   logits is (N, C), targets is int32 (N) with values in [0, C)
 *   p = softmax(logits) per row;  q = (1 - ε) onehot(target) + ε / C   (label smoothing ε)
 *   loss_i = -Σ_c q_c ln p_c
 *   y = mean_i loss_i (default), Σ_i loss_i ("sum") or the (N) losses ("none")
 *
 * Backward, per row: dlogits_i = (p_i - q_i) * dloss_i, with dloss_i = dy / N for "mean".
 * Fusing the two steps avoids forming d(log p), and p - q is exact where the separate
 * VJPs would cancel.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asIndexTensor, asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

export interface CrossEntropyOptions {
  /** ε in [0, 1]: the target mixes (1 - ε) of the one-hot with ε of the uniform. Default 0. */
  labelSmoothing?: number;
  /** "mean" (default) over the N rows, "sum", or "none" for the per-row losses (N). */
  reduction?: "mean" | "sum" | "none";
}

const CROSS_ENTROPY = defineOp({
  name: "crossEntropy",
  inputs: ["logits"],
  forward: "loss_i = -Σ_c q_ic ln softmax(logits_i)_c,  q_i = (1 - ε) onehot(targets_i) + ε/C;  y = mean_i loss_i",
  backward: "dlogits_i = (softmax(logits_i) - q_i) * dy / N   (per-row dy for reduction 'none', no /N for 'sum')",
  saved: "log-softmax of the logits (its exponential is p) and the targets",
  notes: "Targets are int32 class indices; label smoothing as torch's label_smoothing.",
});
export function crossEntropy(logits: Input, targets: Input, options: CrossEntropyOptions = {}): Variable {
  const lv = asVariable("crossEntropy", "logits", logits);
  const t = asIndexTensor("crossEntropy", "targets", targets);
  const { labelSmoothing: eps = 0, reduction = "mean" } = options;
  const L = lv.value;
  if (L.ndim !== 2) throw new T.TensorError("crossEntropy", `logits must be 2-D (N, C), got shape ${T.fmtShape(L.shape)}`);
  if (!T.isFloat(L.dtype)) throw new T.TensorError("crossEntropy", `logits must be float32 or float64, got ${L.dtype}`);
  const [N, C] = L.shape as [number, number];
  if (t.ndim !== 1 || t.shape[0] !== N) {
    throw new T.TensorError("crossEntropy", `targets must be 1-D with one class per row of logits (${N}), got shape ${T.fmtShape(t.shape)}`);
  }
  if (!(eps >= 0 && eps <= 1)) throw new T.TensorError("crossEntropy", `labelSmoothing must be in [0, 1], got ${eps}`);
  if (!["mean", "sum", "none"].includes(reduction)) {
    throw new T.TensorError("crossEntropy", `reduction must be "mean", "sum" or "none", got ${String(reduction)}`);
  }
  const classes = t.contiguousData();
  for (let i = 0; i < N; i++) {
    const c = classes[i]!;
    if (c < 0 || c >= C) throw new T.TensorError("crossEntropy", `target ${c} at row ${i} is out of range for ${C} classes; valid: [0, ${C - 1}]`);
  }
  const logp = T.logSoftmax(L, 1).contiguousData();
  const losses = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let sumLogp = 0;
    for (let c = 0; c < C; c++) sumLogp += logp[i * C + c]!;
    losses[i] = -(1 - eps) * logp[i * C + classes[i]!]! - (eps / C) * sumLogp;
  }
  const y = reduceLosses(losses, reduction, L.dtype);

  return record(CROSS_ENTROPY, y, [lv], (dy) => {
    const g = dy.contiguousData();
    const dlogits = T.allocate(L.dtype, N * C);
    for (let i = 0; i < N; i++) {
      const scale = reduction === "none" ? g[i]! : reduction === "sum" ? g[0]! : g[0]! / N;
      for (let c = 0; c < C; c++) {
        const q = (c === classes[i] ? 1 - eps : 0) + eps / C;
        dlogits[i * C + c] = (Math.exp(logp[i * C + c]!) - q) * scale;
      }
    }
    return [new T.Tensor(dlogits, [N, C])];
  });
}

function reduceLosses(losses: Float64Array, reduction: "mean" | "sum" | "none", dtype: T.DType): T.Tensor {
  if (reduction === "none") return T.tensor(losses, [losses.length], { dtype });
  let total = 0;
  for (const l of losses) total += l;
  return T.scalar(reduction === "mean" ? total / losses.length : total, { dtype });
}
