/**
 * `duet caption` and `duet eval caption` on a tiny random CoCa saved with a learned BPE: the
 * --json shapes, the image sources, decoding flags, the errors (a CLIP checkpoint, bad options:
 * exit 2, one line naming the problem), and the evaluation's metrics with both baselines. Plus
 * the emojis' references (every distinct caption the training captioner can give).
 */

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manualSeed } from "../../packages/tensor/src/index.js";
import { detokenize } from "../../packages/vlm/src/tokenizer/detokenize.js";
import { createModel, emojiCaptionSet, evaluateCaptions, loadCheckpoint, OpenMojiCaptioner, openMojiItems, parseModelConfig, saveCheckpoint, trainBpe } from "../../packages/vlm/src/index.js";
import { cliWorkspace, duet } from "./cli-helpers.js";
import { tinyCoca } from "./coca-helpers.js";

const work = cliWorkspace("caption");
const CAPTIONS = ["an astronaut in a white suit", "a cup of coffee", "a tabby cat", "a cat looking up"];
const tokenizer = trainBpe(Array.from({ length: 4 }, () => CAPTIONS).flat(), { vocabSize: 530 });
const coca = join(work.dir, "coca");
manualSeed(3);
saveCheckpoint(coca, createModel(parseModelConfig(tinyCoca({ text: { vocab_size: tokenizer.vocabSize, context_length: 8 }, multimodal: { context_length: 8, vocab_size: tokenizer.vocabSize } }))), { tokenizer });

interface CaptionJson {
  captions: { image: string; text: string; tokens: number[] }[];
}

describe("duet caption", () => {
  it("--json: one {image, text, tokens} per image; tokens are generated ids without start/end, text their decoding", async () => {
    const r = await duet("caption", "--checkpoint", coca, "--image", work.images[0]!, "--image", work.images[2]!, "--max-length", "5", "--json");
    expect(r.code, r.stderr.join("\n")).toBe(0);
    const { captions } = r.json<CaptionJson>();
    expect(captions.map((c) => c.image)).toEqual([work.images[0], work.images[2]]);
    const loaded = loadCheckpoint(coca);
    for (const c of captions) {
      expect(Object.keys(c).sort()).toEqual(["image", "text", "tokens"]);
      expect(c.tokens.length).toBeLessThanOrEqual(5);
      for (const id of c.tokens) {
        expect(Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize).toBe(true);
        expect([loaded.tokenizer.sotTokenId, loaded.tokenizer.eotTokenId]).not.toContain(id);
      }
      expect(c.text).toBe(detokenize(loaded.tokenizer.decode(c.tokens)));
    }
  });

  it("reads --images DIR and --data MANIFEST (its distinct images); prints image<TAB>caption without --json", async () => {
    const folder = await duet("caption", "--checkpoint", coca, "--images", join(work.dir, "images"), "--json");
    expect(folder.code, folder.stderr.join("\n")).toBe(0);
    expect(folder.json<CaptionJson>().captions.map((c) => c.image)).toEqual([...work.images].sort());
    const manifest = await duet("caption", "--checkpoint", coca, "--data", work.pairs, "--json");
    expect(manifest.json<CaptionJson>().captions).toHaveLength(3);
    const plain = await duet("caption", "--checkpoint", coca, "--image", work.images[1]!);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split("\t")[0]).toBe(work.images[1]);
  });

  it("decoding flags: one beam = greedy, top-k 1 = greedy, sampling reproducible by --seed", async () => {
    const run = async (...flags: string[]) => {
      const r = await duet("caption", "--checkpoint", coca, "--images", join(work.dir, "images"), "--json", ...flags);
      expect(r.code, r.stderr.join("\n")).toBe(0);
      return r.json<CaptionJson>().captions;
    };
    const greedy = await run();
    expect(await run("--beams", "1")).toEqual(greedy);
    expect(await run("--top-k", "1")).toEqual(greedy);
    expect((await run("--beams", "3")).length).toBe(3);
    const sampled = await run("--top-p", "0.9", "--temperature", "2", "--seed", "4");
    expect(await run("--top-p", "0.9", "--temperature", "2", "--seed", "4")).toEqual(sampled);
  });

  it("a CLIP checkpoint and bad flags exit 2 with one line naming the problem", async () => {
    const cases: [string[], RegExp][] = [
      [["--checkpoint", work.duetCheckpoint, "--image", work.images[0]!], /captioning needs a CoCa checkpoint/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--beams", "0"], /--beams must be a positive integer/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--top-p", "1.5"], /--top-p must be a number in \[0, 1\]/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--top-p", "0"], /--top-p must be in \(0, 1\]/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--max-length", "0"], /--max-length must be a positive integer/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--max-length", "9"], /--max-length must be at most 8/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--beams", "2", "--top-k", "3"], /--beams cannot be combined with --top-k/],
      [["--checkpoint", coca, "--image", work.images[0]!, "--seed", "3"], /--seed applies to sampling only/],
      [["--checkpoint", coca], /give one of --image, --images, --data/],
      [["--checkpoint", coca, "--image", join(work.dir, "nope.png")], /--image .*nope\.png: no such file/],
    ];
    for (const [flags, message] of cases) {
      const r = await duet("caption", ...flags);
      expect(r.code, `${flags.join(" ")}: ${r.stderr.join("\n")}`).toBe(2);
      expect(r.stderr).toHaveLength(1);
      expect(r.stderr[0]).toMatch(message);
    }
  });

  it("--help describes the command; duet --help lists it", async () => {
    const help = await duet("caption", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: duet caption --checkpoint C/);
    expect((await duet("--help")).stdout).toMatch(/caption\s+caption images with a CoCa/);
  });
});

