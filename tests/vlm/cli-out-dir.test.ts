/** `--out` folders: a command never touches a folder it did not create (cli/out-dir.ts). */

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../packages/vlm/src/cli/args.js";
import { claimOutDir, markerKind, OUT_MARKER } from "../../packages/vlm/src/cli/out-dir.js";
import { tempDir } from "./train-helpers.js";

describe("claimOutDir", () => {
  it("creates a missing folder, marks an empty one, and accepts its own kind again", () => {
    const root = tempDir("outdir");
    const fresh = join(root, "a", "b");
    expect(claimOutDir("train", "out", fresh, "run")).toEqual({ path: fresh, fresh: true });
    expect(markerKind(fresh)).toBe("run");
    writeFileSync(join(fresh, "train_log.jsonl"), "");
    expect(claimOutDir("train", "out", fresh, "run")).toEqual({ path: fresh, fresh: false });
    const empty = join(root, "empty");
    mkdirSync(empty);
    expect(claimOutDir("index", "out", empty, "index").fresh).toBe(true);
    expect(markerKind(empty)).toBe("index");
  });

  it("refuses a folder of someone else's files, another kind of output, or a file, and changes nothing", () => {
    const root = tempDir("outdir");
    const photos = join(root, "photos");
    mkdirSync(photos);
    writeFileSync(join(photos, "cat.jpg"), "not really a jpeg");
    expect(() => claimOutDir("index", "out", photos, "index")).toThrow(UsageError);
    expect(() => claimOutDir("index", "out", photos, "index")).toThrow(/holds 1 file Duet did not write \(cat\.jpg\); nothing was changed/);
    expect(readdirSync(photos)).toEqual(["cat.jpg"]);

    const run = join(root, "run");
    claimOutDir("train", "out", run, "run");
    writeFileSync(join(run, "train_log.jsonl"), "");
    expect(() => claimOutDir("index", "out", run, "index")).toThrow(/holds a Duet run folder/);

    const file = join(root, "file.txt");
    writeFileSync(file, "x");
    expect(() => claimOutDir("train", "out", file, "run")).toThrow(/is not a folder/);
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it.skipIf(!existsSync("/proc/self"))("refuses a folder under /proc at once (Node's recursive mkdir loops there forever) (skipped: no /proc here)", () => {
    // a hang would end in vitest's test timeout
    expect(() => claimOutDir("index", "out", "/proc/duet-test/index", "index")).toThrow(/cannot create \/proc\/duet-test: ENOENT/);
  });

  it("recognises a run written before markers existed, and marks it", () => {
    const legacy = join(tempDir("outdir"), "old-run");
    mkdirSync(join(legacy, "checkpoint"), { recursive: true });
    writeFileSync(join(legacy, "checkpoint", "train_state.json"), "{}");
    expect(existsSync(join(legacy, OUT_MARKER))).toBe(false);
    expect(claimOutDir("train", "out", legacy, "run").fresh).toBe(false);
    expect(markerKind(legacy)).toBe("run");
  });
});
