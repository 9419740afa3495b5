/**
 * Text to token ids, as CLIP does it.
 *
 *   tokenize(["a photo of a cat"])            int32 [1, 77] with CLIP's vocabulary
 *   clipTokenizer().encode / .decode           ids of one text, text of ids
 *   trainBpe(captions, { vocabSize: 2000 })    a small CLIP-shaped vocabulary for small models
 *   saveTokenizerFile / loadTokenizerFile      its tokenizer.json in a checkpoint folder
 *
 * Identical to open_clip 3.3.0's SimpleTokenizer (ftfy 6.3.1, Python 3.11): see clean.ts, ftfy.ts
 * and pretokenize.ts for the few documented differences, all outside real captions.
 */

import type { Tensor } from "@duet/tensor";
import { DEFAULT_CONTEXT_LENGTH } from "./bpe.js";
import { clipTokenizer } from "./clip-vocab.js";

export {
  BpeTokenizer,
  DEFAULT_CONTEXT_LENGTH,
  END_OF_TEXT,
  START_OF_TEXT,
  SPECIAL_TOKENS,
  findMergeProblem,
  type BpeOptions,
  type Merge,
  type Tokenizer,
} from "./bpe.js";
export {
  CLIP_BPE_PATH,
  CLIP_EOT_TOKEN_ID,
  CLIP_SOT_TOKEN_ID,
  CLIP_VOCAB_SIZE,
  VocabFileError,
  clipTokenizer,
  loadClipTokenizer,
  parseClipMerges,
} from "./clip-vocab.js";
export { basicClean, cleanText, whitespaceClean } from "./clean.js";
export { detokenize } from "./detokenize.js";
export { fixText } from "./ftfy.js";
export { htmlUnescape } from "./html-unescape.js";
export { fitContextLength, learnMerges, trainBpe, type TrainOptions } from "./trainer.js";
export {
  TOKENIZER_FORMAT,
  TOKENIZER_FORMAT_VERSION,
  TokenizerFileError,
  parseTokenizerJson,
  tokenizerFromJson,
  tokenizerToJson,
  type TokenizerJson,
} from "./tokenizer-json.js";
export { loadTokenizerFile, saveTokenizerFile } from "./tokenizer-file.js";

/**
 * open_clip's `tokenize(texts, context_length=77)` with CLIP's vocabulary: one row per text,
 * [49406, ...tokens, 49407, 0, 0, ...]; a text too long is cut so that 49407 stays last.
 */
export function tokenize(texts: string | readonly string[], contextLength: number = DEFAULT_CONTEXT_LENGTH): Tensor {
  return clipTokenizer().tokenize(texts, contextLength);
}
