/**
 * A StepEngine with its data-parallel workers started (Node only: worker threads). The
 * engine itself (step-engine.ts) knows nothing of Node, so the browser builds one directly.
 */

import type { CLIP } from "../model/clip.js";
import { DataParallelWorkers } from "./data-parallel.js";
import { StepEngine, type StepEngineOptions } from "./step-engine.js";

/** `options.shards - 1` workers sharing the model's parameters, and the engine over them. */
export async function startStepEngine(model: CLIP, options: StepEngineOptions): Promise<StepEngine> {
  const workers = options.shards > 1 ? await DataParallelWorkers.start(model, options.shards - 1) : null;
  return new StepEngine(model, options, workers);
}
