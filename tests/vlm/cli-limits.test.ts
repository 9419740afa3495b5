/**
 * Inputs built to exhaust something — the stack, memory, threads, a read that never ends —
 * get exit 2 and one line naming the file or flag and the limit, before anything is
 * allocated: JSON nested 200,000 deep, a context of a billion tokens, a 65,536-wide model,
 * weights that are /dev/zero or a FIFO, DUET_THREADS=0, --threads 1000000, --accumulation
 * 1000000. Error lines never carry a file's raw control characters to the terminal.
 */

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_THREADS, parseThreadCount } from "../../packages/tensor/src/index.js";
import { parameterCount } from "../../packages/vlm/src/model/config-limits.js";
import { createModel, parseModelConfig, readCheckpointConfig } from "../../packages/vlm/src/model/index.js";
import { getPreset, PRESET_NAMES } from "../../packages/vlm/src/train/index.js";
import { cliWorkspace, duet, VIT_GELU } from "./cli-helpers.js";

const work = cliWorkspace("cli-limits");
const DEEP = 200_000;
const deepArray = `${"[".repeat(DEEP)}${"]".repeat(DEEP)}`;
const deepObject = `${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}`;
const config = JSON.parse(readFileSync(join(work.duetCheckpoint, "config.json"), "utf8")) as Record<string, Record<string, unknown>>;

