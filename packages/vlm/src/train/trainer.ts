/**
 * trainClip: the training loop, open_clip's recipe in one place.
 *
 *   for each optimiser step t:
 *     lr = cosine_lr(t)                    linear warmup, then cosine decay to 0 (nn's cosineLr)
 *     for each of `accumulation` contrastive batches b:
 *       grads += (1/k) d loss(b) / dθ      StepEngine: plain, gradient caching or data parallel
 *     ‖g‖ = global L2 norm                 clipped to gradClipNorm when set
 *     if loss or ‖g‖ is NaN/Inf: skip      no update; give up after `nanPatience` in a row
 *     else AdamW step                      no weight decay for gains, biases, logit_scale
 *          logit_scale ← clamp(0, ln 100)  CLIP.clampLogitScale, after every step
 *     log a line; evaluate, checkpoint every N steps
 *   a final checkpoint (unless the weights are not finite: a NaN checkpoint is never written)
 *
 * Deterministic for a seed and thread count: the data order, captions and crops are functions
 * of the seed and the position, kernels give the same bits on any number of threads, and the
 * data-parallel reduction runs in a fixed order. A one-thread run resumed from a checkpoint
 * continues bit for bit.
 */

import { join } from "node:path";
import { AdamW, assignLearningRate, clipGradNorm, cosineLr, paramGroupsNoDecayForNdimLe1 } from "@duet/nn";
import { getNumThreads, setNumThreads, type Tensor } from "@duet/tensor";
import type { Variable } from "@duet/autograd";
import type { OpenMoji } from "../data/openmoji/dataset.js";
import { deriveSeed } from "../data/seeds.js";
import type { CLIP } from "../model/clip.js";
import type { ModelConfig } from "../model/config.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { TrainAbortedError } from "./errors.js";
import { evaluateOpenMoji } from "./evaluate.js";
import { checkOptions, type EvalRecord, type RunConfig, type TrainHooks, type TrainClipOptions } from "./options.js";
import { setupRun } from "./run-setup.js";
import { StepEngine } from "./step-engine.js";
import { trainLoader } from "./train-data.js";
import { EVAL_LOG_FILE, JsonlLog, TRAIN_LOG_FILE, type StepLogRecord } from "./train-log.js";
import { restoreOptimizerAndRng, saveTrainingCheckpoint } from "./train-state.js";

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
  /** Seconds in this call, setup included. */
  wallSeconds: number;
  /** Mean throughput of this call's steps. */
  samplesPerSecond: number;
}

/** STREAM tag of the per-chunk seeds (data/seeds.ts uses 1 and 2). */
const CHUNK_STREAM = 3;

/** The global L2 norm of the gradients (what clipGradNorm reports), without changing them. */
function gradNorm(params: readonly Variable[]): number {
  let acc = 0;
  for (const p of params) if (p.grad !== null) for (const v of p.grad.contiguousData()) acc += v * v;
  return Math.sqrt(acc);
}

function allFinite(tensors: Iterable<Tensor>): boolean {
  for (const t of tensors) for (const v of t.contiguousData()) if (!Number.isFinite(v)) return false;
  return true;
}

/** What one optimiser step works with (see trainStep). */
export interface StepParts {
  model: CLIP;
  engine: StepEngine;
  optimizer: AdamW;
  params: Variable[];
  gradClipNorm: number | null;
}

/** One contrastive batch of a step: its images and tokens, its size, and the seed of its chunking. */
export interface StepBatch {
  images: Tensor;
  tokens: Tensor;
  samples: number;
  seed: number;
}

/**
 * One optimiser step, the body of trainClip's loop (and what `pnpm bench:train` times):
 * gradients of `accumulation` batches summed with weight 1/k, the global norm (and the clip to
 * gradClipNorm), then — when the loss and the norm are finite — AdamW and the logit-scale
 * clamp; otherwise the gradients are dropped and nothing changes. The caller sets the
 * learning rate.
 */
export async function trainStep(
  parts: StepParts,
  accumulation: number,
  nextBatch: (micro: number) => Promise<StepBatch>,
): Promise<{ loss: number; norm: number; finite: boolean; samples: number }> {
  const { model, engine, optimizer, params } = parts;
  model.zeroGrad();
  let lossSum = 0;
  let samples = 0;
  for (let micro = 0; micro < accumulation; micro++) {
    const batch = await nextBatch(micro);
    lossSum += await engine.accumulate(batch.images, batch.tokens, 1 / accumulation, batch.seed);
    samples += batch.samples;
  }
  const loss = lossSum / accumulation;
  // the global norm before clipping (clipGradNorm computes it once and returns it); a
  // non-finite one leaves the gradients non-finite or zero, and they are dropped below
  const norm = parts.gradClipNorm !== null ? clipGradNorm(params, parts.gradClipNorm) : gradNorm(params);
  const finite = Number.isFinite(loss) && Number.isFinite(norm);
  if (finite) {
    optimizer.step();
    model.clampLogitScale();
  } else {
    model.zeroGrad();
  }
  return { loss, norm, finite, samples };
}