describe("duet eval caption", () => {
  it("--json: the model's BLEU-1…4, ROUGE-L, CIDEr-D beside the retrieval and most-frequent baselines", async () => {
    const r = await duet("eval", "caption", "--checkpoint", coca, "--data", work.pairs, "--train-data", work.pairs, "--max-length", "6", "--json");
    expect(r.code, r.stderr.join("\n")).toBe(0);
    const out = r.json<Record<string, any>>();
    const metricKeys = ["bleu1", "bleu2", "bleu3", "bleu4", "ciderD", "n", "rougeL"];
    expect(Object.keys(out.model).sort()).toEqual(metricKeys);
    expect(out.model.n).toBe(3);
    expect(Object.keys(out.baselines).sort()).toEqual(["most_frequent", "retrieval"]);
    expect(Object.keys(out.baselines.retrieval).sort()).toEqual([...metricKeys, "train_images"].sort());
    // the training set is the test set: each image's nearest training image is itself, so it copies one of its own references
    expect(out.baselines.retrieval.bleu1).toBeCloseTo(1, 9);
    expect(out.baselines.retrieval.ciderD).toBeGreaterThan(out.baselines.most_frequent.ciderD);
    expect(out.baselines.most_frequent).toMatchObject({ caption: "an astronaut in a white suit", count: 1 });
    expect(out.decoding).toMatchObject({ strategy: "greedy", maxLength: 6 });
    expect(out.examples).toHaveLength(3);
    expect(out.data).toBe("pairs.csv");
    expect(out.train_data).toBe("pairs.csv");
  });

  it("errors: a manifest without --train-data, a CLIP checkpoint, the emojis' train split", async () => {
    const cases: [string[], RegExp][] = [
      [["--checkpoint", coca, "--data", work.pairs], /--train-data T is required with a manifest --data/],
      [["--checkpoint", work.duetCheckpoint, "--data", work.pairs, "--train-data", work.pairs], /captioning needs a CoCa checkpoint/],
      [["--checkpoint", coca, "--data", "openmoji:train"], /overlaps the train split/],
      [["--checkpoint", coca, "--data", "openmoji:test", "--train-data", work.pairs], /--train-data applies to a manifest --data/],
    ];
    for (const [flags, message] of cases) {
      const r = await duet("eval", "caption", ...flags);
      expect(r.code, `${flags.join(" ")}: ${r.stderr.join("\n")}`).toBe(2);
      expect(r.stderr[0]).toMatch(message);
    }
    const twice = await duet("eval", "caption", "--checkpoint", coca, "--checkpoint", coca);
    expect(twice.code).toBe(2);
    expect(twice.stderr[0]).toMatch(/--checkpoint given twice/);
    expect((await duet("eval", "caption", "--help")).stdout).toMatch(/^usage: duet eval caption[^]*most_frequent/);
    expect((await duet("eval", "--help")).stdout).toMatch(/caption/);
  });
});

describe("evaluateCaptions on the emojis", () => {
  it("scores generated captions and both baselines against every distinct caption of each test emoji", async () => {
    const checkpoint = loadCheckpoint(coca);
    const test = await emojiCaptionSet(16, ["openmoji"], "test", { limit: 4 });
    const train = await emojiCaptionSet(16, ["openmoji"], "train", { limit: 6 });
    const result = await evaluateCaptions(checkpoint, test, train, { maxLength: 4 });
    expect(result.model.n).toBe(4);
    expect(result.baselines.retrieval.train_images).toBe(6);
    // every retrieved caption is a training emoji's annotation; the most frequent is the caption
    // the most training emojis can be given (counted over their references, first seen on ties)
    const annotations = Array.from({ length: 6 }, (_, j) => train.captions(j)[0]!);
    for (const e of result.examples) expect(annotations).toContain(e.retrieved);
    const emojisWith = (caption: string) => Array.from({ length: 6 }, (_, j) => train.references(j).filter((c) => c === caption).length).reduce((a, b) => a + b, 0);
    const { caption, count } = result.baselines.most_frequent;
    expect(count).toBe(emojisWith(caption));
    for (let j = 0; j < 6; j++) for (const other of train.references(j)) expect(emojisWith(other)).toBeLessThanOrEqual(count);
    for (const m of [result.model, result.baselines.retrieval, result.baselines.most_frequent]) {
      for (const key of ["bleu1", "bleu4", "rougeL", "ciderD"] as const) expect(Number.isFinite(m[key])).toBe(true);
    }
  });
});

describe("emoji references", () => {
  it("are every distinct caption the training captioner can give (distinctCaptions of them)", async () => {
    const set = await emojiCaptionSet(16, ["openmoji"], "test", { limit: 3 });
    expect(set.count).toBe(3);
    const captioner = new OpenMojiCaptioner(openMojiItems());
    const byHexcode = new Map(openMojiItems().map((item) => [item.hexcode, item]));
    for (let i = 0; i < set.count; i++) {
      const item = byHexcode.get(set.label(i).split(":")[1]!)!;
      const references = set.references(i);
      expect(references.length).toBe(captioner.distinctCaptions(item));
      expect(new Set(references).size).toBe(references.length);
      expect(references).toContain(item.annotation);
      expect(set.captions(i)).toEqual([item.annotation]);
    }
  });
});
