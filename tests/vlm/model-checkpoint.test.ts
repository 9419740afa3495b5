/**
 * Checkpoint folders (DESIGN §4): saving is atomic and loses nothing, both layouts load, every
 * storage dtype decodes, and bad folders fail with one clear line naming the file and the
 * problem: a config whose widths disagree with the weights, a missing or extra key, a
 * truncated safetensors file, a folder that is not a checkpoint.
 */

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSafetensors, serializeSafetensors } from "../../packages/nn/src/index.js";
import { Generator, randn } from "../../packages/tensor/src/index.js";
import {
  CLIP,
  loadCheckpoint,
  ModelError,
  parseModelConfig,
  saveCheckpoint,
  trainBpe,
  type ModelConfigJson,
} from "../../packages/vlm/src/index.js";

const root = mkdtempSync(join(tmpdir(), "duet-ckpt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = (name = "ckpt") => join(root, `${name}-${counter++}`);

const tinyJson = (): ModelConfigJson => ({
  embed_dim: 8,
  vision_cfg: { image_size: 16, layers: 2, width: 16, patch_size: 8, head_width: 8 },
  text_cfg: { context_length: 8, vocab_size: 600, width: 8, heads: 2, layers: 1 },
});
const tiny = (json = tinyJson()) => new CLIP(parseModelConfig(json), { generator: new Generator(11) });

function stateEqual(a: CLIP, b: CLIP): void {
  const sb = b.stateDict();
  expect([...a.stateDict().keys()].sort()).toEqual([...sb.keys()].sort());
  for (const [k, t] of a.stateDict()) expect(Array.from(sb.get(k)!.contiguousData()), k).toEqual(Array.from(t.contiguousData()));
}

function expectModelError(fn: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected an error").toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message.includes("\n"), "one line").toBe(false);
}

describe("saveCheckpoint / loadCheckpoint", () => {
  it("round-trips a model exactly (F32), in Duet's layout, with extra files", () => {
    const model = tiny();
    const dir = fresh();
    saveCheckpoint(dir, model, { extraFiles: { "train_state.json": '{"step": 3}\n' } });
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors", "train_state.json"]);
    const loaded = loadCheckpoint(dir);
    expect(loaded.layout).toBe("duet");
    expect(loaded.config).toEqual(model.config);
    stateEqual(loaded.model, model);
    expect(loaded.model.training).toBe(false);
    const header = parseSafetensors(readFileSync(join(dir, "model.safetensors")));
    expect(header.metadata).toEqual({ format: "pt" });
    expect(header.entries.get("logit_scale")!.shape).toEqual([]);
  });

  it("stores F16 / BF16 / F64 and reads them back into float32 (or float64)", () => {
    const model = tiny();
    for (const floatDtype of ["F16", "BF16", "F64"] as const) {
      const dir = fresh(floatDtype);
      saveCheckpoint(dir, model, { floatDtype });
      const entries = parseSafetensors(readFileSync(join(dir, "model.safetensors"))).entries;
      expect(new Set([...entries.values()].map((e) => e.dtype))).toEqual(new Set([floatDtype]));
      const { model: back } = loadCheckpoint(dir, { dtype: floatDtype === "F64" ? "float64" : "float32" });
      const tolerance = floatDtype === "F16" ? 1e-3 : floatDtype === "BF16" ? 1e-2 : 0;
      for (const [k, t] of model.stateDict()) {
        const got = back.stateDict().get(k)!.contiguousData();
        t.contiguousData().forEach((v, i) => expect(Math.abs(got[i]! - v), k).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(v))));
      }
    }
  });

  it("saves a trained tokenizer as tokenizer.json and loads it with the model", () => {
    const tokenizer = trainBpe(["a red circle", "a blue square", "a red square", "two blue circles"], { vocabSize: 530 });
    const dir = fresh();
    saveCheckpoint(dir, tiny(), { tokenizer });
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { duet: { tokenizer: string } };
    expect(config.duet.tokenizer).toBe("tokenizer.json");
    const loaded = loadCheckpoint(dir);
    expect(loaded.tokenizer.encode("a red square")).toEqual(tokenizer.encode("a red square"));
    expect(loaded.tokenize(["a red square"]).shape).toEqual([1, 8]);
    rmSync(join(dir, "tokenizer.json"));
    expectModelError(() => loadCheckpoint(dir), /tokenizer\.json: the config names the tokenizer "tokenizer\.json", but the file is missing/);
  });

  it("writes open_clip's own layout too", () => {
    const dir = fresh();
    saveCheckpoint(dir, tiny(), { layout: "open_clip" });
    expect(readdirSync(dir).sort()).toEqual(["open_clip_config.json", "open_clip_model.safetensors"]);
    const json = JSON.parse(readFileSync(join(dir, "open_clip_config.json"), "utf8")) as { model_cfg: Record<string, unknown>; preprocess_cfg: Record<string, unknown> };
    expect(json.model_cfg["duet"]).toBeUndefined();
    expect(json.preprocess_cfg["size"]).toBe(16);
    const loaded = loadCheckpoint(dir);
    expect(loaded.layout).toBe("open_clip");
    stateEqual(loaded.model, tiny());
    const cnn = tiny({ ...tinyJson(), duet: { image_tower: "cnn", cnn_channels: [4] } });
    expectModelError(() => saveCheckpoint(fresh(), cnn, { layout: "open_clip" }), /open_clip's layout holds only ViT models/);
  });

  it("replaces a folder atomically: no stale files, no temporary folders; a failed save changes nothing", () => {
    const dir = fresh("atomic");
    saveCheckpoint(dir, tiny(), { extraFiles: { "old.txt": "old" } });
    const other = tiny();
    other.logitScale.value.data[0] = 1.5;
    saveCheckpoint(dir, other);
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors"]);
    expect(readdirSync(root).filter((f) => f.startsWith("."))).toEqual([]);
    expect(loadCheckpoint(dir).model.logitScale.item()).toBe(1.5);
    // a file that cannot be written fails the save before the swap
    expectModelError(() => saveCheckpoint(dir, tiny(), { extraFiles: { "bad.bin": 5 as unknown as string } }), /saveCheckpoint: .*writing failed, nothing was changed/);
    expect(loadCheckpoint(dir).model.logitScale.item()).toBe(1.5);
    expect(readdirSync(root).filter((f) => f.startsWith("."))).toEqual([]);
    expectModelError(() => saveCheckpoint(dir, tiny(), { extraFiles: { "config.json": "{}" } }), /extraFiles: "config\.json" must be a plain file name/);
  });

  it("an interrupted save is named by the loader", () => {
    const dir = fresh("interrupted");
    mkdirSync(join(root, `.${dir.split("/").pop()}.old-123-abc`));
    expectModelError(() => loadCheckpoint(dir), /no such checkpoint folder; a save was interrupted and left the previous checkpoint in .*\.old-123-abc: rename it/);
  });
});

describe("bad checkpoints fail clearly", () => {
  const saved = () => {
    const dir = fresh("bad");
    saveCheckpoint(dir, tiny());
    return dir;
  };
  const editConfig = (dir: string, edit: (json: Record<string, Record<string, unknown>>) => void) => {
    const path = join(dir, "config.json");
    const json = JSON.parse(readFileSync(path, "utf8"));
    edit(json);
    writeFileSync(path, JSON.stringify(json));
  };
  const editWeights = (dir: string, edit: (tensors: Map<string, ReturnType<typeof randn>>) => void) => {
    const path = join(dir, "model.safetensors");
    const tensors = parseSafetensors(readFileSync(path)).tensors;
    edit(tensors);
    writeFileSync(path, serializeSafetensors(tensors));
  };

  it("a config whose widths disagree with the weights names the field", () => {
    const dir = saved();
    editConfig(dir, (j) => {
      j["vision_cfg"]!["width"] = 32;
      j["vision_cfg"]!["head_width"] = 16;
    });
    expectModelError(() => loadCheckpoint(dir), /model\.safetensors: config\.json does not match the weights: vision_cfg\.width = 32, but visual\.conv1\.weight is \[16,3,8,8\], which means 16/);
    const dir2 = saved();
    editConfig(dir2, (j) => {
      j["text_cfg"]!["layers"] = 3;
      j["embed_dim"] = 16 as never;
    });
    expectModelError(() => loadCheckpoint(dir2), /embed_dim = 16, but visual\.proj is \[16,8\], which means 8.*text_cfg\.layers = 3, but the weights have 1 blocks/);
  });

  it("a state dict with a missing or an extra key names it", () => {
    const dir = saved();
    editWeights(dir, (t) => t.delete("ln_final.bias"));
    expectModelError(() => loadCheckpoint(dir), /model\.safetensors: the weights do not fit the model config\.json describes: 1 missing key: ln_final\.bias/);
    const dir2 = saved();
    editWeights(dir2, (t) => t.set("visual.extra", randn([2])));
    expectModelError(() => loadCheckpoint(dir2), /1 unexpected key: visual\.extra/);
  });

  it("a truncated safetensors file is refused before use", () => {
    const dir = saved();
    const path = join(dir, "model.safetensors");
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    expectModelError(() => loadCheckpoint(dir), /model\.safetensors: tensor ".*": data_offsets \[\d+, \d+\] run past the end of the data section/);
    writeFileSync(path, bytes.subarray(0, 5));
    expectModelError(() => loadCheckpoint(dir), /model\.safetensors: file is 5 bytes, shorter than the 8-byte header length/);
  });

  it("folders that are not checkpoints, and broken configs", () => {
    const empty = fresh("empty");
    mkdirSync(empty);
    expectModelError(() => loadCheckpoint(empty), /not a checkpoint folder: expected config\.json \+ model\.safetensors \(Duet\) or open_clip_config\.json \+ open_clip_model\.safetensors \(open_clip\)/);
    expectModelError(() => loadCheckpoint(join(root, "nowhere")), /no such checkpoint folder/);
    const dir = saved();
    writeFileSync(join(dir, "config.json"), "{ not json");
    expectModelError(() => loadCheckpoint(dir), /config\.json: not valid JSON/);
    const dir2 = saved();
    editConfig(dir2, (j) => (j["vision_cfg"]!["patch_szie"] = 8));
    expectModelError(() => loadCheckpoint(dir2), /config\.json: unknown key "patch_szie" in vision_cfg/);
    const dir3 = saved();
    rmSync(join(dir3, "model.safetensors"));
    expectModelError(() => loadCheckpoint(dir3), /model\.safetensors: the weights file is missing/);
    const pickled = fresh("pickle");
    mkdirSync(pickled);
    writeFileSync(join(pickled, "open_clip_config.json"), JSON.stringify({ model_cfg: tinyJson() }));
    writeFileSync(join(pickled, "open_clip_pytorch_model.bin"), "x");
    expectModelError(() => loadCheckpoint(pickled), /Duet reads safetensors, not pickles/);
    expect(() => loadCheckpoint(join(dir, "model.safetensors"))).toThrow(ModelError);
    expect(existsSync(dir)).toBe(true);
  });
});
