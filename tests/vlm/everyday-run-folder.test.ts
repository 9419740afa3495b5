/**
 * `duet train --out RUN` and `duet demo --out RUN` claim the folder (cli/out-dir.ts): a new or
 * empty one, or a run Duet wrote — which needs `--resume` (train) or `--overwrite`. Before,
 * `train --out` on an existing run emptied its log at once and replaced its checkpoint at the
 * first save. `--overwrite` clears only what Duet wrote; a folder of other files is refused.
 */

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OUT_MARKER } from "../../packages/vlm/src/cli/out-dir.js";
import { cliWorkspace, duet, TINY_MODEL_JSON } from "./cli-helpers.js";

const work = cliWorkspace("run-folder");
const config = work.write("tiny.json", TINY_MODEL_JSON);
const train = (out: string, ...more: string[]) => duet("train", "--data", work.pairs, "--model", config, "--out", out, "--warmup", "0", "--batch-size", "3", "--threads", "1", "--json", ...more);

const snapshot = (dir: string) => ({
  log: readFileSync(join(dir, "train_log.jsonl"), "utf8"),
  weights: readFileSync(join(dir, "checkpoint", "model.safetensors")),
  state: readFileSync(join(dir, "checkpoint", "train_state.json"), "utf8"),
});

describe("duet train --out on an existing run", () => {
  it("without --resume or --overwrite: exit 2, one line, the run untouched", async () => {
    const out = join(work.dir, "run");
    expect((await train(out, "--steps", "2")).code).toBe(0);
    const before = snapshot(out);
    const again = await train(out, "--steps", "3");
    expect(again.code).toBe(2);
    expect(again.stderr).toEqual([expect.stringMatching(/^duet train: --out .*run holds a run already; nothing was changed\. To keep it, continue it with --resume .*run or give a new folder; to replace it, add --overwrite$/)]);
    expect(snapshot(out)).toEqual(before);
  });

  it("--resume continues it; --resume of another run into it is refused", async () => {
    const out = join(work.dir, "run-resume");
    expect((await train(out, "--steps", "2")).code).toBe(0);
    const resumed = await duet("train", "--resume", join(out, "checkpoint"), "--out", out, "--threads", "1", "--json", "--steps", "3", "--extend");
    expect(resumed.code, resumed.stderr.join("\n")).toBe(0);
    const other = join(work.dir, "run-other");
    expect((await train(other, "--steps", "1")).code).toBe(0);
    const crossed = await duet("train", "--resume", other, "--out", out, "--threads", "1");
    expect(crossed.code).toBe(2);
    expect(crossed.stderr.at(-1)).toMatch(/holds a run already; nothing was changed/);
  });

  it("--overwrite replaces the run's own files and keeps everything else", async () => {
    const out = join(work.dir, "run-overwrite");
    expect((await train(out, "--steps", "3")).code).toBe(0);
    writeFileSync(join(out, "notes.txt"), "my notes");
    mkdirSync(join(out, "plots"));
    const replaced = await train(out, "--steps", "1", "--overwrite");
    expect(replaced.code, replaced.stderr.join("\n")).toBe(0);
    expect(replaced.stderr[0]).toMatch(/^--overwrite: removed the previous run's checkpoint, eval_log\.jsonl, train_log\.jsonl from /);
    expect(readFileSync(join(out, "train_log.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(out, "checkpoint", "train_state.json"), "utf8"))).toMatchObject({ step: 1 });
    expect(readdirSync(out).sort()).toEqual([OUT_MARKER, "checkpoint", "eval_log.jsonl", "notes.txt", "plots", "train_log.jsonl"].sort());
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("my notes");
    const both = await train(out, "--resume", out, "--overwrite");
    expect(both.code).toBe(2);
    expect(both.stderr).toEqual([expect.stringMatching(/give --resume \(continue the run\) or --overwrite \(replace it\), not both/)]);
  });

  it("a folder Duet did not write is refused, even with --overwrite, and left as it was", async () => {
    const photos = join(work.dir, "photos");
    mkdirSync(photos);
    writeFileSync(join(photos, "cat.jpg"), "a photo");
    for (const flags of [[], ["--overwrite"]]) {
      const result = await train(photos, "--steps", "1", ...flags);
      expect(result.code).toBe(2);
      expect(result.stderr).toEqual([expect.stringMatching(/--out .*photos: holds 1 file Duet did not write \(cat\.jpg\); nothing was changed/)]);
    }
    expect(readdirSync(photos)).toEqual(["cat.jpg"]);
  });

  it("a run that failed before writing anything (only the marker) is no run to keep", async () => {
    const out = join(work.dir, "run-failed");
    const failed = await duet("train", "--data", work.pairs, "--model", config, "--out", out, "--batch-size", "30", "--steps", "1", "--threads", "1");
    expect(failed.code).toBe(2);
    expect(readdirSync(out)).toEqual([OUT_MARKER]);
    expect((await train(out, "--steps", "1")).code).toBe(0);
  });
});

describe("duet demo --out", () => {
  it("an existing run needs --overwrite; a folder of other files is refused; nothing is touched", async () => {
    const out = join(work.dir, "run");
    const before = snapshot(out);
    const demo = await duet("demo", "--out", out, "--steps", "1", "--limit", "40");
    expect(demo.code).toBe(2);
    expect(demo.stderr).toEqual([expect.stringMatching(/^duet demo: --out .*run holds a run already; nothing was changed\. To keep it, give a new folder; to replace it, add --overwrite$/)]);
    expect(snapshot(out)).toEqual(before);
    const photos = join(work.dir, "photos");
    expect((await duet("demo", "--out", photos, "--steps", "1", "--overwrite")).code).toBe(2);
    expect(readdirSync(photos)).toEqual(["cat.jpg"]);
  });

  it("--help lists --overwrite (demo) and --overwrite, --extend, --skip-bad-images (train)", async () => {
    expect((await duet("demo", "--help")).stdout).toMatch(/--overwrite/);
    const help = (await duet("train", "--help")).stdout;
    for (const flag of ["--overwrite", "--extend", "--skip-bad-images", "--resume"]) expect(help).toContain(flag);
  });
});
