/**
 * LR schedules against open_clip_train/scheduler.py (3.3.0), every step: warmup
 * base_lr * (step + 1) / warmup_length, then cosine 0.5 * (1 + cos(π e / es)) * base_lr,
 * constant, or a linear / polynomial cooldown.
 */

import { describe, expect, it } from "vitest";
import { assignLearningRate, AdamW, constLr, constLrCooldown, cosineLr, type LrSchedule } from "../../packages/nn/src/index.js";
import { ones } from "../../packages/tensor/src/index.js";
import { Variable } from "../../packages/autograd/src/index.js";
import { loadFixture } from "./support/fixtures.js";

interface ScheduleFixture {
  schedules: Record<string, { fn: string; args: Record<string, number>; values: number[] }>;
}

function build(fn: string, a: Record<string, number>): LrSchedule {
  switch (fn) {
    case "cosine_lr":
      return cosineLr(a.base_lr!, a.warmup_length!, a.steps!);
    case "const_lr":
      return constLr(a.base_lr!, a.warmup_length!, a.steps!);
    case "const_lr_cooldown":
      return constLrCooldown(a.base_lr!, a.warmup_length!, a.steps!, a.cooldown_steps!, { cooldownPower: a.cooldown_power, cooldownEndLr: a.cooldown_end_lr });
    default:
      throw new Error(`unknown schedule ${fn}`);
  }
}

describe("schedules equal open_clip's at every step", () => {
  const fixture = loadFixture<ScheduleFixture>("schedules");
  for (const [name, { fn, args, values }] of Object.entries(fixture.schedules)) {
    it(`${name}: ${fn}(${JSON.stringify(args)})`, () => {
      const schedule = build(fn, args);
      values.forEach((expected, step) => {
        const lr = schedule(step);
        // the warmup and constant parts are the same float operations; the cosine may differ in Math.cos's last bit
        if (Math.abs(lr - expected) > 1e-15 * Math.abs(expected)) throw new Error(`${name} step ${step}: Duet ${lr}, open_clip ${expected}`);
      });
    });
  }

  it("the warmup is exactly base_lr * (step + 1) / warmup_length", () => {
    const s = cosineLr(5e-4, 10, 100);
    for (let step = 0; step < 10; step++) expect(s(step)).toBe((5e-4 * (step + 1)) / 10);
    expect(s(10)).toBe(5e-4); // cos(0) = 1: the peak right after warmup
  });

  it("assignLearningRate sets every group's lr", () => {
    const opt = new AdamW([{ params: [new Variable(ones([1]), { requiresGrad: true })] }, { params: [new Variable(ones([1]), { requiresGrad: true })], lr: 5 }]);
    assignLearningRate(opt, 0.25);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.25, 0.25]);
  });

  it("bad arguments are named", () => {
    expect(() => cosineLr(1e-3, 10, 10)).toThrow("cosineLr: steps (10) must exceed warmupLength (10): the cosine needs at least one step");
    expect(() => cosineLr(1e-3, 1, 10)(-1)).toThrow("cosineLr: step must be a non-negative integer, got -1");
    expect(() => constLrCooldown(1e-3, 1, 10, 11)).toThrow("constLrCooldown: cooldownSteps must be an integer in [1, steps = 10], got 11");
  });
});