/** A copy of the Duet checkpoint with some of its files replaced. */
function checkpointWith(name: string, files: Record<string, string>): string {
  const dir = join(work.dir, name);
  cpSync(work.duetCheckpoint, dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

/** config.json with `value` (JSON text) at vision_cfg.width. */
const configWithWidth = (value: string) => JSON.stringify(config).replace(/"width":\d+/, `"width":${value}`);

async function refused(argv: string[], message: RegExp): Promise<void> {
  const result = await duet(...argv);
  expect(result.code, result.stderr.join("\n")).toBe(2);
  expect(result.stderr, result.stderr.join("\n")).toHaveLength(1);
  expect(result.stderr[0]!.length).toBeLessThan(600);
  expect(result.stderr[0]).toMatch(message);
  expect(result.stdout).toBe("");
}

describe("JSON nested 200,000 deep", () => {
  it("in a checkpoint's config.json", async () => {
    for (const deep of [deepArray, deepObject]) {
      const dir = checkpointWith(`deep-config-${deep[0] === "[" ? "array" : "object"}`, { "config.json": configWithWidth(deep) });
      await refused(["embed", "--checkpoint", dir, "--text", "x"], /config\.json: .*nested deeper than 64 levels/);
      await refused(["tokenize", "--checkpoint", dir, "x"], /config\.json.*nested deeper than 64 levels/);
    }
  });

  it("in a checkpoint's tokenizer.json", async () => {
    const duet_ = { ...config["duet"], tokenizer: "tokenizer.json" };
    const dir = checkpointWith("deep-tokenizer", {
      "config.json": JSON.stringify({ ...config, duet: duet_ }),
      "tokenizer.json": `{"format": "duet-clip-bpe", "version": ${deepArray}}`,
    });
    await refused(["embed", "--checkpoint", dir, "--text", "x"], /tokenizer\.json: .*nested deeper than 64 levels/);
    await refused(["tokenize", "--checkpoint", dir, "x"], /tokenizer\.json: .*nested deeper than 64 levels/);
  });

  it("in train --model", async () => {
    const model = work.write("deep-model.json", configWithWidth(deepObject));
    await refused(["train", "--out", join(work.dir, "deep-run"), "--data", work.pairs, "--model", model], /deep-model\.json.*nested deeper than 64 levels/);
  });
});

describe("sizes bounded before allocation", () => {
  it("tokenize --context 1000000000", async () => {
    await refused(["tokenize", "--context", "1000000000", "x"], /--context must be at most 4096/);
    expect((await duet("tokenize", "--context", "4096", "--json", "x")).code).toBe(0);
  });

  it("a 65,536-wide model, in train --model and in a checkpoint", async () => {
    const wide = work.write("wide.json", configWithWidth("65536"));
    await refused(["train", "--out", join(work.dir, "wide-run"), "--data", work.pairs, "--model", wide], /wide\.json: .*parameters.*at most 1,000,000,000/);
    const dir = checkpointWith("wide-checkpoint", { "config.json": configWithWidth("65536") });
    await refused(["embed", "--checkpoint", dir, "--text", "x"], /parameters.*at most 1,000,000,000/);
  });

  it("the parameter count the limit is checked on is the count the model has", () => {
    const fixture = readCheckpointConfig(VIT_GELU).config;
    const small = { embed_dim: 16, vision_cfg: { image_size: 16, layers: 1, width: 32, patch_size: 8, head_width: 16 }, text_cfg: { context_length: 8, vocab_size: 600, width: 32, heads: 2, layers: 1 } };
    const configs = [
      fixture,
      ...PRESET_NAMES.map((name) => parseModelConfig(getPreset(name).model)),
      parseModelConfig({ ...small, vision_cfg: { ...small.vision_cfg, ls_init_value: 0.1, no_ln_pre: true, mlp_ratio: 2.5 }, init_logit_bias: -10 }),
      parseModelConfig({ ...small, text_cfg: { ...small.text_cfg, proj_bias: true } }),
      parseModelConfig({ ...small, embed_dim: 32, text_cfg: { ...small.text_cfg, proj_type: "none" } }),
      parseModelConfig({ ...small, duet: { image_tower: "cnn", cnn_channels: [8, 16, 4], projection: "mlp", projection_hidden: 24 } }),
      parseModelConfig({ ...small, duet: { projection: "mlp" } }),
    ];
    for (const config of configs) expect(parameterCount(config), JSON.stringify(config)).toBe(createModel(config, { initialize: false }).numParameters()); // a CoCa for the coca preset
  });

  it("a context length of a billion in a config (a tokenizer file's: tokenizer-properties.test.ts)", async () => {
    const long = JSON.stringify(config).replace(/"context_length":\d+/, '"context_length":1000000000');
    await refused(["embed", "--checkpoint", checkpointWith("long-context", { "config.json": long }), "--text", "x"], /text_cfg\.context_length must be at most 4096/);
  });

  it("train --threads 1000000 and --accumulation 1000000 (checked before the data is read)", async () => {
    const out = join(work.dir, "never");
    const missing = join(work.dir, "missing.csv");
    await refused(["train", "--out", out, "--data", missing, "--threads", "1000000"], new RegExp(`--threads must be at most ${MAX_THREADS}`));
    await refused(["demo", "--out", out, "--threads", "1000000"], new RegExp(`--threads must be at most ${MAX_THREADS}`));
    await refused(["train", "--out", out, "--data", missing, "--accumulation", "1000000"], /--accumulation must be at most 1024/);
    await refused(["train", "--out", out, "--data", missing, "--accum-freq", "1000000"], /--accumulation must be at most 1024/);
  });
});

describe("DUET_THREADS", () => {
  it.each(["0", "-1", "two", "1.5", "1000000"])("DUET_THREADS=%s is exit 2 with the range", async (value) => {
    const before = process.env["DUET_THREADS"];
    process.env["DUET_THREADS"] = value;
    try {
      await refused(["tokenize", "x"], new RegExp(`DUET_THREADS must be an integer in \\[1, ${MAX_THREADS}\\].*got "${value}"`));
    } finally {
      if (before === undefined) delete process.env["DUET_THREADS"];
      else process.env["DUET_THREADS"] = before;
    }
  });

  it("a thread count is accepted exactly when it is a whole number in [1, MAX_THREADS] (fuzzed)", () => {
    const text = fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.string({ maxLength: 6 }), fc.constantFrom("1e3", " 4", "4 ", "0x10", "08", "+3", "", "65", "66", "64"));
    fc.assert(
      fc.property(text, (value) => {
        const valid = /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_THREADS;
        let accepted: number | null = null;
        try {
          accepted = parseThreadCount(value, "DUET_THREADS");
        } catch (error) {
          expect((error as Error).message).toMatch(/DUET_THREADS must be an integer in/);
        }
        expect(accepted !== null, JSON.stringify(value)).toBe(valid);
        if (valid) expect(accepted).toBe(Number(value));
      }),
      { seed: 1313, numRuns: 500 },
    );
  });
});

describe("checkpoint files that are not regular", () => {
  const bin = join(process.cwd(), "node_modules", ".bin", "duet");
  const isPosix = process.platform !== "win32";

  /** Runs the CLI in its own process: a read that never ends must not hang the test runner. */
  function runBin(args: string[]) {
    return spawnSync(bin, args, { encoding: "utf8", timeout: 60_000 });
  }

  it.skipIf(!isPosix)("model.safetensors linked to /dev/zero, or a FIFO: exit 2 at once (skipped: no /dev/zero or FIFOs on Windows)", () => {
    const zero = checkpointWith("zero-weights", {});
    const fifo = checkpointWith("fifo-weights", {});
    for (const dir of [zero, fifo]) spawnSync("rm", [join(dir, "model.safetensors")]);
    symlinkSync("/dev/zero", join(zero, "model.safetensors"));
    expect(spawnSync("mkfifo", [join(fifo, "model.safetensors")]).status).toBe(0);
    for (const dir of [zero, fifo]) {
      const result = runBin(["embed", "--checkpoint", dir, "--text", "x"]);
      expect(result.signal, `${dir}: killed after 60 s`).toBeNull();
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/model\.safetensors: .*not a regular file/);
    }
  });

  it.skipIf(!isPosix)("config.json a FIFO: exit 2 at once (skipped: no FIFOs on Windows)", () => {
    const dir = checkpointWith("fifo-config", {});
    spawnSync("rm", [join(dir, "config.json")]);
    expect(spawnSync("mkfifo", [join(dir, "config.json")]).status).toBe(0);
    const result = runBin(["embed", "--checkpoint", dir, "--text", "x"]);
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/config\.json: .*not a regular file/);
  });

  it.skipIf(!isPosix)("tokenizer.json a FIFO: exit 2 at once (skipped: no FIFOs on Windows)", () => {
    const dir = checkpointWith("fifo-tokenizer", { "config.json": JSON.stringify({ ...config, duet: { ...config["duet"], tokenizer: "tokenizer.json" } }) });
    expect(spawnSync("mkfifo", [join(dir, "tokenizer.json")]).status).toBe(0);
    const result = runBin(["tokenize", "--checkpoint", dir, "x"]);
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/tokenizer\.json: .*not a regular file/);
  });
});

