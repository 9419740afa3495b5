/**
 * Flags as a user types them: a value flag given twice is an error (never a silent overwrite),
 * a repeatable flag takes every value and the command uses them all, open_clip's flag names
 * are accepted, a mistyped flag gets "did you mean", and the prompt templates are one set per
 * kind of data, shared by the CLI, the page and the evaluator, and printed by --help.
 */

import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../packages/vlm/src/cli/main.js";
import { ZERO_SHOT_TEMPLATES } from "../../packages/vlm/src/data/index.js";
import { EMOJI_TEMPLATES, PHOTO_TEMPLATES, TEMPLATE_SETS } from "../../packages/vlm/src/data/prompt-template.js";
import { cliWorkspace, duet, IMAGES, VIT_GELU } from "./cli-helpers.js";

const work = cliWorkspace("cli-flags");

interface Ranked {
  image: string;
  labels: { label: string; probability: number }[];
  templates: string;
}

/** The first flag of a usage text that takes a value and is not repeatable. */
function firstValueFlag(usage: string): string {
  for (const line of usage.split("\n")) {
    const match = /^\s+--([a-z-]+) [A-Z]/.exec(line);
    if (match && !/repeat/i.test(line)) return match[1]!;
  }
  throw new Error(`no value flag in:\n${usage}`);
}

describe("a flag given twice", () => {
  const commands = [...Object.keys(COMMANDS).filter((name) => name !== "eval").map((name) => [name]), ["eval", "zeroshot"], ["eval", "retrieval"]];

  it.each(commands)("duet %s: a value flag given twice is an error naming the flag", async (...command) => {
    const help = await duet(...command, "--help");
    const flag = firstValueFlag(help.stdout);
    const result = await duet(...command, `--${flag}`, "one", `--${flag}`, "two");
    expect(result.code, result.stderr.join("\n")).toBe(2);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(new RegExp(`--${flag} given twice`));
    expect(result.stdout).toBe("");
  });

  it("--lr=1 --lr 2 (an inline value too) is an error; a switch given twice is harmless", async () => {
    const twice = await duet("train", "--out", join(work.dir, "never"), "--lr=1", "--lr", "2");
    expect(twice.stderr[0]).toMatch(/--lr given twice \("1", then "2"\)/);
    const json = await duet("tokenize", "--json", "--json", "--context", "4", "a");
    expect(json.code).toBe(0);
  });
});

describe("duet classify --image A --image B", () => {
  it("classifies every image, each as it would be alone; one image keeps the old JSON shape", async () => {
    const labels = ["cat", "coffee cup", "astronaut"].join(",");
    const both = await duet("classify", "--checkpoint", VIT_GELU, "--image", IMAGES[0]!, "--image", IMAGES[2]!, "--labels", labels, "--json");
    expect(both.code, both.stderr.join("\n")).toBe(0);
    const { results } = both.json<{ results: Ranked[] }>();
    expect(results.map((r) => r.image)).toEqual([IMAGES[0], IMAGES[2]]);
    for (const [i, image] of [IMAGES[0]!, IMAGES[2]!].entries()) {
      const alone = (await duet("classify", "--checkpoint", VIT_GELU, "--image", image, "--labels", labels, "--json")).json<Ranked>();
      expect(Object.keys(alone).sort()).toEqual(["image", "labels", "templates"]);
      expect(results[i]!.labels.map((l) => l.label)).toEqual(alone.labels.map((l) => l.label));
      results[i]!.labels.forEach((l, k) => expect(l.probability).toBeCloseTo(alone.labels[k]!.probability, 6));
    }
    const human = await duet("classify", "--checkpoint", VIT_GELU, "--image", IMAGES[0]!, "--image", IMAGES[2]!, "--labels", labels);
    expect(human.stdout.split("\n")).toHaveLength(2 * 4); // per image: its path, then three labels
  });
});

