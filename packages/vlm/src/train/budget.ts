/**
 * Fitting a run's length to a time budget, so the cosine schedule ends when the budget does.
 *
 *   steps 1-2         compile (V8's JIT): not timed
 *   steps 3-6         timed; then steps = done + what the remaining time holds at that pace
 *   at 30% and 60%    fitted again from the steps since the last fit (evaluations and
 *                     checkpoints count: they are part of the pace), so a machine whose load
 *                     changes still ends on time
 *
 * Each fit keeps 5% of the remaining time (and two steps' worth) for the final checkpoint and
 * evaluation, and never goes past the steps asked for. The trainer asks `fitAt(step)` before
 * every step and reschedules when it returns a new length.
 */

/** The first steps compile; they are left out of the timing. */
const SKIP_STEPS = 2;
/** The first fit, this many steps into the run. */
const FIRST_FIT_AT = 6;
/** Fractions of the run at which the length is fitted again (after the first fit). */
const REFIT_AT = [0, 0.3, 0.6];

/**
 * How many steps fit: those done, plus what the remaining seconds hold at `secondsPerStep`,
 * keeping 5% of them (and 2 steps' worth) for the final checkpoint and evaluation; at most
 * `cap` (the steps asked for), at least one more than done.
 */
export function fitSteps(done: number, secondsPerStep: number, remainingSeconds: number, cap: number | undefined): number {
  const spare = Math.max(0, remainingSeconds * 0.95 - 2 * secondsPerStep);
  const fitted = done + Math.max(1, Math.floor(spare / secondsPerStep));
  return cap === undefined ? fitted : Math.min(cap, fitted);
}

export interface Fit {
  steps: number;
  /** Wall seconds per step since the previous fit. */
  secondsPerStep: number;
}

export class BudgetFitter {
  private timedFrom = { time: 0, step: 0 };
  private refits = 0;
  private refitAt = -1;

  /**
   * `budgetSeconds` from `startTime` (performance.now() ms); the run begins at `firstStep`;
   * `cap`: the steps asked for, if any.
   */
  constructor(
    private readonly budgetSeconds: number,
    private readonly startTime: number,
    private readonly firstStep: number,
    private readonly cap: number | undefined,
  ) {}

  /** Before step `step` (0-based): the run's new length when a fit is due, else null. */
  fitAt(step: number, now = performance.now()): Fit | null {
    if (step - this.firstStep !== FIRST_FIT_AT && step !== this.refitAt) return null;
    const secondsPerStep = (now - this.timedFrom.time) / 1000 / (step - this.timedFrom.step);
    this.timedFrom = { time: now, step };
    const fitted = fitSteps(step, secondsPerStep, this.budgetSeconds - (now - this.startTime) / 1000, this.cap);
    this.refits++;
    this.refitAt = this.refits < REFIT_AT.length ? Math.max(step + 1, Math.round(REFIT_AT[this.refits]! * fitted)) : -1;
    return { steps: fitted, secondsPerStep };
  }

  /** After step `stepsDone` finished: the timing starts once the compiling steps are behind. */
  stepDone(stepsDone: number, now = performance.now()): void {
    if (stepsDone - this.firstStep === SKIP_STEPS) this.timedFrom = { time: now, step: stepsDone };
  }
}
