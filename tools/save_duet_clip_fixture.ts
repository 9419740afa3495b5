/**
 * The Duet side of tests/fixtures/clip/duet-saved/, run by tools/make_clip_fixtures.py (which
 * then loads the folder into open_clip with strict=True and compares features):
 *
 *   1. build the vit-quickgelu architecture with Duet's own initialisation (seeded), every
 *      1-D parameter perturbed so LayerNorms and biases matter;
 *   2. save it with saveCheckpoint, weights stored as BF16;
 *   3. load the folder back and record its normalised features and logits on the
 *      vit-quickgelu fixture's pixels and tokens in duet_features.safetensors.
 *
 *   npx tsx tools/save_duet_clip_fixture.ts
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { noGrad } from "@duet/autograd";
import { init } from "@duet/nn";
import { readSafetensors, writeSafetensors } from "@duet/nn/node";
import { Generator } from "@duet/tensor";
import { CLIP, loadCheckpoint, parseModelConfig, saveCheckpoint } from "@duet/vlm";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "tests", "fixtures", "clip");
const SOURCE = join(FIXTURES, "vit-quickgelu");
const OUT = join(FIXTURES, "duet-saved");
const SEED = 7;

const { model_cfg: modelCfg } = JSON.parse(readFileSync(join(SOURCE, "open_clip_config.json"), "utf8")) as { model_cfg: unknown };
const config = parseModelConfig(modelCfg, { source: "vit-quickgelu/open_clip_config.json" });
const generator = new Generator(SEED);
const model = new CLIP(config, { generator });
for (const [, p] of model.namedParameters()) {
  if (p.ndim !== 1) continue;
  const before = Float32Array.from(p.value.data);
  init.normal(p, 0, 0.05, { generator });
  p.value.data.forEach((v, i) => (p.value.data[i] = before[i]! + v));
}
saveCheckpoint(OUT, model, { floatDtype: "BF16" });

const { model: loaded } = loadCheckpoint(OUT);
const expected = readSafetensors(join(SOURCE, "expected.safetensors")).tensors;
const pixels = expected.get("pixels")!;
const tokens = expected.get("tokens")!;
const features = noGrad(() => {
  const imageFeatures = loaded.encodeImage(pixels, { normalize: true });
  const textFeatures = loaded.encodeText(tokens, { normalize: true });
  return {
    image_features: imageFeatures.value,
    text_features: textFeatures.value,
    logits_per_image: loaded.logits(imageFeatures, textFeatures).logitsPerImage.value,
  };
});
writeSafetensors(join(OUT, "duet_features.safetensors"), features);
console.log(`wrote ${OUT}`);
