/**
 * Evaluation during training: every `evalEvery` steps (and at the end) the model is scored on
 * held-out data by the same evaluator that gives the final test numbers (eval/held-out.ts):
 * the validation loss (the run's own loss, at its batch size), retrieval both ways, and
 * zero-shot where the data has classes (OpenMoji's subgroups).
 *
 *   valData given        a caption manifest (CSV/TSV/JSONL, like `data`) or an OpenMoji split
 *   training on OpenMoji its val split, when the run trains on the train split
 *   otherwise            nothing to evaluate on: evaluation is off (with a warning if asked for)
 */

import type { SplitName } from "../data/openmoji/split.js";
import type { EmojiStyle } from "../data/openmoji/styles.js";
import { evaluateHeldOut, type HeldOutData, type HeldOutRecord } from "../eval/held-out.js";
import { captionHeldOut } from "../eval/manifests.js";
import { modelEncoder } from "../eval/encoder.js";
import { openMojiEvalSet } from "../eval/openmoji.js";
import type { LossKind } from "../loss/model-loss.js";
import type { CLIP } from "../model/clip.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import type { CaptionData, TrainData } from "./train-data.js";

/** The `valData` option: a caption manifest, or a split of OpenMoji. */
export type ValDataOption = CaptionData | { kind: "openmoji"; split?: SplitName | "all"; style?: EmojiStyle };

/** One evaluation's record, as eval_log.jsonl holds it. */
export type EvalRecord = HeldOutRecord & { step: number };

/** The held-out data of a run (see the file comment), or null when there is none. */
export async function resolveValidation(option: ValDataOption | undefined, train: TrainData): Promise<HeldOutData | null> {
  if (option === undefined) {
    if (train.openMoji === null || train.evalSplit === null) return null;
    return openMojiEvalSet(train.imageSize, train.evalSplit, { openMoji: train.openMoji });
  }
  if (option.kind === "openmoji") return openMojiEvalSet(train.imageSize, option.split ?? "val", { style: option.style ?? "openmoji", ...(train.openMoji === null ? {} : { openMoji: train.openMoji }) });
  const { kind: _kind, manifest, ...options } = option;
  return captionHeldOut(manifest, options);
}

/** Scores the model on the held-out data: the run's loss at its batch size, retrieval, zero-shot. */
export async function validate(model: CLIP, tokenizer: Tokenizer, data: HeldOutData, run: { loss: LossKind; batchSize: number }, step: number): Promise<EvalRecord> {
  const { record } = await evaluateHeldOut(modelEncoder(model, tokenizer), data, { loss: run.loss, lossBatchSize: run.batchSize });
  return { step, ...record };
}

/** One line for the log: the loss and the headline metrics the data has. */
export function describeEval(e: EvalRecord): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const parts = [`${e.data}:`];
  if (e.val_loss !== undefined) parts.push(`val loss ${e.val_loss.toFixed(4)},`);
  if (e.zeroshot_top1 !== undefined) parts.push(`zero-shot top-1 ${pct(e.zeroshot_top1)},`);
  if (e["text_to_image_R@5"] !== undefined) parts.push(`text→image R@5 ${pct(e["text_to_image_R@5"])}, image→text R@5 ${pct(e["image_to_text_R@5"]!)}`);
  return parts.join(" ").replace(/,$/, "");
}
