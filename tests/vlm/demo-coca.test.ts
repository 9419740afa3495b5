/**
 * `duet demo --model coca` as a smoke run (issue #16): a few steps of the coca preset on a
 * small OpenMoji subset (the hidden --limit flag), as cli-demo.test.ts runs the CLIP demo. What
 * is checked is the contract, not the learning: metrics.json's "captioning" block (the keys of
 * `duet eval caption --json`, on the demo's own test split), the report's captioning section,
 * and that `duet caption` on the demo's checkpoint writes the captions the demo reported.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOpenMoji } from "../../packages/vlm/src/data/index.js";
import { isCoCa, loadCheckpoint } from "../../packages/vlm/src/model/index.js";
import { CAPTIONING_SECTION, escapeHtml, pngBytes, REPORT_SECTIONS } from "../../packages/vlm/src/report/index.js";
import { cliWorkspace, duet, IMAGES, type CliResult } from "./cli-helpers.js";

const work = cliWorkspace("demo-coca");
const demoDir = join(work.dir, "demo");
const SCORE_KEYS = ["bleu1", "bleu2", "bleu3", "bleu4", "rougeL", "ciderD", "n"];
let demo: CliResult;

interface Captioning {
  data: string;
  train_data: string;
  model: Record<string, number>;
  baselines: { retrieval: Record<string, number>; most_frequent: Record<string, number | string> };
  decoding: { strategy: string; max_length: number };
  examples: { image: string; generated: string; annotation: string; retrieved: string }[];
  seconds: number;
}

beforeAll(async () => {
  demo = await duet("demo", "--model", "coca", "--out", demoDir, "--limit", "150", "--steps", "4", "--batch-size", "32", "--threads", "1", "--json");
}, 180_000);

describe("duet demo --model coca (smoke run)", () => {
  it("exits 0, trains the coca preset and saves a CoCa checkpoint", () => {
    expect(demo.code, demo.stderr.join("\n")).toBe(0);
    const m = demo.json<{ train: { preset: string; steps: number }; wall_time_s: Record<string, number> }>();
    expect(m).toEqual(JSON.parse(readFileSync(join(demoDir, "metrics.json"), "utf8")));
    expect(m.train).toMatchObject({ preset: "coca", steps: 4 });
    expect(Object.keys(m.wall_time_s)).toEqual(expect.arrayContaining(["prepare", "train", "evaluate", "caption", "report", "total"]));
    expect(isCoCa(loadCheckpoint(join(demoDir, "checkpoint")).model)).toBe(true);
  });

  it("keeps the contrastive metrics and adds a captioning block: the model and both baselines on the demo's test split", () => {
    const m = demo.json<{ n_items: number; retrieval: Record<string, number>; zeroshot: Record<string, number>; captioning: Captioning }>();
    expect(m.zeroshot).toMatchObject({ classes: 119 });
    expect(m.retrieval["text_to_image_R@10"]).toBeGreaterThanOrEqual(0);
    const c = m.captioning;
    expect(c).toMatchObject({ data: "openmoji:test", train_data: "openmoji:train", decoding: { strategy: "greedy" } });
    const split = JSON.parse(readFileSync(join(demoDir, "split.json"), "utf8")) as Record<string, string[]>;
    for (const scores of [c.model, c.baselines.retrieval, c.baselines.most_frequent]) {
      expect(Object.keys(scores)).toEqual(expect.arrayContaining(SCORE_KEYS));
      expect(scores["n"]).toBe(m.n_items);
      for (const key of ["bleu1", "bleu2", "bleu3", "bleu4", "rougeL"]) {
        expect(scores[key], key).toBeGreaterThanOrEqual(0);
        expect(scores[key], key).toBeLessThanOrEqual(1);
      }
      expect(scores["ciderD"]).toBeGreaterThanOrEqual(0);
      expect(scores["ciderD"]).toBeLessThanOrEqual(10);
    }
    // the baselines copy from the demo's own train split, not the whole of OpenMoji's
    expect(c.baselines.retrieval["train_images"]).toBe(split["train"]!.length);
    expect(typeof c.baselines.most_frequent["caption"]).toBe("string");
    expect(c.examples.length).toBeGreaterThan(0);
    expect(c.examples.length).toBeLessThanOrEqual(12);
    for (const e of c.examples) {
      expect(split["test"]).toContain(e.image.replace(/^openmoji:/, ""));
      expect(e.annotation.length).toBeGreaterThan(0);
    }
    expect(c.seconds).toBeGreaterThan(0);
  });

  it("writes the report's captioning section: the table beside both baselines and the examples with both captions", () => {
    const html = readFileSync(join(demoDir, "report.html"), "utf8");
    for (const id of [...REPORT_SECTIONS, CAPTIONING_SECTION]) expect(html, id).toContain(`<section id="${id}">`);
    const start = html.indexOf(`<section id="${CAPTIONING_SECTION}">`);
    const section = html.slice(start, html.indexOf("</section>", start));
    expect(section).toContain("<th>retrieval baseline</th><th>most frequent caption</th>");
    for (const metric of ["BLEU-1", "BLEU-4", "ROUGE-L", "CIDEr-D"]) expect(section).toContain(`<td>${metric}</td>`);
    const { captioning } = demo.json<{ captioning: Captioning }>();
    const images = [...section.matchAll(/<img src="([^"]*)"/g)].map((match) => match[1]!);
    expect(images).toHaveLength(captioning.examples.length);
    for (const src of images) expect(src.startsWith("data:image/png;base64,")).toBe(true);
    for (const e of captioning.examples) {
      expect(section).toContain(`“${escapeHtml(e.generated)}”`);
      expect(section).toContain(`true: ${escapeHtml(e.annotation)}`);
    }
    expect(html).toContain("CoCa");
  });

  it("duet caption on the demo's checkpoint writes the captions the demo reported for its test emojis", async () => {
    const { captioning } = demo.json<{ captioning: Captioning }>();
    const shown = captioning.examples.slice(0, 3);
    // the emojis as PNG files, at the model's resolution (a lossless copy of what the demo captioned)
    const checkpoint = join(demoDir, "checkpoint");
    const size = loadCheckpoint(checkpoint).preprocess.size;
    const openMoji = await loadOpenMoji({ resolution: size, hexcodes: shown.map((e) => e.image.replace(/^openmoji:/, "")) });
    const files = shown.map((e, row) => work.write(`${e.image.replace(":", "-")}.png`, pngBytes(openMoji.image(row))));
    const result = await duet("caption", "--checkpoint", checkpoint, ...files.flatMap((f) => ["--image", f]), "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    const { captions } = result.json<{ captions: { image: string; text: string; tokens: number[] }[] }>();
    expect(captions.map((c) => c.text)).toEqual(shown.map((e) => e.generated));
    const other = await duet("caption", "--checkpoint", checkpoint, "--image", IMAGES[0]!);
    expect(other.code, other.stderr.join("\n")).toBe(0);
    expect(other.stdout.split("\n")).toHaveLength(1);
    expect(other.stdout.startsWith(`${IMAGES[0]}\t`)).toBe(true);
  });

  it.each([
    ["an unknown model", ["demo", "--model", "vit"], /--model must be clip or coca, got "vit"/],
    ["--model with --engine", ["demo", "--engine", "--model", "coca"], /--model does not apply to --engine/],
  ])("bad input, %s: exit 2 and one line", async (_name, argv, message) => {
    const result = await duet(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(message);
  });
});
