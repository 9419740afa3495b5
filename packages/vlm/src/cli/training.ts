/**
 * trainClip with the CLI around it, shared by `duet train` and `duet demo`: a progress bar of
 * the steps (epoch, loss, lr, logit scale, samples/s, ETA), the trainer's log lines and evaluations on
 * stderr, and Ctrl-C stopping the run cleanly after the current step (with a final checkpoint)
 * instead of killing it. The steps and evaluations are kept for the report.
 */

import { trainClip, type EvalRecord, type StepRecord, type TrainClipOptions, type TrainResult } from "../train/index.js";
import type { Io } from "./io.js";
import { startProgress, type Progress } from "./progress.js";

export interface TrainingRun {
  result: TrainResult;
  steps: StepRecord[];
  evals: EvalRecord[];
}

export async function trainWithProgress(options: Omit<TrainClipOptions, "signal">, io: Io, quiet = false): Promise<TrainingRun> {
  const steps: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  let progress: Progress | undefined;
  const abort = new AbortController();
  const onInterrupt = () => {
    if (abort.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
    (progress?.log ?? io.err)("interrupted: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)");
    abort.abort();
  };
  process.on("SIGINT", onInterrupt);
  try {
    const result = await trainClip(
      { ...options, signal: abort.signal },
      {
        onStep(record) {
          steps.push(record);
          progress ??= startProgress(io, "training", record.total_steps, { fields: ["epoch", "loss", "lr", "scale", "speed"], silent: quiet, everySeconds: 15, initial: record.step - 1 });
          progress.update(record.step, {
            epoch: record.epoch.toFixed(2),
            loss: record.loss.toFixed(3),
            lr: record.lr.toExponential(1),
            scale: record.logit_scale.toFixed(1),
            speed: `${record.samples_per_s.toFixed(0)} samples/s`,
          });
          if (record.step === record.total_steps) progress.stop(); // before the trainer's closing lines
        },
        onEval(record) {
          evals.push(record);
        },
        onLog(line, level) {
          if (quiet && level === "info") return;
          (progress?.log ?? io.err)(level === "warn" ? `warning: ${line}` : line);
        },
      },
    );
    return { result, steps, evals };
  } finally {
    progress?.stop();
    process.off("SIGINT", onInterrupt);
  }
}
