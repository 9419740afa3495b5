/**
 * AdamW (Loshchilov & Hutter), exactly as torch.optim.AdamW's single-tensor path.
 *
 * For each parameter p with gradient g, at step t (counted per parameter, from 1):
 *   p  = p * (1 - lr * weightDecay)                  decoupled weight decay, before the moments
 *   m  = m + (1 - β1) * (g - m)                      exp_avg (torch's lerp)
 *   v  = v * β2 + (1 - β2) * g * g                   exp_avg_sq
 *   v̂  = max(v̂, v) with amsgrad, else v               max_exp_avg_sq
 *   denom = √v̂ / √(1 - β2^t) + eps                   eps added after the bias-corrected sqrt
 *   p  = p - (lr / (1 - β1^t)) * m / denom
 * In float32 each intermediate is rounded to float32 as torch's kernels round it, so the two
 * agree to a few ulps; in float64 they agree to rounding.
 *
 * Defaults are torch's: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2, amsgrad false.
 * open_clip trains with two groups: weight decay 0 for gains and biases, wd for the rest
 * (see paramGroupsNoDecayForNdimLe1).
 */

import type { Variable } from "@duet/autograd";
import { TensorError, type Tensor } from "@duet/tensor";
import { storageOf, zerosLikeCompact } from "../tensor-utils.js";
import { Optimizer, rounder, type BaseHyper, type ParamGroupInput } from "./optimizer.js";

export interface AdamWHyper extends BaseHyper {
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
}

export class AdamW extends Optimizer<AdamWHyper> {
  readonly kind = "AdamW";

  constructor(params: readonly Variable[] | readonly ParamGroupInput<AdamWHyper>[], defaults: Partial<AdamWHyper> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, ...defaults });
  }

  protected validate(h: AdamWHyper, where: string): void {
    const bad = (what: string) => {
      throw new TensorError("AdamW", `${where}: ${what}`);
    };
    if (!(h.lr >= 0)) bad(`lr must be >= 0, got ${h.lr}`);
    if (!(h.eps >= 0)) bad(`eps must be >= 0, got ${h.eps}`);
    if (!(h.weightDecay >= 0)) bad(`weightDecay must be >= 0, got ${h.weightDecay}`);
    if (!Array.isArray(h.betas) || h.betas.length !== 2 || !h.betas.every((b) => b >= 0 && b < 1)) bad(`betas must be two numbers in [0, 1), got ${JSON.stringify(h.betas)}`);
    if (typeof h.amsgrad !== "boolean") bad(`amsgrad must be a boolean, got ${String(h.amsgrad)}`);
  }

  protected slotNames(): readonly string[] {
    return ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
  }

  private slot(p: Variable, name: string): Tensor {
    let slots = this.slots.get(p);
    if (!slots) this.slots.set(p, (slots = new Map()));
    let t = slots.get(name);
    if (!t) slots.set(name, (t = zerosLikeCompact(p)));
    return t;
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, eps, weightDecay, amsgrad } = group;
      const [beta1, beta2] = group.betas;
      for (const p of group.params) {
        if (p.grad === null) continue;
        const r = rounder(p.dtype);
        const param = storageOf("AdamW.step", p);
        const grad = p.grad.contiguousData();
        const m = this.slot(p, "exp_avg").data;
        const v = this.slot(p, "exp_avg_sq").data;
        const vMax = amsgrad ? this.slot(p, "max_exp_avg_sq").data : null;
        const t = (this.stepCounts.get(p) ?? 0) + 1;
        this.stepCounts.set(p, t);
        // scalars, as torch computes them in Python floats and casts to the param's dtype
        const decay = r(1 - lr * weightDecay);
        const w1 = r(1 - beta1);
        const b2 = r(beta2);
        const oneMinusB2 = r(1 - beta2);
        const biasCorrection1 = 1 - beta1 ** t;
        const biasCorrection2Sqrt = r((1 - beta2 ** t) ** 0.5);
        const negStepSize = r(-(lr / biasCorrection1));
        const epsR = r(eps);
        for (let i = 0; i < param.length; i++) {
          const g = grad[i]!;
          if (weightDecay !== 0) param[i] = r(param[i]! * decay);
          // lerp(m, g, w1): torch uses m + w*(g - m) for w < 0.5, else g - (g - m)*(1 - w)
          m[i] = w1 < 0.5 ? r(m[i]! + r(w1 * r(g - m[i]!))) : r(g - r(r(g - m[i]!) * r(1 - w1)));
          v[i] = r(r(v[i]! * b2) + r(r(oneMinusB2 * g) * g));
          let second = v[i]!;
          if (vMax) second = vMax[i] = Math.max(vMax[i]!, second);
          const denom = r(r(r(Math.sqrt(second)) / biasCorrection2Sqrt) + epsR);
          param[i] = r(param[i]! + r(r(negStepSize * m[i]!) / denom));
        }
      }
    }
  }
}
