/**
 * Saving a model as a checkpoint folder (DESIGN §4), atomically: every file is written into a
 * temporary sibling folder and flushed, then the folder is renamed into place
 * (atomic-folder.ts), so a crash never leaves a config beside the wrong weights.
 *
 *   saveCheckpoint("runs/x/checkpoint", model)                      config.json + model.safetensors
 *   saveCheckpoint(dir, model, { tokenizer })                       + tokenizer.json
 *   saveCheckpoint(dir, model, { extraFiles: { "train_state.json": ... } })   written in the same swap
 *   saveCheckpoint(dir, model, { layout: "open_clip" })             open_clip_config.json +
 *                                                                   open_clip_model.safetensors
 *
 * The state dict carries open_clip's names and shapes (logit_scale 0-d), so for a ViT model
 * with linear projections, open_clip's `CLIP(**cfg).load_state_dict(load_file(path), strict=True)`
 * accepts it (tools/make_clip_fixtures.py checks exactly that). Float tensors are stored as F32
 * by default; F16 / BF16 halve the file (values round to the nearest representable one).
 * Weights holding a NaN or Inf are never saved (the error names the tensor).
 */

import { join } from "node:path";
import { serializeSafetensors } from "@duet/nn";
import type { BpeTokenizer } from "../tokenizer/bpe.js";
import { tokenizerToJson } from "../tokenizer/tokenizer-json.js";
import { writeFileDurable, writeFolderAtomic } from "./atomic-folder.js";
import {
  DUET_CONFIG_FILE,
  DUET_WEIGHTS_FILE,
  OPEN_CLIP_CONFIG_FILE,
  OPEN_CLIP_WEIGHTS_FILE,
  TOKENIZER_FILE,
  type CheckpointLayout,
} from "./checkpoint.js";
import type { CLIP } from "./clip.js";
import { isOpenClipCompatible, modelConfigToJson, preprocessCfgToJson } from "./config.js";
import { ModelError } from "./errors.js";
import { checkFiniteWeights } from "./weights-check.js";

export interface SaveCheckpointOptions {
  /** A trained BPE to save as tokenizer.json (the config then names it). Default: CLIP's BPE. */
  tokenizer?: BpeTokenizer;
  /** How floats are stored (default F32). */
  floatDtype?: "F32" | "F16" | "BF16" | "F64";
  /** More files for the same folder, written in the same atomic swap (e.g. train_state.json). */
  extraFiles?: Readonly<Record<string, string | Uint8Array>>;
  /** "duet" (default) or open_clip's own folder layout (ViT models with linear heads only). */
  layout?: CheckpointLayout;
}

const OP = "saveCheckpoint";

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes `model` (and what else is asked) to the folder `dir`, replacing it atomically. */
export function saveCheckpoint(dir: string, model: CLIP, options: SaveCheckpointOptions = {}): void {
  const layout = options.layout ?? "duet";
  const config = modelConfigToJson(model.config) as Record<string, unknown> & { duet: Record<string, unknown> };
  if (options.tokenizer !== undefined) config.duet["tokenizer"] = TOKENIZER_FILE;
  else if (model.config.duet.tokenizer === TOKENIZER_FILE) {
    throw new ModelError(OP, `the model's config names duet.tokenizer "${TOKENIZER_FILE}": pass { tokenizer } so the folder holds it`, dir);
  }
  if (layout === "open_clip" && (!isOpenClipCompatible(model.config) || options.tokenizer !== undefined)) {
    throw new ModelError(OP, `open_clip's layout holds only ViT models with linear heads, open_clip's pooling and CLIP's tokenizer; save this one in Duet's layout`, dir);
  }
  const reserved = new Set([DUET_CONFIG_FILE, DUET_WEIGHTS_FILE, TOKENIZER_FILE, OPEN_CLIP_CONFIG_FILE, OPEN_CLIP_WEIGHTS_FILE]);
  for (const name of Object.keys(options.extraFiles ?? {})) {
    if (reserved.has(name) || name.includes("/") || name.includes("\\") || name.startsWith(".") || name === "") {
      throw new ModelError(OP, `extraFiles: ${JSON.stringify(name)} must be a plain file name other than the checkpoint's own files`, dir);
    }
  }
  // check and serialise first: a bad tensor fails before any file is created
  const state = model.stateDict();
  checkFiniteWeights(OP, state, dir, "not saved, a weight is not finite");
  const weights = serializeSafetensors(state, { floatDtype: options.floatDtype ?? "F32", metadata: { format: "pt" } });
  writeFolderAtomic(OP, dir, (tmp) => {
    if (layout === "duet") {
      writeFileDurable(join(tmp, DUET_CONFIG_FILE), json(config));
      writeFileDurable(join(tmp, DUET_WEIGHTS_FILE), weights);
      if (options.tokenizer !== undefined) writeFileDurable(join(tmp, TOKENIZER_FILE), json(tokenizerToJson(options.tokenizer)));
    } else {
      const { duet: _duet, ...modelCfg } = config;
      writeFileDurable(join(tmp, OPEN_CLIP_CONFIG_FILE), json({ model_cfg: modelCfg, preprocess_cfg: preprocessCfgToJson(model.config) }));
      writeFileDurable(join(tmp, OPEN_CLIP_WEIGHTS_FILE), weights);
    }
    for (const [name, data] of Object.entries(options.extraFiles ?? {})) writeFileDurable(join(tmp, name), data);
  });
}
