/**
 * `duet export --to open_clip` (DESIGN §4) and the HF tokenizer it writes for a learned BPE:
 *
 *   - the tokenizers file Duet writes today is byte for byte the one open_clip + tokenizers read
 *     when tools/make_export_fixtures.py recorded their ids for 64 varied strings, and Duet gives
 *     those ids (so open_clip.get_tokenizer("local-dir:DIR") and duet tokenize agree);
 *   - Duet reads such a file back, also as open_clip re-saves it after training;
 *   - the folder: its files, the config keys open_clip reads, the weights' names; a new or
 *     empty --out only; export -> load gives the same features as the checkpoint it came from.
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseSafetensors } from "../../packages/nn/src/index.js";
import { Generator, randn, type Tensor } from "../../packages/tensor/src/index.js";
import {
  CLIP,
  hfTokenizerFromJson,
  hfTokenizerJson,
  loadCheckpoint,
  parseModelConfig,
  parseTokenizerJson,
  saveCheckpoint,
  TokenizerFileError,
  type BpeTokenizer,
  type ModelConfigJson,
} from "../../packages/vlm/src/index.js";
import { duet } from "./cli-helpers.js";
import { tempFolder } from "./data-helpers.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/export");
const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const strings = JSON.parse(read("strings.json")) as string[];
const recorded = JSON.parse(read("open_clip_ids.json")) as { tokenizer_json_sha256: string; context_length: number; ids: number[][] };
const fixtureTokenizer = parseTokenizerJson(read("duet-tokenizer.json"), "duet-tokenizer.json");

/** tokenizer.json as `duet export` writes it (JSON.stringify, 2 spaces, a final newline). */
const hfText = (tokenizer: BpeTokenizer) => `${JSON.stringify(hfTokenizerJson(tokenizer), null, 2)}\n`;

function rows(tokens: Tensor): number[][] {
  const [n, length] = tokens.shape as [number, number];
  const data = tokens.contiguousData();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * length, (i + 1) * length)));
}

/** The first string whose ids differ, with both rows, or null. */
function firstDifference(ids: number[][]): string | null {
  const i = ids.findIndex((row, k) => JSON.stringify(row) !== JSON.stringify(recorded.ids[k]));
  return i < 0 ? null : `${JSON.stringify(strings[i])}: got ${JSON.stringify(ids[i])}, open_clip ${JSON.stringify(recorded.ids[i])}`;
}

describe("the HF tokenizer file of a learned BPE", () => {
  it("is the very file open_clip + tokenizers read when the fixture ids were recorded", () => {
    expect(strings).toHaveLength(64);
    expect(recorded.ids).toHaveLength(64);
    expect(createHash("sha256").update(hfText(fixtureTokenizer)).digest("hex")).toBe(recorded.tokenizer_json_sha256);
  });

  it("Duet's tokenizer gives open_clip's ids for the 64 strings (unicode, long, empty, entities)", () => {
    expect(firstDifference(rows(fixtureTokenizer.tokenize(strings, recorded.context_length)))).toBeNull();
    // the fixture holds the cases the test is about
    expect(strings).toContain("");
    expect(recorded.ids.some((row) => row[row.length - 1] === fixtureTokenizer.eotTokenId)).toBe(true); // a text cut at 77
  });

  it("reads back as the same tokenizer, from Duet's file and from open_clip's re-save", () => {
    for (const [name, json] of [["exported", JSON.parse(hfText(fixtureTokenizer))], ["re-saved by open_clip", JSON.parse(read("resaved-tokenizer.json"))]] as const) {
      const back = hfTokenizerFromJson(json, name, recorded.context_length);
      expect(back.merges, name).toEqual(fixtureTokenizer.merges);
      expect(firstDifference(rows(back.tokenize(strings))), name).toBeNull();
    }
  });

  it("refuses a tokenizers file Duet would tokenise differently, naming what differs", () => {
    const base = () => JSON.parse(hfText(fixtureTokenizer)) as Record<string, any>;
    const cases: [string, (json: Record<string, any>) => void, RegExp][] = [
      ["normalizer", (j) => (j["normalizer"] = { type: "Lowercase" }), /"normalizer" must be null/],
      ["regex", (j) => (j["pre_tokenizer"].pretokenizers[0].pattern.Regex = "\\w+"), /"pre_tokenizer" must be CLIP's regex split/],
      ["suffix", (j) => (j["model"].end_of_word_suffix = null), /end_of_word_suffix must be "<\/w>"/],
      ["ids", (j) => ([j["model"].vocab["!"], j["model"].vocab['"']] = [1, 0]), /model\.vocab\["!"\] is 1, expected 0/],
      ["merge", (j) => (j["model"].merges[3] = "zz qq"), /model\.merges\[3\]/],
      ["template", (j) => (j["post_processor"].single = j["post_processor"].single.slice(1)), /"post_processor" must be the template/],
    ];
    for (const [name, change, message] of cases) {
      const json = base();
      change(json);
      expect(() => hfTokenizerFromJson(json, "tokenizer.json"), name).toThrow(TokenizerFileError);
      expect(() => hfTokenizerFromJson(json, "tokenizer.json"), name).toThrow(message);
    }
  });
});

const tinyJson = (tokenizer: "clip" | "tokenizer.json", vocabSize: number): ModelConfigJson => ({
  embed_dim: 16,
  vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 },
  text_cfg: { context_length: 12, vocab_size: vocabSize, width: 16, heads: 2, layers: 1 },
  duet: { tokenizer },
});