/** `fitStepsToBudget` leaves the first steps (JIT compilation) out of its timing, then fits after a few more. */
const FIT_SKIP_STEPS = 2;
const FIT_FIRST_AT = 6;
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

/** Trains a CLIP model (see the file comment and TrainClipOptions for every option and its default). */
export async function trainClip(options: TrainClipOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const wallStart = performance.now();
  checkOptions(options);
  const log = (line: string, level: "info" | "warn" = "info") => hooks.onLog?.(line, level);
  const { model, tokenizer, data, run, resumed } = await setupRun(options, log);
  const outDir = options.outDir;
  const checkpointDir = join(outDir, "checkpoint");

  const optimizer = new AdamW(paramGroupsNoDecayForNdimLe1(model.namedParameters(), run.weightDecay), { lr: run.lr, betas: run.betas, eps: run.eps });
  let schedule = cosineLr(run.lr, run.warmup, run.steps);
  const loader = trainLoader(data.dataset(run.augment === null ? null : { scale: run.augment }), tokenizer, model.config.text_cfg.context_length, run.batchSize, run.seed);
  let step = 0;
  let samplesSeen = 0;
  let nanStreak = 0;
  let elapsedBefore = 0;
  if (resumed !== null) {
    const { state, dir } = resumed;
    restoreOptimizerAndRng(dir, state, optimizer, run.dtype);
    loader.restore(state.loader);
    step = state.step;
    samplesSeen = state.samples_seen;
    nanStreak = state.nan_streak;
    elapsedBefore = state.elapsed_seconds;
  }
  const trainLog = new JsonlLog(outDir, TRAIN_LOG_FILE, resumed === null ? null : step);
  const evalLog = new JsonlLog(outDir, EVAL_LOG_FILE, resumed === null ? null : step);
  const elapsed = () => elapsedBefore + (performance.now() - wallStart) / 1000;
  const params = model.parameters();

  let lastSaved = resumed === null ? -1 : step;
  const save = () => {
    if (lastSaved === step) return;
    if (!allFinite(model.stateDict().values())) {
      log(`step ${step}: the weights hold NaN or Inf; the checkpoint was not saved (the last good one stays in ${checkpointDir})`, "warn");
      return;
    }
    const t0 = performance.now();
    saveTrainingCheckpoint(checkpointDir, {
      model, tokenizer, optimizer, step, epoch: samplesSeen / data.length, samplesSeen, loader: loader.position, nanStreak, elapsedSeconds: elapsed(), config: run as unknown as Record<string, unknown>,
    });
    lastSaved = step;
    log(`step ${step}: checkpoint saved to ${checkpointDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };

  let lastEval = null as EvalRecord | null;
  const evaluate = () => {
    if (data.openMoji === null || data.evalSplit === null) return;
    const t0 = performance.now();
    lastEval = { step, ...evaluateOpenMoji(model, tokenizer, data.openMoji, data.evalSplit) };
    evalLog.write(lastEval);
    hooks.onEval?.(lastEval);
    log(`step ${step}: ${data.evalSplit} zero-shot top-1 ${(100 * lastEval.zeroshot_top1).toFixed(1)}%, text→image R@5 ${(100 * lastEval["text_to_image_R@5"]).toFixed(1)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };
  if (run.evalEvery > 0 && data.evalSplit === null) log("evalEvery: no held-out OpenMoji split to evaluate on; evaluation is off", "warn");

  // Data parallel: the shards take the cores, so each thread's kernels run single-threaded.
  const previousThreads = getNumThreads();
  const shards = run.dataParallel ? run.threads : 1;
  setNumThreads(run.dataParallel ? 1 : run.threads);
  const engine = await StepEngine.create(model, { shards, chunkSize: run.chunkSize, loss: run.loss });
  log(
    `training ${run.model} (${(model.numParameters() / 1e6).toFixed(2)}M parameters) for ${run.steps} steps from step ${step}: batch ${run.batchSize}` +
      `${run.accumulation > 1 ? ` × ${run.accumulation} accumulated` : ""}${run.chunkSize !== null ? `, chunks of ${run.chunkSize}` : ""}, ` +
      `${run.threads} thread${run.threads > 1 ? "s" : ""} ${run.dataParallel ? "data-parallel" : "intra-op"}, lr ${run.lr}, warmup ${run.warmup}, ${run.loss} loss`,
  );

  const budget = run.timeBudgetMinutes === null ? Infinity : run.timeBudgetMinutes * 60;
  const fitToBudget = options.fitStepsToBudget === true && resumed === null && Number.isFinite(budget);
  let stoppedBy: TrainResult["stoppedBy"] = "steps";
  let finalLoss: number | null = null;
  const firstStep = step;
  let stepSeconds = 0;
  let timedFrom = { time: 0, step: 0 }; // where the steps timed by fitStepsToBudget began
  let refitAt = -1;
  let refits = 0;
  let samplesThisCall = 0;
  try {
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
      if (fitToBudget && (step - firstStep === FIT_FIRST_AT || step === refitAt)) {
        // The run's length from the time per step (the first steps, which compile, left out);
        // fitted early, then again at 30% and 60% of the way, so the cosine schedule ends when
        // the budget does even if the machine's load changes.
        // wall time since the previous fit (evaluations and checkpoints count): the current pace
        const perStep = (performance.now() - timedFrom.time) / 1000 / (step - timedFrom.step);
        timedFrom = { time: performance.now(), step };
        const fitted = fitSteps(step, perStep, budget - (performance.now() - wallStart) / 1000, options.steps);
        if (fitted !== run.steps) {
          run.steps = fitted;
          if (run.warmup >= fitted) run.warmup = Math.floor(fitted / 10);
          schedule = cosineLr(run.lr, run.warmup, run.steps);
        }
        refits++;
        refitAt = refits < REFIT_AT.length ? Math.max(step + 1, Math.round(REFIT_AT[refits]! * run.steps)) : -1;
        log(`time budget: ${run.steps} steps fit in ${run.timeBudgetMinutes} min at ${perStep.toFixed(2)} s per step`);
      }
      const t0 = performance.now();
      const lr = schedule(step);
      assignLearningRate(optimizer, lr);
      const { loss, norm, finite, samples } = await trainStep({ model, engine, optimizer, params, gradClipNorm: run.gradClipNorm }, run.accumulation, async (micro) => {
        const batch = await loader.next();
        return { ...batch.data, samples: batch.indices.length, seed: deriveSeed(run.seed, CHUNK_STREAM, step, micro) };
      });
      nanStreak = finite ? 0 : nanStreak + 1;
      step++;
      samplesSeen += samples;
      const seconds = (performance.now() - t0) / 1000;
      stepSeconds += seconds;
      samplesThisCall += samples;
      const record: StepLogRecord = {
        step,
        epoch: samplesSeen / data.length,
        loss,
        lr,
        logit_scale: Math.exp(model.logitScale.value.data[0]!),
        grad_norm: norm,
        samples_per_s: samples / seconds,
        time: elapsed(),
        ...(finite ? {} : { skipped: true as const }),
      };
      trainLog.write(record);
      hooks.onStep?.({ ...record, total_steps: run.steps, eta_s: (stepSeconds / (step - firstStep)) * (run.steps - step) });
      if (finite) finalLoss = loss;
      else {
        log(`step ${step}: loss ${loss}, gradient norm ${norm}: not finite, the step was skipped (${nanStreak} in a row; giving up at ${run.nanPatience})`, "warn");
        if (nanStreak >= run.nanPatience) {
          throw new TrainAbortedError(
            "trainClip",
            `${nanStreak} steps in a row had a NaN or Inf loss or gradient (the last at step ${step}); training stopped. The last good checkpoint is in ${checkpointDir}; try a lower lr or gradClipNorm`,
            step,
          );
        }
      }
      if (run.evalEvery > 0 && step % run.evalEvery === 0) evaluate();
      if (run.checkpointEvery > 0 && step % run.checkpointEvery === 0) save();
      if (step - firstStep === FIT_SKIP_STEPS) timedFrom = { time: performance.now(), step };
    }
    if (run.evalEvery > 0 && lastEval?.step !== step) evaluate();
    save();
  } finally {
    await engine.close();
    setNumThreads(previousThreads);
  }
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const samplesPerSecond = stepSeconds > 0 ? samplesThisCall / stepSeconds : 0;
  log(`done: ${step} steps (${stoppedBy === "steps" ? "all" : `stopped by the ${stoppedBy === "time" ? "time budget" : "signal"}`}), ${wallSeconds.toFixed(1)} s, ${samplesPerSecond.toFixed(1)} samples/s`);
  return {
    model, tokenizer, config: model.config, run, openMoji: data.openMoji, outDir, checkpointDir,
    logPath: trainLog.path, evalLogPath: evalLog.path, steps: step, stoppedBy, finalLoss, lastEval, wallSeconds, samplesPerSecond,
  };
}
