/**
 * The `duet` commands on real checkpoints: open_clip folders from the parity fixtures and a
 * Duet checkpoint saved from one. The CLI runs in-process (main(argv, io)), so each case costs
 * a model load, not a Node start.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stack } from "../../packages/tensor/src/index.js";
import { COMMANDS } from "../../packages/vlm/src/cli/main.js";
import { embedImages, embedTexts } from "../../packages/vlm/src/eval/index.js";
import { readImage } from "../../packages/vlm/src/image/index.js";
import { loadCheckpoint } from "../../packages/vlm/src/model/index.js";
import { cliWorkspace, duet, IMAGES, VIT_GELU, VIT_QUICKGELU } from "./cli-helpers.js";

const work = cliWorkspace();

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe("duet --help", () => {
  it("lists every command, and each command's --help prints its usage and exits 0", async () => {
    const top = await duet("--help");
    expect(top.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) {
      expect(top.stdout).toContain(`  ${name}`);
      const help = await duet(name, "--help");
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^usage: duet ${name}`));
      expect(help.stderr, name).toEqual([]);
    }
    for (const task of ["zeroshot", "retrieval"]) {
      const help = await duet("eval", task, "--help");
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: duet eval ${task}`));
    }
  });
});

describe("duet embed", () => {
  it("gives the normalised features loadCheckpoint + embedImages/embedTexts give, and exp(logit_scale)", async () => {
    const result = await duet("embed", "--checkpoint", VIT_GELU, "--image", IMAGES[0]!, "--image", IMAGES[2]!, "--text", "a cat", "--text", "an astronaut", "--json");
    expect(result.code).toBe(0);
    const out = result.json<{ image_features: number[][]; text_features: number[][]; logit_scale: number }>();
    const checkpoint = loadCheckpoint(VIT_GELU);
    const images = embedImages(checkpoint.model, stack([IMAGES[0]!, IMAGES[2]!].map((p) => checkpoint.preprocessImage(readImage(p)))));
    const texts = embedTexts(checkpoint.model, checkpoint.tokenize(["a cat", "an astronaut"]));
    expect(out.image_features.flat()).toEqual(Array.from(images.contiguousData()));
    expect(out.text_features.flat()).toEqual(Array.from(texts.contiguousData()));
    expect(out.image_features).toHaveLength(2);
    for (const v of [...out.image_features, ...out.text_features]) expect(norm(v)).toBeCloseTo(1, 5);
    expect(out.logit_scale).toBeCloseTo(Math.exp(checkpoint.model.logitScale.value.contiguousData()[0]!), 5);
  });

  it("a Duet checkpoint saved from the open_clip folder embeds identically", async () => {
    const args = ["--image", IMAGES[1]!, "--text", "a cup of coffee", "--json"];
    const a = (await duet("embed", "--checkpoint", VIT_GELU, ...args)).json();
    const b = (await duet("embed", "--checkpoint", work.duetCheckpoint, ...args)).json();
    expect(b).toEqual(a);
  });

  it("embeds images with a checkpoint whose vocabulary is not CLIP's, and prints a similarity table without --json", async () => {
    const images = await duet("embed", "--checkpoint", VIT_QUICKGELU, "--image", IMAGES[0]!, "--json");
    expect(images.code).toBe(0);
    expect(images.json<{ image_features: number[][] }>().image_features[0]).toHaveLength(32);
    const human = await duet("embed", "--checkpoint", VIT_GELU, "--image", IMAGES[0]!, "--text", "x", "--text", "y");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/cosine similarity/);
  });
});

describe("duet classify", () => {
  it("ranks the labels with probabilities that sum to 1, on open_clip and Duet folders alike", async () => {
    for (const checkpoint of [VIT_GELU, work.duetCheckpoint]) {
      const result = await duet("classify", "--checkpoint", checkpoint, "--image", IMAGES[2]!, "--labels", "cat, dog ,coffee cup", "--json");
      expect(result.code).toBe(0);
      const { labels } = result.json<{ labels: { label: string; probability: number }[] }>();
      expect(labels.map((l) => l.label).sort()).toEqual(["cat", "coffee cup", "dog"]);
      expect(labels.reduce((s, l) => s + l.probability, 0)).toBeCloseTo(1, 5);
      for (let i = 1; i < labels.length; i++) expect(labels[i - 1]!.probability).toBeGreaterThanOrEqual(labels[i]!.probability);
    }
  });

  it("averages prompt templates from a file", async () => {
    const templates = work.write("templates.txt", "a photo of a {}.\na picture of a {}.\n");
    const plain = (await duet("classify", "--checkpoint", VIT_GELU, "--image", IMAGES[2]!, "--labels", "cat,dog", "--json")).json<{ labels: { probability: number }[] }>();
    const prompted = await duet("classify", "--checkpoint", VIT_GELU, "--image", IMAGES[2]!, "--labels", "cat,dog", "--templates", templates);
    expect(prompted.code).toBe(0);
    expect(prompted.stdout.split("\n")).toHaveLength(2);
    expect(prompted.stdout).not.toEqual(JSON.stringify(plain));
  });
});

describe("duet tokenize", () => {
  it("uses a checkpoint's context length", async () => {
    const result = await duet("tokenize", "--checkpoint", VIT_GELU, "--json", "a cat");
    expect(result.code).toBe(0);
    const out = result.json<{ context_length: number; ids: number[][] }>();
    expect(out.context_length).toBe(16);
    expect(out.ids[0]!.slice(0, 4)).toEqual([49406, 320, 2368, 49407]);
  });
});

describe("duet eval", () => {
  it("zeroshot on a CSV, and on a folder of class folders, gives {top1, top5, n, classes} with chance", async () => {
    const csv = await duet("eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", work.labels, "--json");
    expect(csv.code).toBe(0);
    const metrics = csv.json<Record<string, number>>();
    expect(metrics).toMatchObject({ n: 3, classes: 3, top5: 1, chance_top1: 1 / 3 });
    expect([0, 1 / 3, 2 / 3, 1]).toContain(metrics["top1"]);
    for (const [name, image] of [["cat", IMAGES[2]!], ["drink", IMAGES[1]!]] as const) work.write(`classes/${name}/1.png`, readFileSync(image));
    const folder = await duet("eval", "zeroshot", "--checkpoint", work.duetCheckpoint, "--data", join(work.dir, "classes"), "--json");
    expect(folder.code).toBe(0);
    expect(folder.json()).toMatchObject({ n: 2, classes: 2, top5: 1 });
  });

  it("retrieval on a caption manifest gives open_clip's metric names (an image with two captions is one image)", async () => {
    const result = await duet("eval", "retrieval", "--checkpoint", VIT_GELU, "--data", work.pairs, "--json");
    expect(result.code).toBe(0);
    const metrics = result.json<Record<string, number>>();
    for (const way of ["image_to_text", "text_to_image"]) {
      for (const name of ["R@1", "R@5", "R@10", "mean_rank", "median_rank"]) expect(metrics).toHaveProperty(`${way}_${name}`);
      expect(metrics[`${way}_R@5`]).toBe(1); // 3 images, 4 texts: everything is in the top 5
    }
    expect(metrics).toMatchObject({ n_images: 3, n_texts: 4 });
  });

  it("evaluates on OpenMoji's held-out test split (zero-shot over the subgroups, retrieval against annotations)", async () => {
    const zeroshot = await duet("eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", "openmoji:test", "--json");
    expect(zeroshot.code).toBe(0);
    expect(zeroshot.json()).toMatchObject({ n: 546, classes: 119 });
    const retrieval = await duet("eval", "retrieval", "--checkpoint", VIT_GELU, "--data", "openmoji", "--json");
    expect(retrieval.code).toBe(0);
    expect(retrieval.json()).toMatchObject({ n_images: 546, n_texts: 546 });
  });
});

describe("duet index and duet search", () => {
  it("indexes a folder, and an image query finds itself first", async () => {
    const index = join(work.dir, "index-folder");
    const built = await duet("index", "--checkpoint", VIT_GELU, "--images", join(work.dir, "images"), "--out", index, "--json");
    expect(built.code).toBe(0);
    expect(built.json()).toEqual({ index, count: 3, embed_dim: 32, skipped: 0 });
    expect(existsSync(join(index, "features.safetensors"))).toBe(true);
    const found = await duet("search", "--index", index, "--image", IMAGES[1]!, "--k", "2", "--json");
    expect(found.code).toBe(0);
    const { results } = found.json<{ queries: { results: { rank: number; score: number; path: string }[] }[] }>().queries[0]!;
    expect(results).toHaveLength(2);
    expect(results[0]!.path.endsWith("coffee.png")).toBe(true);
    expect(results[0]!.score).toBeCloseTo(1, 5);
  });

  it("indexes a caption manifest (captions kept per image) with a Duet checkpoint and answers a text query", async () => {
    const index = join(work.dir, "index-csv");
    expect((await duet("index", "--checkpoint", work.duetCheckpoint, "--data", work.pairs, "--out", index)).code).toBe(0);
    const listed = JSON.parse(readFileSync(join(index, "index.json"), "utf8")) as { items: { captions: string[] }[] };
    expect(listed.items.map((i) => i.captions.length)).toEqual([1, 1, 2]);
    const found = await duet("search", "--index", index, "--text", "a cat", "--json");
    expect(found.code).toBe(0);
    const { results } = found.json<{ queries: { results: { rank: number; score: number }[] }[] }>().queries[0]!;
    expect(results.map((r) => r.rank)).toEqual([1, 2, 3]);
    for (let i = 1; i < results.length; i++) expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
    // rebuilding replaces the index atomically
    expect((await duet("index", "--checkpoint", VIT_GELU, "--images", join(work.dir, "images"), "--out", index)).code).toBe(0);
    const human = await duet("search", "--index", index, "--text", "a cat");
    expect(human.stdout.split("\n")).toHaveLength(3);
  });

  it("indexes OpenMoji's test split (each emoji with its annotation) and searches it by text", async () => {
    const index = join(work.dir, "index-openmoji");
    const built = await duet("index", "--checkpoint", VIT_GELU, "--data", "openmoji:test", "--out", index, "--json");
    expect(built.code).toBe(0);
    expect(built.json()).toMatchObject({ count: 546 });
    const found = await duet("search", "--index", index, "--text", "a red heart", "--k", "3", "--json");
    expect(found.code).toBe(0);
    const { results } = found.json<{ queries: { results: { path: string; captions: string[] }[] }[] }>().queries[0]!;
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.path).toMatch(/color\/svg\/[0-9A-F-]+\.svg$/);
      expect(r.captions).toHaveLength(1);
    }
  });
});
