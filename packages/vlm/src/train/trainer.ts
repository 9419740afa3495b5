/**
 * trainClip: the training loop. Each piece it runs is a file of its own:
 *
 *   setup        run-setup.ts    the model, tokenizer, data and resolved settings (new, init, resume)
 *   the step     step.ts         one optimiser step of the recipe (recipe.ts): gradients through
 *                                the StepEngine (plain, gradient caching, data parallel),
 *                                clipping, the NaN guard, AdamW, the logit-scale clamp
 *   the budget   budget.ts       with a time budget, the run's length fitted as it goes
 *   evaluation   validation.ts   every `evalEvery` steps on held-out data (eval/held-out.ts)
 *   checkpoints  train-state.ts  every `checkpointEvery` steps and at the end, atomically
 *
 *   for each optimiser step t:
 *     step (lr from the schedule), log a line; give up after `nanPatience` skipped steps in a row
 *     evaluate, checkpoint when due
 *   a final evaluation and checkpoint (unless the weights are not finite: a NaN checkpoint is never written)
 *
 * Deterministic for a seed and thread count: the data order, captions and crops are functions
 * of the seed and the position, kernels give the same bits on any number of threads, and the
 * data-parallel reduction runs in a fixed order. A one-thread run resumed from a checkpoint
 * continues bit for bit.
 */

import { join } from "node:path";
import { getNumThreads, setNumThreads } from "@duet/tensor";
import type { OpenMoji } from "../data/openmoji/dataset.js";
import { deriveSeed } from "../data/seeds.js";
import type { CLIP } from "../model/clip.js";
import type { ModelConfig } from "../model/config.js";
import { describeNonFinite, findNonFinite } from "../model/weights-check.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { BudgetFitter } from "./budget.js";
import { TrainAbortedError } from "./errors.js";
import { checkOptions, type RunConfig, type TrainHooks, type TrainClipOptions } from "./options.js";
import { setupRun } from "./run-setup.js";
import { startStepEngine } from "./start-engine.js";
import { TrainingStep } from "./step.js";
import { trainLoader } from "./train-data.js";
import { EVAL_LOG_FILE, JsonlLog, TRAIN_LOG_FILE, type StepLogRecord } from "./train-log.js";
import { restoreOptimizerAndRng, saveTrainingCheckpoint } from "./train-state.js";
import { describeEval, resolveValidation, validate, type EvalRecord } from "./validation.js";

export interface TrainResult {
  model: CLIP;
  tokenizer: Tokenizer;
  config: ModelConfig;
  /** The run's resolved settings (as saved in train_state.json). */
  run: RunConfig;
  /** The OpenMoji dataset trained on, if any (for evaluating its test split). */
  openMoji: OpenMoji | null;
  outDir: string;
  checkpointDir: string;
  logPath: string;
  evalLogPath: string;
  /** Optimiser steps done (counting a resumed run's earlier ones). */
  steps: number;
  /** Why training stopped: all steps done, the time budget, or the abort signal. */
  stoppedBy: "steps" | "time" | "signal";
  /** The last step's loss. */
  finalLoss: number | null;
  /** The last evaluation, if any. */
  lastEval: EvalRecord | null;
  /** The step of the checkpoint in checkpointDir (this call's last save, or the one resumed from); null when there is none. */
  savedStep: number | null;
  /** Seconds in this call, setup included. */
  wallSeconds: number;
  /** Mean throughput of this call's steps. */
  samplesPerSecond: number;
}

/** STREAM tag of the per-chunk seeds (data/seeds.ts uses 1 and 2). */
const CHUNK_STREAM = 3;