function features(path: string, texts: string[], images: Tensor): { text: number[]; image: number[]; ids: number[] } {
  const checkpoint = loadCheckpoint(path);
  const tokens = checkpoint.tokenize(texts);
  return {
    text: Array.from(checkpoint.model.encodeText(tokens, { normalize: true }).value.contiguousData()),
    image: Array.from(checkpoint.model.encodeImage(images, { normalize: true }).value.contiguousData()),
    ids: Array.from(tokens.contiguousData()),
  };
}

describe("duet export --to open_clip", () => {
  const folder = tempFolder("export");
  const learned = join(folder.dir, "learned");
  const model = new CLIP(parseModelConfig(tinyJson("tokenizer.json", fixtureTokenizer.vocabSize)), { generator: new Generator(3) });
  saveCheckpoint(learned, model, { tokenizer: fixtureTokenizer });
  const texts = strings.slice(0, 16);
  const images = randn([3, 3, 16, 16], { generator: new Generator(4) });

  it("writes open_clip's layout with the HF tokenizer files and the keys open_clip reads", async () => {
    const out = join(folder.dir, "oc-learned");
    const result = await duet("export", "--checkpoint", learned, "--to", "open_clip", "--out", out, "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    expect(result.json()).toMatchObject({ tokenizer: "hf" });
    expect(readdirSync(out).sort()).toEqual(["open_clip_config.json", "open_clip_model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]);
    const config = JSON.parse(readFileSync(join(out, "open_clip_config.json"), "utf8"));
    expect(Object.keys(config).sort()).toEqual(["model_cfg", "preprocess_cfg"]);
    expect(config.model_cfg).not.toHaveProperty("duet");
    expect(config.model_cfg.text_cfg).toMatchObject({
      hf_tokenizer_name: ".",
      tokenizer_kwargs: { clean: "lower", strip_sep_token: true },
      pool_type: "eos",
      eos_id: fixtureTokenizer.eotTokenId,
      context_length: 12,
      vocab_size: fixtureTokenizer.vocabSize,
    });
    expect(config.preprocess_cfg).toMatchObject({ size: 16, interpolation: "bicubic", resize_mode: "shortest" });
    const tokenizerConfig = JSON.parse(readFileSync(join(out, "tokenizer_config.json"), "utf8"));
    expect(tokenizerConfig).toMatchObject({ tokenizer_class: "PreTrainedTokenizerFast", model_max_length: 12, pad_token: "<PAD>", sep_token: "<PAD>" });
    expect(readFileSync(join(out, "tokenizer.json"), "utf8")).toBe(hfText(fixtureTokenizer));
    const weights = parseSafetensors(new Uint8Array(readFileSync(join(out, "open_clip_model.safetensors"))));
    expect([...weights.tensors.keys()].sort()).toEqual([...model.stateDict().keys()].sort());
    expect(weights.tensors.get("logit_scale")!.shape).toEqual([]);
    expect(new Set([...weights.entries.values()].map((entry) => entry.dtype))).toEqual(new Set(["F32"]));
  });

  it("reads back (the way home) with identical token ids and features", async () => {
    const out = join(folder.dir, "oc-learned");
    const before = features(learned, texts, images);
    const after = features(out, texts, images);
    expect(loadCheckpoint(out).layout).toBe("open_clip");
    expect(after.ids).toEqual(before.ids);
    expect(after.text).toEqual(before.text);
    expect(after.image).toEqual(before.image);
    // and once more: the returned folder exports again to the same tokenizer file
    const again = join(folder.dir, "oc-again");
    expect((await duet("export", "--checkpoint", out, "--to", "open_clip", "--out", again)).code).toBe(0);
    expect(readFileSync(join(again, "tokenizer.json"), "utf8")).toBe(hfText(fixtureTokenizer));
  });

  it("reads a folder as open_clip saves it after training (save_for_hf), and refuses tokenizer options it cannot reproduce", () => {
    const exported = join(folder.dir, "oc-learned");
    const saved = join(folder.dir, "oc-saved");
    mkdirSync(saved);
    const config = JSON.parse(readFileSync(join(exported, "open_clip_config.json"), "utf8"));
    // open_clip's save_config_for_hf: mean, std, interpolation, resize_mode (no size)
    const { mean, std, interpolation, resize_mode } = config.preprocess_cfg;
    writeFileSync(join(saved, "open_clip_config.json"), JSON.stringify({ model_cfg: config.model_cfg, preprocess_cfg: { mean, std, interpolation, resize_mode } }));
    writeFileSync(join(saved, "open_clip_model.safetensors"), readFileSync(join(exported, "open_clip_model.safetensors")));
    writeFileSync(join(saved, "tokenizer.json"), read("resaved-tokenizer.json")); // as HFTokenizer.save_pretrained writes it
    writeFileSync(join(saved, "tokenizer_config.json"), JSON.stringify({ backend: "tokenizers", pad_token: "<PAD>", sep_token: "<PAD>", tokenizer_class: "TokenizersBackend" }));
    expect(features(saved, texts, images)).toEqual(features(learned, texts, images));

    config.model_cfg.text_cfg.tokenizer_kwargs = { clean: "whitespace", strip_sep_token: true };
    writeFileSync(join(saved, "open_clip_config.json"), JSON.stringify(config));
    expect(() => loadCheckpoint(saved)).toThrow(/tokenizer_kwargs \{"clean":"whitespace","strip_sep_token":true\}; Duet reproduces only \{"clean":"lower","strip_sep_token":true\}/);
  });

  it("a model on CLIP's BPE keeps open_clip's default tokenizer: no tokenizer files, no hf_tokenizer_name", async () => {
    const clipModel = join(folder.dir, "clip-bpe");
    saveCheckpoint(clipModel, new CLIP(parseModelConfig(tinyJson("clip", 49408)), { generator: new Generator(5) }));
    const out = join(folder.dir, "oc-clip");
    const result = await duet("export", "--checkpoint", clipModel, "--to", "open_clip", "--out", out, "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["open_clip_config.json", "open_clip_model.safetensors"]);
    const textCfg = JSON.parse(readFileSync(join(out, "open_clip_config.json"), "utf8")).model_cfg.text_cfg;
    expect(textCfg).not.toHaveProperty("hf_tokenizer_name");
    expect(textCfg.pool_type).toBe("argmax");
    expect(features(out, texts, images)).toEqual(features(clipModel, texts, images));
  });

  it("--out must be new or empty: a folder holding anything is refused and left as it was", async () => {
    const busy = join(folder.dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "notes.txt"), "mine");
    const refused = await duet("export", "--checkpoint", learned, "--to", "open_clip", "--out", busy);
    expect(refused.code).toBe(2);
    expect(refused.stderr.join("\n")).toMatch(/new or empty folder.*holds 1 entry \(notes\.txt\)/);
    expect(readdirSync(busy)).toEqual(["notes.txt"]);
    const empty = join(folder.dir, "empty");
    mkdirSync(empty);
    expect((await duet("export", "--checkpoint", learned, "--to", "open_clip", "--out", empty)).code).toBe(0);
    expect(existsSync(join(empty, "open_clip_model.safetensors"))).toBe(true);
    expect(readdirSync(folder.dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  it("bad input exits 2 with one line: unknown target, missing checkpoint, a tower open_clip has not", async () => {
    const target = await duet("export", "--checkpoint", learned, "--to", "onnx", "--out", join(folder.dir, "x"));
    expect([target.code, target.stderr]).toEqual([2, ['duet export: --to must be open_clip, got "onnx"']]);
    const missing = await duet("export", "--checkpoint", join(folder.dir, "nope"), "--to", "open_clip", "--out", join(folder.dir, "y"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toHaveLength(1);
    const cnn = join(folder.dir, "cnn");
    saveCheckpoint(cnn, new CLIP(parseModelConfig({ ...tinyJson("clip", 49408), duet: { tokenizer: "clip", image_tower: "cnn", cnn_channels: [4] } }), { generator: new Generator(6) }));
    const refused = await duet("export", "--checkpoint", cnn, "--to", "open_clip", "--out", join(folder.dir, "z"));
    expect(refused.code).toBe(2);
    expect(refused.stderr.join("\n")).toMatch(/open_clip's CLIP cannot hold this model: its image tower is Duet's CNN/);
    expect(existsSync(join(folder.dir, "z"))).toBe(false);
  });
});
