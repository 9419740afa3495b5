/**
 * A StepEngine with its data-parallel workers started (Node only: worker threads). The
 * engine itself (step-engine.ts) knows nothing of Node, so the browser builds one directly.
 */

import type { CLIP } from "../model/clip.js";
import { isCoCa } from "../model/coca.js";
import { TrainError } from "./errors.js";
import { DataParallelWorkers } from "./data-parallel.js";
import { StepEngine, type StepEngineOptions } from "./step-engine.js";

/** `options.shards - 1` workers sharing the model's parameters, and the engine over them. */
export async function startStepEngine(model: CLIP, options: StepEngineOptions): Promise<StepEngine> {
  // before any worker starts, so a refused run leaves no threads behind (the engine checks again per batch)
  if (isCoCa(model) && (options.lossGroup ?? null) !== null) throw new TrainError("StepEngine", "lossGroup is for a CLIP: a CoCa's contrastive loss (open_clip's CoCaLoss) takes the whole batch");
  const workers = options.shards > 1 ? await DataParallelWorkers.start(model, options.shards - 1) : null;
  return new StepEngine(model, options, workers);
}