/** Trains a CLIP model (see the file comment and TrainClipOptions for every option and its default). */
export async function trainClip(options: TrainClipOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const wallStart = performance.now();
  checkOptions(options);
  const log = (line: string, level: "info" | "warn" = "info") => hooks.onLog?.(line, level);
  const { model, tokenizer, data, run, resumed, valData } = await setupRun(options, log, hooks);
  const outDir = options.outDir;
  const checkpointDir = join(outDir, "checkpoint");
  const heldOut = run.evalEvery > 0 ? await resolveValidation(valData, data) : null;
  if (run.evalEvery > 0 && heldOut === null) log("evalEvery: no held-out data to evaluate on (give valData, or train on OpenMoji's train split); evaluation is off", "warn");

  // Data parallel: the shards take the cores, so each thread's kernels run single-threaded.
  const previousThreads = getNumThreads();
  setNumThreads(run.dataParallel ? 1 : run.threads);
  const engine = await startStepEngine(model, { shards: run.dataParallel ? run.threads : 1, chunkSize: run.chunkSize, loss: run.loss, lossGroup: run.lossGroup ?? null }).catch((error: unknown) => {
    setNumThreads(previousThreads);
    throw error;
  });
  try {
    const stepper = new TrainingStep(model, engine, run);
    const loader = trainLoader(data.dataset(run.augment === null ? null : { scale: run.augment, ...run.drawing }), tokenizer, model.config.text_cfg.context_length, run.batchSize, run.seed, run.hardNegatives ?? false);
    let step = 0;
    let samplesSeen = 0;
    let elapsedBefore = 0;
    if (resumed !== null) {
      const { state, dir } = resumed;
      restoreOptimizerAndRng(dir, state, stepper.optimizer, run.dtype);
      loader.restore(state.loader);
      step = state.step;
      samplesSeen = state.samples_seen;
      stepper.nanStreak = state.nan_streak;
      elapsedBefore = state.elapsed_seconds;
    }
    const trainLog = new JsonlLog(outDir, TRAIN_LOG_FILE, resumed === null ? null : step);
    const evalLog = new JsonlLog(outDir, EVAL_LOG_FILE, resumed === null ? null : step);
    const elapsed = () => elapsedBefore + (performance.now() - wallStart) / 1000;

    let lastSaved = resumed === null ? -1 : step;
    const save = () => {
      if (lastSaved === step) return;
      const bad = findNonFinite(model.stateDict());
      if (bad !== null) {
        log(`step ${step}: the weights hold NaN or Inf; the checkpoint was not saved: ${describeNonFinite(bad)}${lastSaved >= 0 ? `; the last good one, step ${lastSaved}, stays in ${checkpointDir}` : ""}`, "warn");
        return;
      }
      const t0 = performance.now();
      saveTrainingCheckpoint(checkpointDir, {
        model, tokenizer, optimizer: stepper.optimizer, step, epoch: samplesSeen / data.length, samplesSeen, loader: loader.position, nanStreak: stepper.nanStreak, elapsedSeconds: elapsed(), config: run as unknown as Record<string, unknown>,
      });
      lastSaved = step;
      log(`step ${step}: checkpoint saved to ${checkpointDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    };

    let lastEval = null as EvalRecord | null;
    const evaluate = async () => {
      if (heldOut === null) return;
      const t0 = performance.now();
      lastEval = await validate(model, tokenizer, heldOut, run, step);
      evalLog.write(lastEval);
      hooks.onEval?.(lastEval);
      log(`step ${step}: ${describeEval(lastEval)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    };

    log(
      `training ${run.model} (${(model.numParameters() / 1e6).toFixed(2)}M parameters) for ${run.steps} steps from step ${step}: batch ${run.batchSize}` +
        `${run.accumulation > 1 ? ` × ${run.accumulation} accumulated` : ""}${run.chunkSize !== null ? `, chunks of ${run.chunkSize}` : ""}, ` +
        `${run.threads} thread${run.threads > 1 ? "s" : ""} ${run.dataParallel ? "data-parallel" : "intra-op"}, lr ${run.lr}, warmup ${run.warmup}, ${run.loss} loss${run.hardNegatives === true ? " with a swapped-caption hard negative per image" : ""}${(run.lossGroup ?? null) === null ? "" : ` within groups of ${run.lossGroup} pairs`}${(run.temperature ?? "learned") === "learned" ? "" : `, temperature ${run.temperature}`}`,
    );

    const budget = run.timeBudgetMinutes === null ? Infinity : run.timeBudgetMinutes * 60;
    const firstStep = step;
    const fitter = options.fitStepsToBudget === true && resumed === null && Number.isFinite(budget) ? new BudgetFitter(budget, wallStart, firstStep, options.steps) : null;
    let stoppedBy: TrainResult["stoppedBy"] = "steps";
    let finalLoss: number | null = null;
    let stepSeconds = 0;
    let samplesThisCall = 0;
    while (step < run.steps) {
      if (options.signal?.aborted) {
        stoppedBy = "signal";
        break;
      }
      const meanStep = step > firstStep ? stepSeconds / (step - firstStep) : 0;
      if ((performance.now() - wallStart) / 1000 + meanStep > budget) {
        stoppedBy = "time";
        log(`time budget of ${run.timeBudgetMinutes} min reached at step ${step}`, "warn");
        break;
      }
      const fit = fitter?.fitAt(step) ?? null;
      if (fit !== null) {
        if (fit.steps !== run.steps) stepper.reschedule(fit.steps);
        log(`time budget: ${run.steps} steps fit in ${Number(run.timeBudgetMinutes?.toFixed(2))} min at ${fit.secondsPerStep.toFixed(2)} s per step`);
      }
      const t0 = performance.now();
      const outcome = await stepper.run(step, async (micro) => {
        const batch = await loader.next();
        return { ...batch.data, samples: batch.indices.length, seed: deriveSeed(run.seed, CHUNK_STREAM, step, micro) };
      });
      step++;
      samplesSeen += outcome.samples;
      const seconds = (performance.now() - t0) / 1000;
      stepSeconds += seconds;
      samplesThisCall += outcome.samples;
      const record: StepLogRecord = {
        step,
        epoch: samplesSeen / data.length,
        loss: outcome.loss,
        lr: outcome.lr,
        logit_scale: Math.exp(model.logitScale.value.data[0]!),
        grad_norm: outcome.norm,
        samples_per_s: outcome.samples / seconds,
        time: elapsed(),
        ...(outcome.lossParts === null ? {} : { contrastive_loss: outcome.lossParts.contrastive, caption_loss: outcome.lossParts.caption }),
        ...(outcome.finite ? {} : { skipped: true as const }),
      };
      trainLog.write(record);
      hooks.onStep?.({ ...record, total_steps: run.steps, eta_s: (stepSeconds / (step - firstStep)) * (run.steps - step) });
      if (outcome.finite) finalLoss = outcome.loss;
      else {
        log(`step ${step}: loss ${outcome.loss}, gradient norm ${outcome.norm}: not finite, the step was skipped (${outcome.nanStreak} in a row; giving up at ${run.nanPatience})`, "warn");
        if (outcome.gaveUp) {
          const last = lastSaved >= 0 ? `The last good checkpoint (step ${lastSaved}) is in ${checkpointDir}` : "No checkpoint was written";
          throw new TrainAbortedError("trainClip", `${outcome.nanStreak} steps in a row had a NaN or Inf loss or gradient (the last at step ${step}); training stopped. ${last}; try a lower lr or gradClipNorm`, step);
        }
      }
      if (run.evalEvery > 0 && step % run.evalEvery === 0) await evaluate();
      if (run.checkpointEvery > 0 && step % run.checkpointEvery === 0) save();
      fitter?.stepDone(step);
    }
    if (run.evalEvery > 0 && lastEval?.step !== step) await evaluate();
    save();
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const samplesPerSecond = stepSeconds > 0 ? samplesThisCall / stepSeconds : 0;
    log(`done: ${step} steps (${stoppedBy === "steps" ? "all" : `stopped by the ${stoppedBy === "time" ? "time budget" : "signal"}`}), ${wallSeconds.toFixed(1)} s, ${samplesPerSecond.toFixed(1)} samples/s`);
    return {
      model, tokenizer, config: model.config, run, openMoji: data.openMoji, outDir, checkpointDir,
      logPath: trainLog.path, evalLogPath: evalLog.path, steps: step, stoppedBy, finalLoss, lastEval, savedStep: lastSaved >= 0 ? lastSaved : null, wallSeconds, samplesPerSecond,
    };
  } finally {
    await engine.close();
    setNumThreads(previousThreads);
  }
}
