/**
 * The Duet side of tests/fixtures/export/coca/, run by tools/make_export_fixtures.py (coca):
 *
 *   1. a tiny random CoCa on the learned BPE of tests/fixtures/export/duet-tokenizer.json
 *      (768 ids): ViT 16 px / patch 8, width 24, an attentional pooler (4 queries, 2 heads),
 *      text and decoder width 16, context 12. Every parameter gets a little noise on top of its
 *      init (LayerNorm ones and zeros, zero biases), so a tensor in the wrong slot shows.
 *      Saved as a Duet checkpoint: tests/fixtures/export/coca/checkpoint/;
 *   2. `duet export --to open_clip` of it into OUT, which the Python script loads with
 *      open_clip.create_model_and_transforms("local-dir:OUT") and load_state_dict(strict=True).
 *
 *   npx tsx tools/export-coca-fixture.ts OUT
 */

import { rmSync } from "node:fs";
import { join } from "node:path";
import { Generator, randn } from "@duet/tensor";
import { createModel, exportOpenClip, loadTokenizerFile, parseModelConfig, saveCheckpoint } from "@duet/vlm";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "tests", "fixtures", "export");
const CONTEXT_LENGTH = 12;
const out = process.argv[2];
if (out === undefined) throw new Error("usage: npx tsx tools/export-coca-fixture.ts OUT");

const tokenizer = loadTokenizerFile(join(FIXTURES, "duet-tokenizer.json"));
const config = parseModelConfig({
  embed_dim: 16,
  vision_cfg: { image_size: 16, patch_size: 8, width: 24, head_width: 8, layers: 1, attentional_pool: true, attn_pooler_queries: 4, attn_pooler_heads: 2 },
  text_cfg: { context_length: CONTEXT_LENGTH, vocab_size: tokenizer.vocabSize, width: 16, heads: 2, layers: 1, embed_cls: true },
  multimodal_cfg: { context_length: CONTEXT_LENGTH, vocab_size: tokenizer.vocabSize, width: 16, heads: 2, layers: 2 },
  custom_text: true,
  duet: { tokenizer: "tokenizer.json" },
});
const generator = new Generator(20251207);
const model = createModel(config, { generator });
for (const p of model.parameters()) {
  const noise = randn(p.shape, { generator }).contiguousData();
  const data = p.value.data;
  for (let i = 0; i < data.length; i++) data[i] = data[i]! + 0.05 * noise[i]!;
}
const checkpointDir = join(FIXTURES, "coca", "checkpoint");
saveCheckpoint(checkpointDir, model, { tokenizer });
rmSync(out, { recursive: true, force: true });
const result = await exportOpenClip(checkpointDir, out);
console.log(`${checkpointDir}: a CoCa of ${model.numParameters()} parameters; exported to ${out} (${result.files.join(", ")})`);
