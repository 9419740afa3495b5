/**
 * A training checkpoint: the model checkpoint (DESIGN §4) plus what an exact resume needs,
 * written together in one atomic folder swap (saveCheckpoint's extraFiles):
 *
 *   DIR/config.json, DIR/model.safetensors, DIR/tokenizer.json   the model (loadCheckpoint reads it)
 *   DIR/optimizer.safetensors   AdamW's moments, exp_avg and exp_avg_sq per parameter, by name
 *                               (`visual.conv1.weight.exp_avg`), in the parameters' dtype
 *   DIR/train_state.json        {
 *                                 "format": "duet-train-state", "version": 1,
 *                                 "step": 120,                 optimiser steps done
 *                                 "epoch": 2.7,                samples seen / training pairs
 *                                 "samples_seen": 30720,
 *                                 "loader": {"epoch": 2, "index": 512},   the next batch's place
 *                                 "rng": {"default": [s0, s1, s2, s3, spare | null]},
 *                                 "nan_streak": 0, "elapsed_seconds": 81.4,
 *                                 "optimizer": {kind, groups: [{hyper, params}], steps},
 *                                 "config": {the run's resolved options: seed, steps, lr, ...}
 *                               }
 *
 * Resuming restores all of it, so the next step is the one the uninterrupted run would take:
 * the same batch (the loader's order and augmentation are functions of seed and position),
 * the same learning rate (a function of the step), the same moments, the same weights (F32
 * stored exactly).
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serializeSafetensors, type AdamW, type OptimizerMeta } from "@duet/nn";
import { readSafetensors } from "@duet/nn/node";
import { defaultGenerator } from "@duet/tensor";
import type { LoaderPosition } from "../data/loader.js";
import type { CLIP } from "../model/clip.js";
import { saveCheckpoint } from "../model/checkpoint-save.js";
import { DUET_CONFIG_FILE, restoreCheckpoint } from "../model/checkpoint.js";
import { BpeTokenizer, type Tokenizer } from "../tokenizer/bpe.js";
import { TrainError } from "./errors.js";

export const TRAIN_STATE_FILE = "train_state.json";
export const OPTIMIZER_FILE = "optimizer.safetensors";
export const TRAIN_STATE_FORMAT = "duet-train-state";

export interface TrainState {
  format: typeof TRAIN_STATE_FORMAT;
  version: 1;
  step: number;
  epoch: number;
  samples_seen: number;
  loader: LoaderPosition;
  rng: { default: (number | null)[] };
  nan_streak: number;
  elapsed_seconds: number;
  optimizer: OptimizerMeta;
  config: Record<string, unknown>;
}

export interface TrainingCheckpoint {
  model: CLIP;
  tokenizer: Tokenizer;
  optimizer: AdamW;
  step: number;
  epoch: number;
  samplesSeen: number;
  loader: LoaderPosition;
  nanStreak: number;
  elapsedSeconds: number;
  config: Record<string, unknown>;
}

/** Writes the model, the optimiser and the run's state to `dir` in one atomic swap. */
export function saveTrainingCheckpoint(dir: string, c: TrainingCheckpoint): void {
  const optimizer = c.optimizer.state();
  const state: TrainState = {
    format: TRAIN_STATE_FORMAT,
    version: 1,
    step: c.step,
    epoch: c.epoch,
    samples_seen: c.samplesSeen,
    loader: { epoch: c.loader.epoch, index: c.loader.index },
    rng: { default: defaultGenerator.getState().map((v) => (Number.isNaN(v) ? null : v)) },
    nan_streak: c.nanStreak,
    elapsed_seconds: c.elapsedSeconds,
    optimizer: optimizer.meta,
    config: c.config,
  };
  saveCheckpoint(dir, c.model, {
    tokenizer: c.tokenizer instanceof BpeTokenizer && c.model.config.duet.tokenizer === "tokenizer.json" ? c.tokenizer : undefined,
    extraFiles: {
      [TRAIN_STATE_FILE]: `${JSON.stringify(state, null, 2)}\n`,
      [OPTIMIZER_FILE]: serializeSafetensors(optimizer.tensors, { metadata: { format: "duet-optimizer", kind: optimizer.meta.kind } }),
    },
  });
}

/**
 * The checkpoint folder a `resume` path means: DIR/checkpoint of a run folder, or DIR itself.
 * A checkpoint folder left missing by a save killed between its two renames is restored
 * first (model/checkpoint.ts restoreCheckpoint), and `onRestore` told.
 */
export function resolveCheckpointDir(path: string, onRestore?: (message: string) => void): string {
  const nested = join(path, "checkpoint");
  if (!existsSync(path)) restoreCheckpoint(path, { onRestore });
  else if (!existsSync(join(path, TRAIN_STATE_FILE)) && !existsSync(nested)) restoreCheckpoint(nested, { onRestore });
  if (existsSync(join(path, TRAIN_STATE_FILE))) return path;
  if (existsSync(join(nested, TRAIN_STATE_FILE))) return nested;
  if (existsSync(join(path, DUET_CONFIG_FILE))) {
    throw new TrainError("trainClip", `resume: ${path} is a model checkpoint without ${TRAIN_STATE_FILE}: it cannot be resumed exactly; start a new run from its weights with init`);
  }
  throw new TrainError("trainClip", `resume: no training checkpoint in ${path} (expected ${join(path, TRAIN_STATE_FILE)} or ${join(nested, TRAIN_STATE_FILE)})`);
}

/** Reads and checks DIR/train_state.json. */
export function readTrainState(dir: string): TrainState {
  const path = join(dir, TRAIN_STATE_FILE);
  let state: TrainState;
  try {
    state = JSON.parse(readFileSync(path, "utf8")) as TrainState;
  } catch (error) {
    throw new TrainError("trainClip", `resume: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const ok =
    state !== null &&
    typeof state === "object" &&
    state.format === TRAIN_STATE_FORMAT &&
    Number.isInteger(state.step) &&
    state.step >= 0 &&
    typeof state.loader?.epoch === "number" &&
    Array.isArray(state.rng?.default) &&
    typeof state.config === "object" &&
    typeof state.optimizer === "object";
  if (!ok) throw new TrainError("trainClip", `resume: ${path} is not a Duet training state (format "${TRAIN_STATE_FORMAT}", version 1)`);
  if (state.version !== 1) throw new TrainError("trainClip", `resume: ${path} has version ${state.version}; this Duet reads version 1`);
  return state;
}

/** Restores the optimiser's moments and the default Generator from a checkpoint folder. */
export function restoreOptimizerAndRng(dir: string, state: TrainState, optimizer: AdamW, dtype: "float32" | "float64"): void {
  const path = join(dir, OPTIMIZER_FILE);
  if (!existsSync(path)) throw new TrainError("trainClip", `resume: ${path} is missing`);
  const { tensors } = readSafetensors(path, { floatDtype: dtype });
  try {
    optimizer.loadState({ meta: state.optimizer, tensors });
  } catch (error) {
    throw new TrainError("trainClip", `resume: ${path} does not fit this model's optimiser: ${(error as Error).message}`, { cause: error });
  }
  defaultGenerator.setState(state.rng.default.map((v) => (v === null ? Number.NaN : v)));
}
