/**
 * `duet export --to open_clip`: a checkpoint (Duet's layout or open_clip's) as the folder
 * open_clip loads by itself with `"local-dir:DIR"` (DESIGN §4):
 *
 *   DIR/open_clip_config.json        {"model_cfg": open_clip's keys, "preprocess_cfg": {...}}
 *   DIR/open_clip_model.safetensors  the state dict, open_clip's names, F32
 *   and, for a model on a learned BPE (../tokenizer/hf-tokenizer.ts):
 *   DIR/tokenizer.json               a Hugging Face `tokenizers` file of the same vocabulary
 *   DIR/tokenizer_config.json        what AutoTokenizer.from_pretrained(DIR) reads beside it
 *   DIR/special_tokens_map.json
 *
 * For the learned BPE, model_cfg.text_cfg gets
 *   hf_tokenizer_name  "."   (any non-empty name: with "local-dir:" open_clip reads the tokenizer
 *                             from DIR itself; set it to the repository id after an upload to a hub)
 *   tokenizer_kwargs   {"clean": "lower", "strip_sep_token": true}   Duet's cleaning, zero padding
 *   pool_type "eos", eos_id = <end_of_text>'s id   the features at the first end-of-text, which is
 *                             where "argmax" pooled (end-of-text is the largest id of Duet's BPE),
 *                             but stays right if a caller pads with <PAD> (id V) and does not strip it
 * A model on CLIP's own BPE keeps open_clip's defaults: no tokenizer file, SimpleTokenizer.
 *
 * The checkpoint is loaded and validated first (config against shapes, every tensor), so a broken
 * one fails before anything is written; the folder is written atomically and only where nothing is
 * (./out-folder.ts).
 */

import { join } from "node:path";
import { serializeSafetensors } from "@duet/nn";
import { writeFileDurable } from "../model/atomic-folder.js";
import { loadCheckpoint, OPEN_CLIP_CONFIG_FILE, OPEN_CLIP_WEIGHTS_FILE, TOKENIZER_FILE } from "../model/checkpoint.js";
import { isOpenClipCompatible, modelConfigToJson, preprocessCfgToJson, type ModelConfig } from "../model/config.js";
import { ModelError } from "../model/errors.js";
import { BpeTokenizer } from "../tokenizer/bpe.js";
import { HF_TOKENIZER_KWARGS, hfSpecialTokensMap, hfTokenizerConfig, hfTokenizerJson } from "../tokenizer/hf-tokenizer.js";
import { checkOutFolder, writeNewFolder } from "./out-folder.js";

export const HF_TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
export const HF_SPECIAL_TOKENS_FILE = "special_tokens_map.json";
/** text_cfg.hf_tokenizer_name of an export: open_clip's "local-dir:" reads the tokenizer from the folder. */
export const EXPORTED_HF_TOKENIZER_NAME = ".";

export interface ExportOpenClipResult {
  outDir: string;
  /** "clip": open_clip's default tokenizer; "hf": the learned BPE as a tokenizers file. */
  tokenizer: "clip" | "hf";
  files: string[];
  seconds: number;
}

const OP = "export";

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** open_clip_config.json's model_cfg of a config: open_clip's keys, with the tokenizer's where learned. */
export function openClipModelCfg(config: ModelConfig, tokenizer: BpeTokenizer | null): Record<string, unknown> {
  const { duet: _duet, ...modelCfg } = modelConfigToJson(config);
  if (tokenizer === null) return modelCfg;
  const textCfg = { ...(modelCfg["text_cfg"] as Record<string, unknown>) };
  textCfg["hf_tokenizer_name"] = EXPORTED_HF_TOKENIZER_NAME;
  textCfg["tokenizer_kwargs"] = { ...HF_TOKENIZER_KWARGS };
  textCfg["pool_type"] = "eos";
  textCfg["eos_id"] = tokenizer.eotTokenId;
  return { ...modelCfg, text_cfg: textCfg };
}

/** Writes the HF tokenizer files of a learned BPE into `dir`; returns their names. */
export function writeHfTokenizerFiles(dir: string, tokenizer: BpeTokenizer, contextLength: number): string[] {
  writeFileDurable(join(dir, TOKENIZER_FILE), json(hfTokenizerJson(tokenizer)));
  writeFileDurable(join(dir, HF_TOKENIZER_CONFIG_FILE), json(hfTokenizerConfig(tokenizer, contextLength)));
  writeFileDurable(join(dir, HF_SPECIAL_TOKENS_FILE), json(hfSpecialTokensMap()));
  return [TOKENIZER_FILE, HF_TOKENIZER_CONFIG_FILE, HF_SPECIAL_TOKENS_FILE];
}

/** Exports the checkpoint at `checkpointPath` as an open_clip folder at `outDir` (absent or empty). */
export async function exportOpenClip(checkpointPath: string, outDir: string): Promise<ExportOpenClipResult> {
  const started = performance.now();
  checkOutFolder(OP, outDir);
  const checkpoint = loadCheckpoint(checkpointPath);
  const { config } = checkpoint;
  if (!isOpenClipCompatible(config)) {
    const why = config.duet.image_tower !== "vit" ? `its image tower is Duet's CNN` : config.duet.projection !== "linear" ? `its projection heads are MLPs` : `it pools the text by its mean`;
    throw new ModelError(OP, `open_clip's CLIP cannot hold this model: ${why} (open_clip has ViT towers with linear projections and token pooling)`, checkpointPath);
  }
  let learned: BpeTokenizer | null = null;
  if (config.duet.tokenizer !== "clip") {
    if (!(checkpoint.tokenizer instanceof BpeTokenizer)) throw new ModelError(OP, `the checkpoint's tokenizer is not a BPE that can be written as a tokenizers file`, checkpointPath);
    learned = checkpoint.tokenizer;
  }
  // serialise first: a bad tensor fails before the folder exists
  const weights = serializeSafetensors(checkpoint.model.stateDict(), { floatDtype: "F32", metadata: { format: "pt" } });
  const modelCfg = openClipModelCfg(config, learned);
  const files = await writeNewFolder(OP, outDir, (tmp) => {
    writeFileDurable(join(tmp, OPEN_CLIP_CONFIG_FILE), json({ model_cfg: modelCfg, preprocess_cfg: preprocessCfgToJson(config) }));
    writeFileDurable(join(tmp, OPEN_CLIP_WEIGHTS_FILE), weights);
    const written = [OPEN_CLIP_CONFIG_FILE, OPEN_CLIP_WEIGHTS_FILE];
    if (learned !== null) written.push(...writeHfTokenizerFiles(tmp, learned, config.text_cfg.context_length));
    return written;
  });
  return { outDir, tokenizer: learned === null ? "clip" : "hf", files, seconds: (performance.now() - started) / 1000 };
}