describe("labels", () => {
  const classify = (...args: string[]) => duet("classify", "--checkpoint", VIT_GELU, "--image", IMAGES[0]!, "--json", ...args);
  const labelsOf = async (...args: string[]) => {
    const result = await classify(...args);
    expect(result.code, result.stderr.join("\n")).toBe(0);
    return result.json<Ranked>().labels.map((l) => l.label).sort();
  };

  it("a label that holds a comma is quoted, as in a CSV line; spaces around labels are dropped", async () => {
    expect(await labelsOf("--labels", '"Washington, D.C.", Paris ,London')).toEqual(["London", "Paris", "Washington, D.C."]);
    expect(await labelsOf("--labels", 'a "quoted" word,"say ""hi"""')).toEqual(['a "quoted" word', 'say "hi"']);
  });

  it("--labels repeated adds to the list", async () => {
    expect(await labelsOf("--labels", '"Washington, D.C."', "--labels", "Paris,Rome")).toEqual(["Paris", "Rome", "Washington, D.C."]);
  });

  it("--labels-file: one label a line, or a JSON array", async () => {
    const lines = work.write("labels.txt", "Washington, D.C.\n\nSan José\n");
    expect(await labelsOf("--labels-file", lines)).toEqual(["San José", "Washington, D.C."]);
    const array = work.write("labels.json", JSON.stringify(["a, b", "c"]));
    expect(await labelsOf("--labels-file", array)).toEqual(["a, b", "c"]);
  });

  it("--labels and --labels-file together, an unclosed quote, an empty label list: exit 2 with the reason", async () => {
    const lines = work.write("labels2.txt", "x\ny\n");
    for (const [args, message] of [
      [["--labels", "a,b", "--labels-file", lines], /only one of --labels, --labels-file/],
      [["--labels", '"Washington, D.C., Paris'], /unclosed quote/],
      [["--labels", ",,"], /at least two labels/],
      [["--labels-file", work.write("labels-dup.txt", "x\nx\n")], /"x" appears twice/],
    ] as const) {
      const result = await classify(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr[0]).toMatch(message);
    }
  });
});

