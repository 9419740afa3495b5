/**
 * Every bad-input path of the CLI (DESIGN §3): a wrong flag, a missing file or a malformed
 * input exits with status 2 and exactly one line on stderr that names the problem, and
 * prints nothing on stdout.
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliWorkspace, duet, IMAGES, VIT_GELU, VIT_QUICKGELU } from "./cli-helpers.js";

const work = cliWorkspace("cli-errors");
const img = IMAGES[0]!;
const dir = work.dir;

// broken inputs, made once
const notAnImage = work.write("not-an-image.png", "hello, I am text");
const truncated = work.write("truncated.png", readFileSync(img).subarray(0, 200));
const noTemplateSlot = work.write("bad-templates.txt", "a photo of a cat\n");
const badCsv = work.write("bad.csv", "path,caption\nimages/astronaut.png,an astronaut\n");
const missingImageCsv = work.write("missing-image.csv", "filepath,title\nimages/nowhere.png,nothing\n");
const unclosedQuote = work.write("unclosed.csv", 'filepath,title\nimages/astronaut.png,"an astronaut\n');
work.write("broken-checkpoint/config.json", "{ not json");
const badWeights = join(dir, "bad-weights");
mkdirSync(badWeights, { recursive: true });
writeFileSync(join(badWeights, "open_clip_config.json"), readFileSync(join(VIT_GELU, "open_clip_config.json")));
writeFileSync(join(badWeights, "open_clip_model.safetensors"), readFileSync(join(VIT_GELU, "open_clip_model.safetensors")).subarray(0, 1000));
const wrongWidth = join(dir, "wrong-width");
mkdirSync(wrongWidth, { recursive: true });
const cfg = JSON.parse(readFileSync(join(VIT_GELU, "open_clip_config.json"), "utf8")) as { model_cfg: { vision_cfg: { width: number } } };
cfg.model_cfg.vision_cfg.width = 48;
writeFileSync(join(wrongWidth, "open_clip_config.json"), JSON.stringify(cfg));
writeFileSync(join(wrongWidth, "open_clip_model.safetensors"), readFileSync(join(VIT_GELU, "open_clip_model.safetensors")));
const emptyFolder = join(dir, "empty");
mkdirSync(emptyFolder);
const notAnIndex = join(dir, "not-an-index");
mkdirSync(notAnIndex);
writeFileSync(join(notAnIndex, "index.json"), JSON.stringify({ format: "something-else" }));
writeFileSync(join(notAnIndex, "features.safetensors"), "");
const badTokenizerInput = work.write("inputs.json", '{"a": 1}');

const CASES: [string, string[], RegExp][] = [
  ["an unknown command", ["fly"], /unknown command "fly"/],
  ["no checkpoint", ["embed", "--text", "x"], /--checkpoint is required/],
  ["an unknown flag", ["embed", "--checkpoint", VIT_GELU, "--colour", "red"], /unknown flag --colour/],
  ["a mistyped flag", ["embed", "--checkpoint", VIT_GELU, "--txt", "red"], /unknown flag --txt; did you mean --text\?/],
  ["a value flag given twice", ["embed", "--checkpoint", VIT_GELU, "--checkpoint", VIT_GELU, "--text", "x"], /--checkpoint given twice/],
  ["a flag without its value", ["embed", "--checkpoint"], /--checkpoint/],
  ["a stray argument", ["embed", "--checkpoint", VIT_GELU, "extra"], /extra/],
  ["nothing to embed", ["embed", "--checkpoint", VIT_GELU], /at least one --image P or --text S/],
  ["a missing checkpoint folder", ["embed", "--checkpoint", join(dir, "nowhere"), "--text", "x"], /no such folder/],
  ["a folder that is no checkpoint", ["embed", "--checkpoint", emptyFolder, "--text", "x"], /not a checkpoint folder/],
  ["a config that is not JSON", ["embed", "--checkpoint", join(dir, "broken-checkpoint"), "--text", "x"], /not valid JSON/],
  ["truncated weights", ["embed", "--checkpoint", badWeights, "--text", "x"], /open_clip_model\.safetensors/],
  ["a config that disagrees with the weights", ["embed", "--checkpoint", wrongWidth, "--text", "x"], /width/],
  ["a missing image", ["embed", "--checkpoint", VIT_GELU, "--image", join(dir, "nope.png")], /--image .*nope\.png: no such file/],
  ["a file that is not an image", ["embed", "--checkpoint", VIT_GELU, "--image", notAnImage], /not-an-image\.png/],
  ["a truncated PNG", ["embed", "--checkpoint", VIT_GELU, "--image", truncated], /truncated\.png/],
  ["a text the checkpoint's vocabulary cannot hold", ["embed", "--checkpoint", VIT_QUICKGELU, "--text", "hi"], /vocab_size is 512/],
  ["one label", ["classify", "--checkpoint", VIT_GELU, "--image", img, "--labels", "cat"], /at least two/],
  ["a repeated label", ["classify", "--checkpoint", VIT_GELU, "--image", img, "--labels", "cat,dog,cat"], /"cat" twice/],
  ["no image to classify", ["classify", "--checkpoint", VIT_GELU, "--labels", "a,b"], /--image is required/],
  ["templates without {}", ["classify", "--checkpoint", VIT_GELU, "--image", img, "--labels", "a,b", "--templates", noTemplateSlot], /has no \{\}/],
  ["missing templates", ["classify", "--checkpoint", VIT_GELU, "--image", img, "--labels", "a,b", "--templates", join(dir, "t.txt")], /no such file/],
  ["no eval task", ["eval"], /give a task/],
  ["an unknown eval task", ["eval", "captioning"], /unknown task "captioning"/],
  ["no data", ["eval", "zeroshot", "--checkpoint", VIT_GELU], /--data is required/],
  ["an unknown OpenMoji split", ["eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", "openmoji:dev"], /split must be train, val, test or all/],
  ["a missing manifest", ["eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", join(dir, "nope.csv")], /nope\.csv/],
  ["a manifest without the label column", ["eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", badCsv], /bad\.csv/],
  ["classnames on OpenMoji", ["eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", "openmoji", "--classnames", work.labels], /--classnames does not apply/],
  ["a zero batch size", ["eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", work.labels, "--batch-size", "0"], /--batch-size must be a positive integer/],
  ["a caption manifest without its columns", ["eval", "retrieval", "--checkpoint", VIT_GELU, "--data", badCsv], /filepath/],
  ["a manifest naming a missing image", ["eval", "retrieval", "--checkpoint", VIT_GELU, "--data", missingImageCsv], /nowhere\.png/],
  ["an unclosed quote", ["eval", "retrieval", "--checkpoint", VIT_GELU, "--data", unclosedQuote], /unclosed\.csv/],
  ["a long separator", ["eval", "retrieval", "--checkpoint", VIT_GELU, "--data", work.pairs, "--csv-separator", ";;"], /one character/],
  ["both index sources", ["index", "--checkpoint", VIT_GELU, "--images", dir, "--data", work.pairs, "--out", join(dir, "i")], /only one of --images, --data/],
  ["no index source", ["index", "--checkpoint", VIT_GELU, "--out", join(dir, "i")], /give one of --images, --data/],
  ["no index output", ["index", "--checkpoint", VIT_GELU, "--images", dir], /--out is required/],
  ["a missing image folder", ["index", "--checkpoint", VIT_GELU, "--images", join(dir, "nope"), "--out", join(dir, "i")], /no such folder/],
  ["a folder without images", ["index", "--checkpoint", VIT_GELU, "--images", emptyFolder, "--out", join(dir, "i")], /holds no PNG or JPEG/],
  ["a missing index", ["search", "--index", join(dir, "nope"), "--text", "cat"], /no such folder/],
  ["a folder that is no index", ["search", "--index", emptyFolder, "--text", "cat"], /not an index folder/],
  ["an index of another format", ["search", "--index", notAnIndex, "--text", "cat"], /not a Duet index/],
  ["an empty query among several", ["search", "--index", notAnIndex, "--text", "cat", "--text", " "], /--text is empty/],
  ["no query", ["search", "--index", notAnIndex], /give one of --text, --image/],
  ["k = 0", ["search", "--index", notAnIndex, "--text", "cat", "--k", "0"], /--k must be a positive integer/],
  ["k not a number", ["search", "--index", notAnIndex, "--text", "cat", "--k", "five"], /--k must be a positive integer/],
  ["no text to tokenize", ["tokenize"], /at least one TEXT/],
  ["a context too short", ["tokenize", "--context", "1", "x"], /at least 2/],
  ["a tokenizer input that is no list", ["tokenize", "--input", badTokenizerInput], /JSON array of strings/],
];

describe("bad input: exit status 2, one line on stderr, nothing on stdout", () => {
  it.each(CASES)("%s", async (_name, argv, message) => {
    const result = await duet(...argv);
    expect(result.code, result.stderr.join("\n")).toBe(2);
    expect(result.stderr, result.stderr.join("\n")).toHaveLength(1);
    expect(result.stderr[0]).not.toContain("\n");
    expect(result.stderr[0]).toMatch(message);
    expect(result.stdout).toBe("");
  });
});
