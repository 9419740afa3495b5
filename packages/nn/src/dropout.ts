/**
 * Dropout, as torch.nn.Dropout (inverted dropout).
 *
 *   training:   y = x * mask / (1 - p),  mask[i] ~ Bernoulli(1 - p) drawn from a seeded Generator
 *   evaluation: y = x (the identity; nothing is drawn)
 *   dx = dy * mask / (1 - p): the mask is a constant of the graph, so `mul` gives this gradient
 *
 * p = 1 zeroes everything (as torch). The mask comes from the layer's Generator (the global
 * one unless one is passed), so a seeded run drops the same elements every time; the
 * stream is Duet's, not torch's.
 */

import * as A from "@duet/autograd";
import { allocate, defaultGenerator, isFloat, Tensor, TensorError, type Generator } from "@duet/tensor";
import { Module } from "./module.js";

function checkP(op: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new TensorError(op, `p must be a probability in [0, 1], got ${p}`);
  return p;
}

/** Functional dropout: `x` unchanged unless `training` and p > 0. */
export function dropout(x: A.Input, p: number, training: boolean, generator: Generator = defaultGenerator): A.Variable {
  checkP("dropout", p);
  const xv = x instanceof A.Variable ? x : new A.Variable(x);
  if (!training || p === 0) return xv;
  if (!isFloat(xv.dtype)) throw new TensorError("dropout", `x must be float32 or float64, got ${xv.dtype}`);
  const mask = allocate(xv.dtype, xv.size);
  const keepScale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = generator.nextDouble() < p ? 0 : keepScale;
  return A.mul(xv, new Tensor(mask, xv.shape));
}

export interface DropoutOptions {
  generator?: Generator;
}

export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    this.p = checkP("Dropout", p);
    this.generator = options.generator ?? defaultGenerator;
  }

  forward(x: A.Input): A.Variable {
    return dropout(x, this.p, this.training, this.generator);
  }
}
