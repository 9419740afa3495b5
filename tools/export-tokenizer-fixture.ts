/**
 * The Duet side of tests/fixtures/export/, run by tools/make_export_fixtures.py:
 *
 *   1. learn a small BPE (768 ids) from OpenMoji's annotations and tags, as the demo learns its
 *      2,048, and save it in Duet's format: tests/fixtures/export/duet-tokenizer.json;
 *   2. write the Hugging Face tokenizer files `duet export` writes for it, with an
 *      open_clip_config.json whose text_cfg names them, into OUT (a folder open_clip's
 *      get_tokenizer("local-dir:OUT") reads; the Python script records its ids).
 *
 *   npx tsx tools/export-tokenizer-fixture.ts OUT
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openClipModelCfg, openMojiItems, parseModelConfig, saveTokenizerFile, trainBpe, writeHfTokenizerFiles } from "@duet/vlm";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "tests", "fixtures", "export");
const CONTEXT_LENGTH = 77;
const out = process.argv[2];
if (out === undefined) throw new Error("usage: npx tsx tools/export-tokenizer-fixture.ts OUT");

const corpus = openMojiItems().flatMap((item) => [item.annotation, `an emoji of ${item.annotation}`, ...item.tags]);
const tokenizer = trainBpe(corpus, { vocabSize: 768, contextLength: CONTEXT_LENGTH });
saveTokenizerFile(tokenizer, join(FIXTURES, "duet-tokenizer.json"));

const config = parseModelConfig({
  embed_dim: 32,
  vision_cfg: { image_size: 32, patch_size: 8, width: 32, layers: 1, head_width: 16 },
  text_cfg: { context_length: CONTEXT_LENGTH, vocab_size: tokenizer.vocabSize, width: 32, heads: 2, layers: 1 },
  duet: { tokenizer: "tokenizer.json" },
});
mkdirSync(out, { recursive: true });
writeHfTokenizerFiles(out, tokenizer, CONTEXT_LENGTH);
writeFileSync(join(out, "open_clip_config.json"), `${JSON.stringify({ model_cfg: openClipModelCfg(config, tokenizer), preprocess_cfg: {} }, null, 2)}\n`);
console.log(`duet-tokenizer.json: ${tokenizer.vocabSize} ids; HF files in ${out}`);
