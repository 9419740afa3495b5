/**
 * Errors of the trainer. Like the data and model layers' errors, the message names the
 * operation, then what was expected and what came:
 *
 *   trainClip: batchSize must be a positive integer, got 0
 *   trainClip: resume: runs/x/checkpoint/train_state.json is missing (is this a training checkpoint?)
 *
 * The CLI turns a TrainError into exit status 2 and this one line on stderr. A run that gives
 * up (NaN or Inf losses `nanPatience` steps in a row) throws a TrainAbortedError, which says
 * how far it got and where the last good checkpoint is.
 */

export class TrainError extends Error {
  readonly op: string;

  constructor(op: string, detail: string, options?: { cause?: unknown }) {
    super(`${op}: ${detail}`, options);
    this.name = "TrainError";
    this.op = op;
  }
}

export class TrainAbortedError extends TrainError {
  /** The number of optimiser steps completed before the run gave up. */
  readonly step: number;

  constructor(op: string, detail: string, step: number) {
    super(op, detail);
    this.name = "TrainAbortedError";
    this.step = step;
  }
}
