/**
 * open_clip's weight-decay split (open_clip_train/main.py, 3.3.0):
 *
 *   exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or 'logit_scale' in n
 *   optimizer = AdamW([{"params": gain_or_bias_params, "weight_decay": 0.},
 *                      {"params": rest_params, "weight_decay": args.wd}], ...)
 *
 * So a parameter gets no weight decay when it has fewer than 2 dims (biases, LayerNorm and
 * BatchNorm gains, a 0-d logit_scale, the 1-D visual.class_embedding), or when its name
 * contains one of the substrings "bn", "ln", "bias" or "logit_scale" — plain substrings,
 * as open_clip tests them. The 2-D positional embeddings, text_projection, visual.proj and
 * every weight matrix are decayed. Parameters that do not require a gradient are left out
 * of both groups, as open_clip does. The groups keep the names, so optimizer state is
 * saved by name.
 */

import type { Variable } from "@duet/autograd";
import type { ParamGroupInput } from "./optimizer.js";

/** open_clip's rule: true when parameter `name` (with `ndim` dims) gets no weight decay. */
export function excludedFromWeightDecay(name: string, ndim: number): boolean {
  return ndim < 2 || name.includes("bn") || name.includes("ln") || name.includes("bias") || name.includes("logit_scale");
}

/**
 * Two parameter groups, as open_clip builds them: [0] gains, biases and logit_scale with
 * weightDecay 0; [1] everything else with `weightDecay`. Other hyperparameters (lr, ...)
 * come from the optimizer's defaults unless given in `extra`.
 */
export function paramGroupsNoDecayForNdimLe1<H extends { weightDecay: number }>(
  namedParams: Iterable<readonly [string, Variable]>,
  weightDecay: number,
  extra: Partial<Omit<H, "weightDecay">> = {},
): [ParamGroupInput<H>, ParamGroupInput<H>] {
  const noDecay: [string, Variable][] = [];
  const decay: [string, Variable][] = [];
  for (const [name, p] of namedParams) {
    if (!p.requiresGrad) continue;
    (excludedFromWeightDecay(name, p.ndim) ? noDecay : decay).push([name, p]);
  }
  const group = (list: [string, Variable][], wd: number) =>
    ({ ...extra, params: list.map(([, p]) => p), names: list.map(([n]) => n), weightDecay: wd }) as unknown as ParamGroupInput<H>;
  return [group(noDecay, 0), group(decay, weightDecay)];
}