describe("open_clip's flag names", () => {
  it("--train-data, --pretrained and --accum-freq are train's --data, --init and --accumulation", async () => {
    const out = join(work.dir, "alias-run");
    const data = await duet("train", "--out", out, "--train-data", join(work.dir, "nowhere.csv"));
    expect(data.code).toBe(2);
    expect(data.stderr[0]).toMatch(/nowhere\.csv/);
    const init = await duet("train", "--out", out, "--pretrained", join(work.dir, "no-weights"));
    expect(init.stderr[0]).toMatch(/--init .*no-weights: no such folder/);
    const accumulation = await duet("train", "--out", out, "--accum-freq", "0");
    expect(accumulation.stderr[0]).toMatch(/--accumulation must be a positive integer/);
  });

  it("--val-data is eval's --data", async () => {
    const result = await duet("eval", "zeroshot", "--checkpoint", VIT_GELU, "--val-data", work.labels, "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    expect(result.json()).toMatchObject({ n: 3, classes: 3 });
  });

  it("an alias and its flag both given is an error; --help lists the aliases", async () => {
    const both = await duet("train", "--out", join(work.dir, "x"), "--data", "a.csv", "--train-data", "b.csv");
    expect(both.code).toBe(2);
    expect(both.stderr[0]).toMatch(/--train-data is open_clip's name for --data: give one of them/);
    expect((await duet("train", "--help")).stdout).toMatch(/--train-data \(= --data\)/);
  });
});

describe("an unknown flag", () => {
  it("names the nearest flag of the command", async () => {
    for (const [argv, suggestion] of [
      [["train", "--out", "x", "--batchsize", "3"], "--batch-size"],
      [["train", "--out", "x", "--acumulation", "3"], "--accumulation"],
      [["embed", "--checkpiont", "x"], "--checkpoint"],
      [["eval", "zeroshot", "--template", "t.txt"], "--templates"],
      [["train", "--out", "x", "--train_data", "a.csv"], "--train-data"],
    ] as const) {
      const result = await duet(...argv);
      expect(result.code).toBe(2);
      expect(result.stderr[0], argv.join(" ")).toMatch(new RegExp(`unknown flag --[a-z_]+; did you mean ${suggestion}\\?`));
    }
  });

  it("says so without a guess when nothing is near", async () => {
    const result = await duet("embed", "--checkpoint", VIT_GELU, "--colour", "red");
    expect(result.code).toBe(2);
    expect(result.stderr[0]).toBe("duet embed: unknown flag --colour; see duet embed --help");
  });
});

describe("prompt templates: one set per kind of data", () => {
  it("photos get open_clip's SIMPLE_IMAGENET_TEMPLATES, emoji the emoji set; the page and the evaluator share them", () => {
    expect(PHOTO_TEMPLATES).toEqual(["itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.", "a {} in a video game.", "art of the {}.", "a photo of the small {}."]);
    expect(ZERO_SHOT_TEMPLATES).toBe(EMOJI_TEMPLATES);
    expect(TEMPLATE_SETS).toEqual({ photo: PHOTO_TEMPLATES, emoji: EMOJI_TEMPLATES });
    const page = readFileSync(join(import.meta.dirname, "../../packages/vlm/src/browser/page/classify-tab.ts"), "utf8");
    expect(page).toMatch(/EMOJI_TEMPLATES/);
    const engine = readFileSync(join(import.meta.dirname, "../../packages/vlm/src/browser/engine/engine-worker.ts"), "utf8");
    expect(engine).not.toMatch(/\["\{\}"\]/);
  });

  it("classify --help and eval zeroshot --help print both sets", async () => {
    for (const command of [["classify"], ["eval", "zeroshot"]]) {
      const help = (await duet(...command, "--help")).stdout;
      for (const template of [...PHOTO_TEMPLATES, ...EMOJI_TEMPLATES]) expect(help, `${command.join(" ")}: ${template}`).toContain(`"${template}"`);
    }
  });

  it("classify uses the photo set for an open_clip checkpoint and the emoji set for one trained on OpenMoji; --templates names a set or a file", async () => {
    const args = ["--image", IMAGES[2]!, "--labels", "cat,dog,coffee", "--json"];
    const byDefault = (await duet("classify", "--checkpoint", VIT_GELU, ...args)).json<Ranked>();
    const photo = (await duet("classify", "--checkpoint", VIT_GELU, ...args, "--templates", "photo")).json<Ranked>();
    const emoji = (await duet("classify", "--checkpoint", VIT_GELU, ...args, "--templates", "emoji")).json<Ranked>();
    expect(byDefault.templates).toBe("photo");
    expect(byDefault.labels).toEqual(photo.labels);
    expect(emoji.labels).not.toEqual(photo.labels);
    const file = work.write("emoji-templates.txt", EMOJI_TEMPLATES.join("\n"));
    const fromFile = (await duet("classify", "--checkpoint", VIT_GELU, ...args, "--templates", file)).json<Ranked>();
    expect(fromFile.labels).toEqual(emoji.labels);
    expect(fromFile.templates).toBe(file);

    // a training checkpoint says what it was trained on (train_state.json's config.data)
    const trained = join(work.dir, "trained-on-openmoji");
    cpSync(work.duetCheckpoint, trained, { recursive: true });
    writeFileSync(join(trained, "train_state.json"), JSON.stringify({ format: "duet-train-state", version: 1, config: { data: "OpenMoji train (3564 emojis at 32px)" } }));
    const onEmoji = (await duet("classify", "--checkpoint", trained, ...args)).json<Ranked>();
    expect(onEmoji.templates).toBe("emoji");
    expect(onEmoji.labels).toEqual(emoji.labels);
  });

  it("eval zeroshot on a manifest uses the photo set by default", async () => {
    const byDefault = (await duet("eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", work.labels, "--json")).json();
    const photo = (await duet("eval", "zeroshot", "--checkpoint", VIT_GELU, "--data", work.labels, "--templates", "photo", "--json")).json();
    expect(byDefault).toEqual(photo);
  });
});
