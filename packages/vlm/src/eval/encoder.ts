/**
 * What evaluation needs of a model: the model, its tokenizer at its context length, and its
 * eval-time image preprocessing — a loaded checkpoint (LoadedCheckpoint has all three) or a
 * model in training (modelEncoder).
 */

import type { Tensor } from "@duet/tensor";
import type { RgbImage } from "../image/image.js";
import { preprocess } from "../image/preprocess.js";
import type { CLIP } from "../model/clip.js";
import { ModelError } from "../model/errors.js";
import type { Tokenizer } from "../tokenizer/bpe.js";

export interface Encoder {
  readonly model: CLIP;
  /** The texts as the model's input: int32 (B, context_length). */
  tokenize(texts: readonly string[]): Tensor;
  /** A decoded image as the model's input: float32 (3, size, size). */
  preprocessImage(image: RgbImage): Tensor;
}

/** The tokens, refusing ids the model's embedding table does not have (a tokenizer that is not the model's). */
export function checkTokenIds(model: CLIP, tokens: Tensor, source?: string): Tensor {
  const vocab = model.config.text_cfg.vocab_size;
  const ids = tokens.contiguousData();
  for (let i = 0; i < ids.length; i++) {
    if (ids[i]! >= vocab) {
      throw new ModelError("tokenize", `the tokenizer gives id ${ids[i]} but text_cfg.vocab_size is ${vocab}: this checkpoint needs its own tokenizer.json`, source);
    }
  }
  return tokens;
}

/** An encoder whose token ids are checked against the model's vocabulary. */
export function checkedEncoder(encoder: Encoder & { dir?: string }): Encoder {
  return {
    model: encoder.model,
    tokenize: (texts) => checkTokenIds(encoder.model, encoder.tokenize(texts), encoder.dir),
    preprocessImage: (image) => encoder.preprocessImage(image),
  };
}

/** A model and its tokenizer as an Encoder: the config's context length and preprocessing. */
export function modelEncoder(model: CLIP, tokenizer: Tokenizer): Encoder {
  const { context_length: contextLength } = model.config.text_cfg;
  const pre = model.config.duet.preprocess;
  return checkedEncoder({
    model,
    tokenize: (texts) => tokenizer.tokenize(texts, contextLength),
    preprocessImage: (image) => preprocess(image, pre.size, pre),
  });
}