describe("--out that cannot be a new folder", () => {
  // index, train and demo claim --out with cli/out-dir.ts (their own tests); these are the other commands with --out
  it.skipIf(process.platform !== "linux")("export --out naming a file, or a folder under /proc: exit 2 at once (skipped: /proc is Linux's)", () => {
    const file = work.write("a-file", "x");
    for (const out of [file, "/proc/duet-export"]) {
      const result = spawnSync(join(process.cwd(), "node_modules", ".bin", "duet"), ["export", "--checkpoint", VIT_GELU, "--to", "open_clip", "--out", out], { encoding: "utf8", timeout: 60_000 });
      expect(result.signal, `${out}: killed after 60 s`).toBeNull();
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(out);
    }
  });
});

describe("error lines escape control characters", () => {
  const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

  it("from a path on the command line", async () => {
    const result = await duet("embed", "--checkpoint", VIT_GELU, "--image", join(work.dir, "no\u001b[2Jpe\u0007.png"));
    expect(result.code).toBe(2);
    expect(result.stderr[0]).not.toMatch(CONTROL);
    expect(result.stderr[0]).toContain("no\\x1b[2Jpe\\x07.png");
  });

  it("from the bytes of a bad file", async () => {
    mkdirSync(join(work.dir, "control"), { recursive: true });
    const manifest = work.write("control/pairs.csv", "filepath,title\n\"im\u001b]0;title\u0007\u202eg\r.png\",a caption\n");
    const result = await duet("eval", "retrieval", "--checkpoint", VIT_GELU, "--data", manifest);
    expect(result.code).toBe(2);
    expect(result.stderr[0]).not.toMatch(CONTROL);
    expect(result.stderr[0]).toContain("im\\x1b]0;title\\x07\\u202eg\\r.png");
  });
});
