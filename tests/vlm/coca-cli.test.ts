/**
 * The CLIP commands on a CoCa checkpoint (issue #16): `duet embed`, `classify`, `eval zeroshot`,
 * `eval retrieval`, `index` and `search` run on a CoCa as on a CLIP — a CoCa has CLIP's surface
 * (encodeImage, encodeText, logits) and createModel / loadCheckpoint build it from its config.
 * The checkpoint is tests/fixtures/export/coca/checkpoint (a tiny random CoCa on a learned BPE),
 * in Duet's layout, and exported to open_clip's. The browser page's checkpoint loading builds a
 * CoCa from it too.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stack } from "../../packages/tensor/src/index.js";
import { checkpointFromFiles } from "../../packages/vlm/src/browser/checkpoint.js";
import { embedImages, embedTexts, exportOpenClip, isCoCa, loadCheckpoint, readImage } from "../../packages/vlm/src/index.js";
import { cliWorkspace, duet, IMAGES } from "./cli-helpers.js";

const CHECKPOINT = join(import.meta.dirname, "../fixtures/export/coca/checkpoint");
const work = cliWorkspace("coca-cli");

describe("the CLIP commands on a CoCa checkpoint", () => {
  it("duet embed gives the CoCa's normalised features and logit scale", async () => {
    const result = await duet("embed", "--checkpoint", CHECKPOINT, "--image", IMAGES[0]!, "--text", "a red apple", "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    const out = result.json<{ image_features: number[][]; text_features: number[][]; logit_scale: number }>();
    const checkpoint = loadCheckpoint(CHECKPOINT);
    expect(isCoCa(checkpoint.model)).toBe(true);
    const image = checkpoint.model.encodeImage(checkpoint.preprocessImage(await readImage(IMAGES[0]!)).unsqueeze(0), { normalize: true });
    const text = checkpoint.model.encodeText(checkpoint.tokenize(["a red apple"]), { normalize: true });
    expect(out.image_features[0]!.map((v, i) => Math.abs(v - image.value.data[i]!)).every((d) => d < 1e-6)).toBe(true);
    expect(out.text_features[0]!.map((v, i) => Math.abs(v - text.value.data[i]!)).every((d) => d < 1e-6)).toBe(true);
    expect(out.logit_scale).toBeCloseTo(Math.exp(checkpoint.model.logitScale.value.data[0]!), 4);
  });

  it("duet classify ranks the labels with probabilities that sum to 1", async () => {
    const result = await duet("classify", "--checkpoint", CHECKPOINT, "--image", IMAGES[2]!, "--labels", "cat,dog,coffee", "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    const { labels } = result.json<{ labels: { label: string; probability: number }[] }>();
    expect(labels.map((l) => l.label).sort()).toEqual(["cat", "coffee", "dog"]);
    expect(labels.reduce((s, l) => s + l.probability, 0)).toBeCloseTo(1, 5);
  });

  it("duet eval zeroshot and eval retrieval report their metrics, on Duet's layout and on the open_clip export", async () => {
    const exported = join(work.dir, "coca-open_clip");
    await exportOpenClip(CHECKPOINT, exported);
    for (const checkpoint of [CHECKPOINT, exported]) {
      const zeroshot = await duet("eval", "zeroshot", "--checkpoint", checkpoint, "--data", work.labels, "--json");
      expect(zeroshot.code, zeroshot.stderr.join("\n")).toBe(0);
      expect(zeroshot.json()).toMatchObject({ n: 3, classes: 3 });
      const retrieval = await duet("eval", "retrieval", "--checkpoint", checkpoint, "--data", work.pairs, "--json");
      expect(retrieval.code, retrieval.stderr.join("\n")).toBe(0);
      expect(retrieval.json()).toMatchObject({ n_images: 3, n_texts: 4 });
      expect(Object.keys(retrieval.json())).toEqual(expect.arrayContaining(["image_to_text_R@1", "text_to_image_R@1", "image_to_text_mean_rank"]));
    }
  });

  it("duet index builds an index of the CoCa's image features, and duet search finds an image by itself", async () => {
    const index = join(work.dir, "coca-index");
    const built = await duet("index", "--checkpoint", CHECKPOINT, "--images", join(work.dir, "images"), "--out", index, "--json");
    expect(built.code, built.stderr.join("\n")).toBe(0);
    expect(built.json()).toEqual({ index, count: 3, embed_dim: 16, skipped: 0 });
    expect(existsSync(join(index, "features.safetensors"))).toBe(true);
    expect(JSON.parse(readFileSync(join(index, "index.json"), "utf8"))).toMatchObject({ embed_dim: 16, count: 3 });
    const found = await duet("search", "--index", index, "--image", IMAGES[1]!, "--k", "1", "--json");
    expect(found.code, found.stderr.join("\n")).toBe(0);
    const { results } = found.json<{ queries: { results: { path: string; score: number }[] }[] }>().queries[0]!;
    expect(results[0]!.path.endsWith("coffee.png")).toBe(true);
    expect(results[0]!.score).toBeCloseTo(1, 5);
    const text = await duet("search", "--index", index, "--text", "a cat", "--json");
    expect(text.code, text.stderr.join("\n")).toBe(0);
  });
});

describe("duet train --model coca", () => {
  it("trains the coca preset on a caption manifest, logs the two loss parts, saves a CoCa checkpoint; duet report reads the run", async () => {
    const out = join(work.dir, "coca-run");
    const result = await duet("train", "--model", "coca", "--data", work.pairs, "--out", out, "--steps", "2", "--warmup", "0", "--batch-size", "4", "--threads", "1", "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    const log = readFileSync(join(out, "train_log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, number>);
    expect(log).toHaveLength(2);
    for (const line of log) expect(line["contrastive_loss"]! + line["caption_loss"]!).toBeCloseTo(line["loss"]!, 5);
    const saved = loadCheckpoint(join(out, "checkpoint"));
    expect(isCoCa(saved.model)).toBe(true);
    expect(saved.config.multimodal_cfg!.context_length).toBe(saved.config.text_cfg.context_length);
    const report = await duet("report", out);
    expect(report.code, report.stderr.join("\n")).toBe(0);
    expect(existsSync(join(out, "report.html"))).toBe(true);
  });
});

describe("the browser's checkpoint loading", () => {
  it("builds a CoCa from a CoCa config, with the same features as loadCheckpoint's", async () => {
    const read = (name: string) => readFileSync(join(CHECKPOINT, name));
    const browser = await checkpointFromFiles({
      config: JSON.parse(read("config.json").toString("utf8")),
      layout: "duet",
      weights: read("model.safetensors"),
      tokenizerJson: JSON.parse(read("tokenizer.json").toString("utf8")),
      source: "coca/",
    });
    const node = loadCheckpoint(CHECKPOINT);
    expect(isCoCa(browser.model)).toBe(true);
    const texts = ["a red apple", "a cat"];
    expect(embedTexts(browser.model, browser.tokenize(texts)).contiguousData()).toEqual(embedTexts(node.model, node.tokenize(texts)).contiguousData());
    const images = (c: { preprocessImage: typeof node.preprocessImage }) => stack(IMAGES.map((path) => c.preprocessImage(readImage(path))));
    expect(embedImages(browser.model, images(browser)).contiguousData()).toEqual(embedImages(node.model, images(node)).contiguousData());
  });
});
