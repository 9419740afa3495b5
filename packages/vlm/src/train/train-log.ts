/**
 * The run's logs, one JSON object a line (JSONL), appended as training goes, in the run folder:
 *
 *   train_log.jsonl   one line per optimiser step:
 *     {"step": 12, "epoch": 0.86, "loss": 4.91, "lr": 0.0006, "logit_scale": 14.6,
 *      "grad_norm": 1.73, "samples_per_s": 211.4, "time": 14.52}
 *     step          optimiser steps done (1-based)
 *     epoch         samples seen / training pairs (fractional)
 *     loss          the step's mean loss over its accumulated batches
 *     lr            the learning rate the step used
 *     logit_scale   exp(logit_scale) after the clamp: the multiplier of the cosine similarities
 *                   (at most 100), as open_clip logs it
 *     grad_norm     the global L2 norm of the gradients, before clipping
 *     samples_per_s this step's throughput
 *     time          seconds since the run started (counting earlier runs it resumes)
 *     contrastive_loss, caption_loss
 *                   a CoCa's two weighted parts of `loss` (open_clip's CoCaLoss: 1 × InfoNCE,
 *                   2 × the captions' mean token cross-entropy); absent for a CLIP
 *     skipped       true when the NaN/Inf guard skipped the step (no update was made)
 *   eval_log.jsonl    one line per evaluation: {"step": 200, ...metrics}
 *
 * A resumed run first drops the lines after the step it resumes from (an interrupted run may
 * have logged steps past its last checkpoint), so the file reads as one run.
 */

import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic.js";

export const TRAIN_LOG_FILE = "train_log.jsonl";
export const EVAL_LOG_FILE = "eval_log.jsonl";

export interface StepLogRecord {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  logit_scale: number;
  grad_norm: number;
  samples_per_s: number;
  time: number;
  contrastive_loss?: number;
  caption_loss?: number;
  skipped?: true;
}

export class JsonlLog {
  readonly path: string;

  /** Opens `dir/name`; with `keepUpToStep`, lines of later steps are dropped first, else the file starts empty. */
  constructor(dir: string, name: string, keepUpToStep: number | null) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, name);
    if (keepUpToStep === null || !existsSync(this.path)) {
      writeFileAtomic(this.path, "");
      return;
    }
    const kept = readFileSync(this.path, "utf8")
      .split("\n")
      .filter((line) => {
        if (line.trim() === "") return false;
        try {
          return (JSON.parse(line) as { step?: number }).step! <= keepUpToStep;
        } catch {
          return false; // a line cut short by the interruption
        }
      });
    writeFileAtomic(this.path, kept.map((line) => `${line}\n`).join(""));
  }

  write(record: object): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }
}
