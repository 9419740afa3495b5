/**
 * Leaving Duet for open_clip and coming back (DESIGN §3, §4; docs/scale-out.md): a checkpoint as
 * open_clip's own folder, the training data as open_clip_train reads it, and a learned BPE as a
 * Hugging Face tokenizers file that Duet also reads back.
 */

export { EXPORTED_HF_TOKENIZER_NAME, HF_SPECIAL_TOKENS_FILE, HF_TOKENIZER_CONFIG_FILE, exportOpenClip, openClipModelCfg, writeHfTokenizerFiles, type ExportOpenClipResult } from "./open-clip.js";
export { EXPORT_INFO_FILE, PAIRS_FILE, SIZES_FILE, exportData, type ExportDataOptions, type ExportDataResult, type ExportDataSource } from "./data.js";
export { writeTarShard, type ShardSample } from "./tar-shards.js";
export { checkOutFolder, writeNewFolder } from "./out-folder.js";
export {
  HF_PAD_TOKEN,
  HF_TOKENIZER_KWARGS,
  hfSpecialTokensMap,
  hfTokenizerConfig,
  hfTokenizerFromJson,
  hfTokenizerJson,
  isHfTokenizerJson,
  loadAnyTokenizerFile,
  onigPreTokenizerPattern,
} from "../tokenizer/hf-tokenizer.js";
