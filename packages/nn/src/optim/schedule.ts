/**
 * Learning-rate schedules, as open_clip_train/scheduler.py (3.3.0). Each is a function of
 * the step (0-based, counted in optimizer steps) that returns the lr; `assignLearningRate`
 * sets it on every parameter group, as open_clip's `_lr_adjuster` does before each step.
 *
 *   warmup (step < warmupLength):  lr = baseLr * (step + 1) / warmupLength
 *   constLr:          baseLr after warmup
 *   cosineLr:         lr = 0.5 * (1 + cos(π * e / es)) * baseLr,
 *                     e = step - warmupLength, es = steps - warmupLength
 *   constLrCooldown:  baseLr until cooldown starts at s0 = steps - cooldownSteps, then
 *                     lr = (1 - e / es)^power * (baseLr - endLr) + endLr,
 *                     e = step - s0, es = steps - s0
 * As in open_clip nothing is clamped: past `steps` the cosine rises again, so train for
 * exactly `steps`.
 */

import { TensorError } from "@duet/tensor";

export type LrSchedule = (step: number) => number;

function checkStep(op: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new TensorError(op, `step must be a non-negative integer, got ${step}`);
}

function checkArgs(op: string, baseLr: number, warmupLength: number, steps: number): void {
  if (!(baseLr >= 0)) throw new TensorError(op, `baseLr must be >= 0, got ${baseLr}`);
  if (!Number.isInteger(warmupLength) || warmupLength < 0) throw new TensorError(op, `warmupLength must be a non-negative integer, got ${warmupLength}`);
  if (!Number.isInteger(steps) || steps < 0) throw new TensorError(op, `steps must be a non-negative integer, got ${steps}`);
}

function warmupLr(baseLr: number, warmupLength: number, step: number): number {
  return (baseLr * (step + 1)) / warmupLength;
}

/** A constant lr after a linear warmup (open_clip's `const_lr`); warmupLength 0 is plain constant. */
export function constLr(baseLr: number, warmupLength = 0, steps = 0): LrSchedule {
  checkArgs("constLr", baseLr, warmupLength, steps);
  return (step) => {
    checkStep("constLr", step);
    return step < warmupLength ? warmupLr(baseLr, warmupLength, step) : baseLr;
  };
}

/** Linear warmup, then cosine decay to 0 at `steps` (open_clip's `cosine_lr`). */
export function cosineLr(baseLr: number, warmupLength: number, steps: number): LrSchedule {
  checkArgs("cosineLr", baseLr, warmupLength, steps);
  if (steps <= warmupLength) throw new TensorError("cosineLr", `steps (${steps}) must exceed warmupLength (${warmupLength}): the cosine needs at least one step`);
  return (step) => {
    checkStep("cosineLr", step);
    if (step < warmupLength) return warmupLr(baseLr, warmupLength, step);
    const e = step - warmupLength;
    const es = steps - warmupLength;
    return 0.5 * (1 + Math.cos((Math.PI * e) / es)) * baseLr;
  };
}

export interface CooldownOptions {
  /** 1 for a linear cooldown, else polynomial (default 1). */
  cooldownPower?: number;
  /** The lr at the end of the cooldown (default 0). */
  cooldownEndLr?: number;
}

/** Warmup, constant, then a cooldown over the last `cooldownSteps` (open_clip's `const_lr_cooldown`). */
export function constLrCooldown(baseLr: number, warmupLength: number, steps: number, cooldownSteps: number, options: CooldownOptions = {}): LrSchedule {
  checkArgs("constLrCooldown", baseLr, warmupLength, steps);
  if (!Number.isInteger(cooldownSteps) || cooldownSteps <= 0 || cooldownSteps > steps) {
    throw new TensorError("constLrCooldown", `cooldownSteps must be an integer in [1, steps = ${steps}], got ${cooldownSteps}`);
  }
  const power = options.cooldownPower ?? 1;
  const endLr = options.cooldownEndLr ?? 0;
  return (step) => {
    checkStep("constLrCooldown", step);
    const startCooldown = steps - cooldownSteps;
    if (step < warmupLength) return warmupLr(baseLr, warmupLength, step);
    if (step < startCooldown) return baseLr;
    const e = step - startCooldown;
    const es = steps - startCooldown;
    const decay = (1 - e / es) ** power;
    return decay * (baseLr - endLr) + endLr;
  };
}

/** Sets `lr` on every parameter group (open_clip's `assign_learning_rate`). */
export function assignLearningRate(optimizer: { paramGroups: { lr: number }[] }, lr: number): void {
  if (!(lr >= 0)) throw new TensorError("assignLearningRate", `lr must be >= 0, got ${lr}`);
  for (const g of optimizer.paramGroups) g.lr = lr;
}
