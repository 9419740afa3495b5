/**
 * `duet export --to open_clip` of a CoCa: open_clip's CoCa layout (multimodal_cfg, custom_text,
 * text.* / visual.attn_pool.* / text_decoder.*), and the way back.
 *
 *   - the export of tests/fixtures/export/coca/checkpoint is byte for byte the folder open_clip
 *     3.3.0 built a CoCa from and loaded with strict=True when tools/make_export_fixtures.py
 *     (coca) ran, and Duet on it gives open_clip's features and decoder logits (float64);
 *   - export -> loadCheckpoint gives the checkpoint's features and decoder logits exactly, on a
 *     learned BPE (the fixture) and on CLIP's tokenizer (a fresh model);
 *   - the exported tokenizer gives open_clip's ids for the fixture's captions.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../packages/nn/src/node.js";
import { Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import { CoCa, exportOpenClip, isCoCa, loadCheckpoint, parseModelConfig, saveCheckpoint, type CLIP } from "../../packages/vlm/src/index.js";
import { tinyCoca } from "./coca-helpers.js";
import { tempDir } from "./train-helpers.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/export/coca");
const CHECKPOINT = join(FIXTURES, "checkpoint");
const recorded = JSON.parse(readFileSync(join(FIXTURES, "open_clip.json"), "utf8")) as {
  config_sha256: string; weights_sha256: string; strict: boolean; missing_keys: string[]; unexpected_keys: string[]; model: string; parameters: string[]; captions: string[];
};
const outputs = readSafetensors(join(FIXTURES, "open_clip_outputs.safetensors"), { floatDtype: "float64" }).tensors;
const output = (name: string): Tensor => {
  const t = outputs.get(name);
  if (t === undefined) throw new Error(`open_clip_outputs.safetensors has no ${name}`);
  return t;
};
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** What the round trip compares: normalised features and the decoder's logits for tokens[:, :-1]. */
function run(model: CLIP, pixels: Tensor, tokens: Tensor) {
  if (!isCoCa(model)) throw new Error("expected a CoCa");
  const out = model.forward(pixels, tokens);
  return { image: out.imageFeatures.value, text: out.textFeatures.value, logits: out.logits.value, logitScale: out.logitScale.value };
}

function expectClose(label: string, got: Tensor, want: Tensor, tolerance: number): void {
  expect(got.shape, `${label}: shape`).toEqual(want.shape);
  const [g, w] = [got.contiguousData(), want.contiguousData()];
  let worst = 0;
  let at = 0;
  w.forEach((v, i) => {
    const d = Math.abs(g[i]! - v) / Math.max(1, Math.abs(v));
    if (d > worst) [worst, at] = [d, i];
  });
  expect(worst, `${label}[${at}]: ${g[at]} vs ${w[at]}`).toBeLessThanOrEqual(tolerance);
}

describe("duet export --to open_clip of a CoCa", () => {
  it("writes the folder open_clip built a CoCa from and loaded with strict=True, byte for byte", async () => {
    expect(recorded).toMatchObject({ model: "CoCa", strict: true, missing_keys: [], unexpected_keys: [] });
    const out = join(tempDir("coca-export"), "open_clip");
    const result = await exportOpenClip(CHECKPOINT, out);
    expect(result.tokenizer).toBe("hf");
    expect(sha256(join(out, "open_clip_config.json")), "open_clip_config.json differs from the one open_clip loaded: rerun tools/make_export_fixtures.py coca").toBe(recorded.config_sha256);
    expect(sha256(join(out, "open_clip_model.safetensors")), "the weights differ from the ones open_clip loaded: rerun tools/make_export_fixtures.py coca").toBe(recorded.weights_sha256);
    const { model_cfg: cfg } = JSON.parse(readFileSync(join(out, "open_clip_config.json"), "utf8")) as { model_cfg: Record<string, Record<string, unknown>> };
    expect(cfg["custom_text"]).toBe(true);
    expect(cfg["multimodal_cfg"]).toMatchObject({ width: 16, heads: 2, layers: 2, context_length: 12 });
    expect(cfg["vision_cfg"]).toMatchObject({ attentional_pool: true, attn_pooler_queries: 4, output_tokens: true });
    expect(cfg["text_cfg"]).toMatchObject({ embed_cls: true, output_tokens: true });
    const names = [...readSafetensors(join(out, "open_clip_model.safetensors")).tensors.keys()].sort();
    expect(names).toEqual([...recorded.parameters].sort());
    expect(names.filter((n) => n.startsWith("text_decoder.")).length).toBeGreaterThan(0);
  });

  it("Duet on the export gives open_clip's features and decoder logits (float64, to 1e-12), and open_clip's token ids", async () => {
    const out = join(tempDir("coca-export-parity"), "open_clip");
    await exportOpenClip(CHECKPOINT, out);
    const loaded = loadCheckpoint(out, { dtype: "float64" });
    expect(loaded.layout).toBe("open_clip");
    expect(loaded.tokenize(recorded.captions)).toEqual(output("tokens"));
    const got = run(loaded.model, output("pixels"), output("tokens"));
    expectClose("image_features", got.image, output("image_features"), 1e-12);
    expectClose("text_features", got.text, output("text_features"), 1e-12);
    expectClose("logits", got.logits, output("logits"), 1e-12);
    expectClose("logit_scale", got.logitScale.reshape([]), output("logit_scale"), 1e-12);
  });

  it("export and back: the learned-BPE fixture and a fresh CoCa on CLIP's tokenizer keep their features and decoder logits exactly", async () => {
    const dir = tempDir("coca-roundtrip");
    const fresh = new CoCa(parseModelConfig(tinyCoca()), { generator: new Generator(4) });
    saveCheckpoint(join(dir, "fresh"), fresh);
    const pixels = randn([3, 3, 16, 16], { generator: new Generator(9) });
    const tokens = new Tensor(new Int32Array([18, 3, 7, 19, 0, 0, 18, 19, 0, 0, 0, 0, 18, 1, 2, 3, 4, 19]), [3, 6]);
    for (const [name, source] of [["fixture", CHECKPOINT], ["fresh", join(dir, "fresh")]] as const) {
      const out = join(dir, `${name}-open_clip`);
      const result = await exportOpenClip(source, out);
      expect(result.tokenizer).toBe(name === "fixture" ? "hf" : "clip");
      const before = loadCheckpoint(source);
      const after = loadCheckpoint(out);
      expect(isCoCa(after.model), `${name}: loads back as a CoCa`).toBe(true);
      const input = name === "fixture" ? before.tokenize(recorded.captions).slice(0, 0, 3) : tokens;
      const [a, b] = [run(before.model, pixels, input), run(after.model, pixels, input)];
      for (const key of ["image", "text", "logits", "logitScale"] as const) expect(b[key], `${name}: ${key}`).toEqual(a[key]);
    }
  });
});
