/**
 * SGD with momentum, dampening, Nesterov and (L2) weight decay, as torch.optim.SGD.
 *
 * For each parameter p with gradient g:
 *   g = g + weightDecay * p                          (coupled: added to the gradient)
 *   with momentum μ > 0:
 *     b = g on the first step, else b = μ * b + (1 - dampening) * g     (momentum_buffer)
 *     g = g + μ * b with nesterov, else g = b
 *   p = p - lr * g
 * Nesterov needs μ > 0 and dampening 0 (torch's rule). Defaults: lr 1e-3, the rest 0.
 */

import type { Variable } from "@duet/autograd";
import { TensorError } from "@duet/tensor";
import { storageOf } from "../tensor-utils.js";
import { Optimizer, rounder, type BaseHyper, type ParamGroupInput } from "./optimizer.js";

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SGDHyper> {
  readonly kind = "SGD";

  constructor(params: readonly Variable[] | readonly ParamGroupInput<SGDHyper>[], defaults: Partial<SGDHyper> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...defaults });
  }

  protected validate(h: SGDHyper, where: string): void {
    const bad = (what: string) => {
      throw new TensorError("SGD", `${where}: ${what}`);
    };
    if (!(h.lr >= 0)) bad(`lr must be >= 0, got ${h.lr}`);
    if (!(h.momentum >= 0)) bad(`momentum must be >= 0, got ${h.momentum}`);
    if (!(h.weightDecay >= 0)) bad(`weightDecay must be >= 0, got ${h.weightDecay}`);
    if (!Number.isFinite(h.dampening)) bad(`dampening must be a number, got ${h.dampening}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) bad(`nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum}, dampening ${h.dampening}`);
  }

  protected slotNames(): readonly string[] {
    return ["momentum_buffer"];
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, momentum, dampening, weightDecay, nesterov } = group;
      for (const p of group.params) {
        if (p.grad === null) continue;
        const r = rounder(p.dtype);
        const param = storageOf("SGD.step", p);
        const grad = p.grad.contiguousData();
        this.stepCounts.set(p, (this.stepCounts.get(p) ?? 0) + 1);
        let slots = this.slots.get(p);
        const first = momentum !== 0 && !slots?.has("momentum_buffer");
        if (momentum !== 0 && !slots) this.slots.set(p, (slots = new Map()));
        if (first) slots!.set("momentum_buffer", p.grad.clone()); // overwritten below with g (after decay)
        const buf = momentum !== 0 ? slots!.get("momentum_buffer")!.data : null;
        const wd = r(weightDecay);
        const mu = r(momentum);
        const keep = r(1 - dampening);
        const negLr = r(-lr);
        for (let i = 0; i < param.length; i++) {
          let g = grad[i]!;
          if (weightDecay !== 0) g = r(g + r(wd * param[i]!));
          if (buf) {
            buf[i] = first ? g : r(r(buf[i]! * mu) + r(keep * g));
            g = nesterov ? r(g + r(mu * buf[i]!)) : buf[i]!;
          }
          param[i] = r(param[i]! + r(negLr * g));
        }
      }
    }
  }
}
